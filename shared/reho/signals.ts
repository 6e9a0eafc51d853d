import { EmptyData } from '../errors.ts';

/**
 * WM / CSF mean signals from tissue masks on the functional grid (DPARSF's "WM/CSF mean"
 * covariates computed from segmentation-derived masks).
 */

/** Default threshold: a voxel belongs to the tissue when its mask value is > 0.99 (probability maps); binary 0/1 masks pass unchanged. */
export const TISSUE_THRESHOLD = 0.99;

/**
 * Indices (x fastest) of the voxels whose mask value is > threshold, relative to voxel `first`
 * and limited to `count` voxels from there (a z-range of the volume). Non-finite values are out.
 * Mask values are float32, so the threshold is compared at float32 precision (a stored 0.99 is
 * not above 0.99, as in MATLAB's single-precision comparison).
 */
export function tissueVoxels(values: ArrayLike<number>, threshold: number, first = 0, count = values.length - first): Int32Array {
  threshold = Math.fround(threshold);
  let n = 0;
  for (let v = 0; v < count; v++) if (values[first + v]! > threshold) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let v = 0; v < count; v++) if (values[first + v]! > threshold) out[n++] = v;
  return out;
}

/** The z-range [z0, z1) of planes holding at least one tissue voxel of either mask; null when both are empty. */
export function tissueZRange(masks: ArrayLike<number>[], threshold: number, planeVox: number, nz: number): [number, number] | null {
  threshold = Math.fround(threshold);
  let z0 = nz;
  let z1 = 0;
  for (const m of masks) {
    for (let z = 0; z < nz; z++) {
      for (let v = z * planeVox; v < (z + 1) * planeVox; v++) {
        if (m[v]! > threshold) {
          if (z < z0) z0 = z;
          if (z + 1 > z1) z1 = z + 1;
          break;
        }
      }
    }
  }
  return z0 < z1 ? [z0, z1] : null;
}

/**
 * Mean over the given voxels of every volume. `data` holds T volumes of `regionVox` voxels back
 * to back (x fastest); `voxels` index within one volume. A voxel with any non-finite value in
 * its series is left out of every volume's mean (so each mean is over the same voxels).
 * Returns the T means and the number of voxels used; none left → EmptyData naming `input`.
 */
export function meanSignal(data: Float32Array, regionVox: number, T: number, voxels: Int32Array, input: string): { signal: Float64Array; voxels: number } {
  const keep = new Uint8Array(voxels.length).fill(1);
  let used = voxels.length;
  for (let t = 0; t < T; t++) {
    const off = t * regionVox;
    for (let i = 0; i < voxels.length; i++) {
      if (keep[i] && !Number.isFinite(data[off + voxels[i]!]!)) {
        keep[i] = 0;
        used--;
      }
    }
  }
  if (used === 0) {
    throw new EmptyData(`${input}: ${voxels.length === 0 ? 'the mask holds no voxel above the threshold' : 'every voxel of the mask has non-finite values'}, so no mean signal can be formed`, input);
  }
  const signal = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const off = t * regionVox;
    let s = 0;
    for (let i = 0; i < voxels.length; i++) if (keep[i]) s += data[off + voxels[i]!]!;
    signal[t] = s / used;
  }
  return { signal, voxels: used };
}
