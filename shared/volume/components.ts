/**
 * Connected-component labelling of a binary 3-D volume (x fastest, then y, z).
 *
 * Connectivity follows SPM's `spm_bwlabel` / FSL's `cluster` conventions:
 * 6 = faces, 18 = faces + edges, 26 = faces + edges + corners.
 * Breadth-first flood fill with an explicit queue: O(N·k), no recursion.
 */
import { InvalidParameter } from '../errors.ts';

export type Connectivity = 6 | 18 | 26;

/** Neighbour offsets (dx, dy, dz) for a connectivity, excluding (0, 0, 0). */
export function neighbourOffsets(connectivity: Connectivity): Array<[number, number, number]> {
  const maxOrder = connectivity === 6 ? 1 : connectivity === 18 ? 2 : 3;
  const out: Array<[number, number, number]> = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const order = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (order > 0 && order <= maxOrder) out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

export function checkDims(dims: readonly [number, number, number], input = ''): number {
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new InvalidParameter(`volume dimensions must be three positive integers, got [${dims.join(', ')}]`, input);
  }
  return dims[0] * dims[1] * dims[2];
}

export function checkConnectivity(connectivity: number, input = ''): void {
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new InvalidParameter(`connectivity must be 6, 18 or 26, got ${connectivity}`, input);
  }
}

/**
 * Label connected components of voxels where inMask[v] ≠ 0, in a volume of
 * dims [nx, ny, nz] (x fastest). Labels are 1..count, assigned in order of
 * each component's first voxel in memory order; 0 = background.
 * `labelsOut` (length nx·ny·nz) is overwritten and returned when given.
 * sizes[l − 1] = voxels of label l.
 */
export function labelComponents(
  inMask: Uint8Array,
  dims: readonly [number, number, number],
  connectivity: Connectivity,
  labelsOut?: Int32Array,
): { labels: Int32Array; count: number; sizes: Int32Array } {
  const N = checkDims(dims);
  checkConnectivity(connectivity);
  if (inMask.length !== N) {
    throw new InvalidParameter(`mask has ${inMask.length} voxels; dims [${dims.join(', ')}] need ${N}`);
  }
  if (labelsOut && labelsOut.length !== N) {
    throw new InvalidParameter(`labels output has ${labelsOut.length} voxels; expected ${N}`);
  }
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const labels = labelsOut ?? new Int32Array(N);
  labels.fill(0);

  const offs = neighbourOffsets(connectivity);
  const k = offs.length;
  const odx = new Int32Array(k);
  const ody = new Int32Array(k);
  const odz = new Int32Array(k);
  const ostep = new Int32Array(k);
  offs.forEach(([dx, dy, dz], m) => {
    odx[m] = dx;
    ody[m] = dy;
    odz[m] = dz;
    ostep[m] = dx + dy * nx + dz * nxy;
  });

  // Each voxel is enqueued at most once (labelled on push), so N slots suffice.
  const queue = new Int32Array(N);
  const sizes: number[] = [];
  let count = 0;

  for (let start = 0; start < N; start++) {
    if (inMask[start] === 0 || labels[start] !== 0) continue;
    const label = ++count;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    labels[start] = label;
    while (head < tail) {
      const v = queue[head++];
      const x = v % nx;
      const yz = (v - x) / nx;
      const y = yz % ny;
      const z = (yz - y) / ny;
      // Interior voxels skip the per-neighbour bounds tests.
      const interior = x > 0 && x < nx - 1 && y > 0 && y < ny - 1 && z > 0 && z < nz - 1;
      for (let m = 0; m < k; m++) {
        if (!interior) {
          const xx = x + odx[m];
          const yy = y + ody[m];
          const zz = z + odz[m];
          if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
        }
        const u = v + ostep[m];
        if (inMask[u] !== 0 && labels[u] === 0) {
          labels[u] = label;
          queue[tail++] = u;
        }
      }
    }
    sizes.push(tail);
  }
  return { labels, count, sizes: Int32Array.from(sizes) };
}
