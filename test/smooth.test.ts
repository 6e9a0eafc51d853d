import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { smoothSpm, spmKernel1d } from '../shared/volume/smooth.ts';
import { rng } from './helpers/rng.ts';

const jStat = createRequire(import.meta.url)('jstat') as { erf(x: number): number };

/** §A kernel written out plainly, with jstat's erf (independent of the module's erf). */
function kernelPlain(fwhmVox: number): number[] {
  const s = fwhmVox / Math.sqrt(8 * Math.log(2));
  const r = Math.round(6 * s);
  const v = s * s + 2.220446049250313e-16;
  const a = 0.5 * Math.sqrt(2 / v);
  const b = Math.sqrt(v / (2 * Math.PI));
  const c = -0.5 / v;
  const k: number[] = [];
  for (let x = -r; x <= r; x++) {
    const val =
      0.5 * (jStat.erf(a * (x + 1)) * (x + 1) + jStat.erf(a * (x - 1)) * (x - 1) - 2 * jStat.erf(a * x) * x) +
      b * (Math.exp(c * (x + 1) ** 2) + Math.exp(c * (x - 1) ** 2) - 2 * Math.exp(c * x * x));
    k.push(Math.max(val, 0));
  }
  const sum = k.reduce((p, q) => p + q, 0);
  return k.map((q) => q / sum);
}

/**
 * Direct 3-D convolution, one output voxel at a time: zero padding in x, y and z, and each
 * output divided by the sum of the z weights that fall inside the volume (spm_conv_vol).
 */
function bruteForce(
  data: Float32Array,
  dims: readonly [number, number, number],
  kx: ArrayLike<number>,
  ky: ArrayLike<number>,
  kz: ArrayLike<number>,
): Float64Array {
  const [nx, ny, nz] = dims;
  const rx = (kx.length - 1) / 2;
  const ry = (ky.length - 1) / 2;
  const rz = (kz.length - 1) / 2;
  const out = new Float64Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    let zw = 0;
    for (let dz = -rz; dz <= rz; dz++) if (z + dz >= 0 && z + dz < nz) zw += kz[dz + rz];
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let acc = 0;
        for (let dz = -rz; dz <= rz; dz++) {
          const zz = z + dz;
          if (zz < 0 || zz >= nz) continue;
          for (let dy = -ry; dy <= ry; dy++) {
            const yy = y + dy;
            if (yy < 0 || yy >= ny) continue;
            for (let dx = -rx; dx <= rx; dx++) {
              const xx = x + dx;
              if (xx < 0 || xx >= nx) continue;
              let v = data[xx + nx * (yy + ny * zz)];
              if (!Number.isFinite(v)) v = 0;
              acc += kx[dx + rx] * ky[dy + ry] * kz[dz + rz] * v;
            }
          }
        }
        out[x + nx * (y + ny * z)] = acc / zw;
      }
    }
  }
  return out;
}

function randomVolume(n: number, seed: number): Float32Array {
  const r = rng(seed).u;
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = r() * 2 - 0.5;
  return d;
}

/** Float32 output vs double reference: one float32 rounding plus summation-order noise. */
function expectClose(actual: Float32Array, ref: Float64Array): void {
  expect(actual.length).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(actual[i] - ref[i]) / (Math.abs(ref[i]) + 1e-30);
    if (err > worst) worst = err;
  }
  expect(worst).toBeLessThan(1.2e-7); // 2^-23
}

describe('SPM smoothing kernel', () => {
  it('FWHM 2 voxels reproduces the §A example to the printed digits', () => {
    const k = spmKernel1d(2);
    expect(k.length).toBe(11); // r = round(6σ) = 5
    const printed: Array<[number, number]> = [
      [0.422138, 5e-7],
      [0.241677, 5e-7],
      [0.044652, 5e-7],
      [2.558e-3, 5e-7],
      [4.326e-5, 5e-9],
      [2.065e-7, 5e-11],
    ];
    for (let d = 0; d <= 5; d++) {
      expect(Math.abs(k[5 + d] - printed[d][0])).toBeLessThanOrEqual(printed[d][1]);
      expect(k[5 - d]).toBe(k[5 + d]);
    }
  });

  it('sums to 1, is symmetric and matches a plain evaluation of the §A formula', () => {
    for (const f of [0.5, 1, 1.7, 2, 3.3, 5.333333333333333, 8]) {
      const k = spmKernel1d(f);
      const ref = kernelPlain(f);
      expect(k.length).toBe(ref.length);
      expect(Math.abs(k.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-15);
      for (let i = 0; i < k.length; i++) {
        // the far taps come from differences of O(r)-sized erf terms: absolute error ~1e-15
        expect(Math.abs(k[i] - ref[i])).toBeLessThanOrEqual(1e-13 * ref[i] + 1e-14);
        expect(k[i]).toBe(k[k.length - 1 - i]);
      }
    }
  });

  it('FWHM 0 gives the identity kernel [1]', () => {
    expect(Array.from(spmKernel1d(0))).toEqual([1]);
    expect(() => spmKernel1d(-1)).toThrow();
  });
});

describe('smoothSpm', () => {
  it('equals a brute-force 3-D convolution with zero padding and z renormalisation (anisotropic voxels)', () => {
    const dims = [9, 11, 7] as const;
    const vox = [2, 2.5, 3] as const;
    const data = randomVolume(9 * 11 * 7, 1);
    for (const fwhm of [[6, 5, 8] as const, [3, 12, 4] as const, [0, 4, 9] as const]) {
      const kx = spmKernel1d(fwhm[0] / vox[0]);
      const ky = spmKernel1d(fwhm[1] / vox[1]);
      const kz = spmKernel1d(fwhm[2] / vox[2]);
      const ref = bruteForce(data, dims, kx, ky, kz);
      expectClose(smoothSpm(data, dims, vox, fwhm), ref);
    }
    // the kernels here reach past the volume edges (r ≥ n/2): z renormalisation matters
    expect((spmKernel1d(8 / 3).length - 1) / 2).toBeGreaterThanOrEqual(dims[2]);
  });

  it('z renormalisation: a constant volume stays constant along z but falls off at x/y edges', () => {
    const dims = [8, 8, 8] as const;
    const ones = new Float32Array(512).fill(1);
    const s = smoothSpm(ones, dims, [2, 2, 2], 6);
    // every z plane gets the same x/y-smoothed values, and each output plane is renormalised: flat along z
    const at = (x: number, y: number, z: number) => s[x + 8 * (y + 8 * z)];
    for (let z = 0; z < 8; z++) expect(Math.abs(at(4, 4, z) - at(4, 4, 0))).toBeLessThan(1e-6);
    expect(at(0, 4, 4)).toBeLessThan(at(4, 4, 4)); // x edge loses weight (no renormalisation)
    expect(at(4, 0, 4)).toBeLessThan(at(4, 4, 4));
  });

  it('isotropic scalar FWHM equals the per-axis form, on a larger random volume', () => {
    const dims = [17, 13, 15] as const;
    const data = randomVolume(17 * 13 * 15, 2);
    const a = smoothSpm(data, dims, [1.5, 1.5, 1.5], 3);
    const b = smoothSpm(data, dims, [1.5, 1.5, 1.5], [3, 3, 3]);
    expect(a).toEqual(b);
    const k = spmKernel1d(2);
    expectClose(a, bruteForce(data, dims, k, k, k));
  });

  it('treats NaN and ±Inf as 0, never modifies the input, and honours out', () => {
    const dims = [7, 6, 5] as const;
    const n = 7 * 6 * 5;
    const data = randomVolume(n, 3);
    data[10] = NaN;
    data[50] = Infinity;
    data[123] = -Infinity;
    const zeroed = Float32Array.from(data, (v) => (Number.isFinite(v) ? v : 0));
    const before = Float32Array.from(data);
    const s = smoothSpm(data, dims, [2, 2, 2], [5, 4, 6]);
    expect(Array.from(data).map(String)).toEqual(Array.from(before).map(String)); // NaN-safe equality
    expect(s.every(Number.isFinite)).toBe(true);
    expect(s).toEqual(smoothSpm(zeroed, dims, [2, 2, 2], [5, 4, 6]));

    const out = new Float32Array(n);
    expect(smoothSpm(zeroed, dims, [2, 2, 2], [5, 4, 6], out)).toBe(out);
    expect(out).toEqual(s);
    const inPlace = Float32Array.from(zeroed);
    smoothSpm(inPlace, dims, [2, 2, 2], [5, 4, 6], inPlace);
    expect(inPlace).toEqual(s);
  });

  it('rejects mismatched buffers', () => {
    expect(() => smoothSpm(new Float32Array(10), [2, 2, 2], [1, 1, 1], 2)).toThrow(/expected 8/);
    expect(() => smoothSpm(new Float32Array(8), [2, 2, 2], [1, 1, 1], 2, new Float32Array(7))).toThrow(/expected 8/);
  });
});
