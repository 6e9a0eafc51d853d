import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../shared/nifti/index.ts';
import { kendallW, kendallWCentred, kendallWPlain, maskStats, neighbourOffsets, rankAll, rankRegion, rankRows, rankSeries, rankSeriesCentred, rankSeriesMerge, rankSeriesPlain, rehoVolume } from '../shared/reho/kcc.ts';
import type { Neighbours } from '../shared/reho/kcc.ts';
import { subjectMaps } from '../shared/reho/maps.ts';
import { friston24, motionQc, powerFd, spikeVolumes } from '../shared/reho/motion.ts';
import { nuisanceDesign, nuisanceModel, regressOut } from '../shared/reho/nuisance.ts';
import { Fft, IdealBandpass } from '../shared/reho/filter.ts';
import { SeriesCleaner } from '../shared/reho/clean.ts';
import { stream } from '../shared/random.ts';
import { parseMotionText } from '../shared/reho/confounds.ts';
import { meanSignal, tissueVoxels, tissueZRange } from '../shared/reho/signals.ts';
import { smoothSpm } from '../shared/volume/smooth.ts';
import { VBM } from './helpers/fixture-job.ts';

// ---------------------------------------------------------------- plain references
function plainRanks(x: number[]): number[] {
  const idx = x.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const r = new Array<number>(x.length);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]!.v === idx[i]!.v) j++;
    const avg = (i + 1 + (j + 1)) / 2;
    for (let q = i; q <= j; q++) r[idx[q]!.i] = avg;
    i = j + 1;
  }
  return r;
}

function plainW(series: number[][]): number {
  const k = series.length;
  const n = series[0]!.length;
  const ranks = series.map(plainRanks);
  const R = Array.from({ length: n }, (_, t) => ranks.reduce((s, r) => s + r[t]!, 0));
  const mean = R.reduce((a, b) => a + b, 0) / n;
  const S = R.reduce((s, r) => s + (r - mean) ** 2, 0);
  return (12 * S) / (k * k * (n ** 3 - n));
}

/** Brute-force ReHo written from the definition: every voxel, every neighbour, every time point. */
function bruteReho(data: Float32Array, dims: number[], mask: Float32Array, nb: number): Float64Array {
  const [nx, ny, nz, nt] = dims as [number, number, number, number];
  const nVox = nx * ny * nz;
  const out = new Float64Array(nVox);
  const series = (x: number, y: number, z: number) => Array.from({ length: nt }, (_, t) => data[x + nx * (y + ny * z) + t * nVox]!);
  for (let z = 1; z < nz - 1; z++)
    for (let y = 1; y < ny - 1; y++)
      for (let x = 1; x < nx - 1; x++) {
        if (!mask[x + nx * (y + ny * z)]) continue;
        const members: number[][] = [];
        for (let dz = -1; dz <= 1; dz++)
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const away = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
              if (nb === 19 && away === 3) continue;
              if (nb === 7 && away > 1) continue;
              if (mask[x + dx + nx * (y + dy + ny * (z + dz))]) members.push(series(x + dx, y + dy, z + dz));
            }
        out[x + nx * (y + ny * z)] = plainW(members);
      }
  return out;
}

const func = readNifti(readFileSync(join(VBM, 'reho_func4d.nii.gz')), 'reho_func4d');
const maskVol = readNifti(readFileSync(join(VBM, 'reho_mask.nii.gz')), 'reho_mask').data;
const dims4 = func.header.dims as [number, number, number, number];

describe('ReHo (Kendall W) kernel', () => {
  it('neighbourhoods have 27, 19 and 7 members', () => {
    expect(neighbourOffsets(27)).toHaveLength(27);
    expect(neighbourOffsets(19)).toHaveLength(19);
    expect(neighbourOffsets(7)).toHaveLength(7);
    expect(neighbourOffsets(7).every(([a, b, c]) => Math.abs(a) + Math.abs(b) + Math.abs(c) <= 1)).toBe(true);
  });

  it('average ranks for ties match the plain definition', () => {
    const x = [3, 1, 3, 2, 3, 1, 7, -0.5, 2];
    const out = new Float32Array(x.length);
    rankAll(Float64Array.from(x), 1, x.length, out);
    expect(Array.from(out)).toEqual(plainRanks(x));
    expect(Array.from(out)).toEqual([7, 2.5, 7, 4.5, 7, 2.5, 9, 1, 4.5]);
    const c = new Float32Array(5);
    rankAll(new Float64Array(5).fill(1000), 1, 5, c);
    expect(Array.from(c)).toEqual([3, 3, 3, 3, 3]);
  });

  it('the index-sort ranking equals its plain twin and the definition (lengths around the run size, many ties, -0)', () => {
    let seed = 99;
    const u = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [1, 2, 15, 16, 17, 33, 250, 257]) {
      for (const levels of [3, 40, 0]) {
        const x = Float64Array.from({ length: n }, () => (levels ? Math.floor(u() * levels) - 1 : u() - 0.5));
        if (n > 3) x[2] = -0;
        const a = new Float64Array(n);
        const b = new Float64Array(n);
        rankSeries(x, 0, n, a, 0, new Float64Array(n));
        rankSeriesPlain(x, 0, n, b, 0, new Float64Array(n));
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(Array.from(a)).toEqual(plainRanks(Array.from(x)));
      }
    }
  });

  it('the bucket ranking equals the merge sort and the plain twin: outliers (fallback), a huge range, near-equal values, constants', () => {
    const rng = stream(5, 1);
    const cases: Float64Array[] = [];
    for (let r = 0; r < 200; r++) cases.push(Float64Array.from({ length: 250 }, () => rng.normal()));
    cases.push(Float64Array.from({ length: 250 }, (_, t) => (t === 7 ? 1e6 : rng.normal()))); // one outlier: buckets overflow
    cases.push(Float64Array.from({ length: 250 }, (_, t) => (t % 2 ? 1e308 : -1e308) * rng.next())); // range overflows
    cases.push(Float64Array.from({ length: 250 }, (_, t) => 1 + (t % 5) * Number.EPSILON)); // ties a few ulps apart
    cases.push(new Float64Array(250).fill(3.5));
    cases.push(Float64Array.from({ length: 250 }, (_, t) => Math.round(rng.normal() * 3))); // many ties
    cases.push(Float64Array.from({ length: 64 }, (_, t) => Math.exp(t)));
    for (const x of cases) {
      const n = x.length;
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      const c = new Float32Array(n);
      rankSeries(x, 0, n, a, 0, new Float64Array(n));
      rankSeriesMerge(x, 0, n, b, 0, new Float64Array(n));
      rankSeriesPlain(x, 0, n, c, 0, new Float64Array(n));
      expect(Array.from(a)).toEqual(Array.from(c));
      expect(Array.from(b)).toEqual(Array.from(c));
    }
  });

  it('kendallW (column sums) is bit-identical to kendallWPlain for 27, 19 and 7 neighbours, whole volume and slabs', () => {
    const rng = stream(8, 2);
    const [nx, ny, nz, n] = [9, 8, 7, 20];
    const plane = nx * ny;
    const index = new Int32Array(plane * nz).fill(-1);
    let count = 0;
    for (let v = 0; v < index.length; v++) if (rng.next() < 0.7) index[v] = count++;
    const series = Float64Array.from({ length: count * n }, () => Math.round(rng.normal() * 4));
    const ranks = new Float32Array(count * n);
    rankAll(series, count, n, ranks);
    for (const nb of [27, 19, 7] as Neighbours[]) {
      const a = new Float32Array(plane * nz);
      const b = new Float32Array(plane * nz);
      const region = { nx, ny, nzLocal: nz, z0Global: 0, nzGlobal: nz };
      kendallW(ranks, index, n, region, nb, 0, nz, a);
      kendallWPlain(ranks, index, n, region, nb, 0, nz, b);
      expect(a.some((w) => w > 0)).toBe(true);
      expect(Array.from(a)).toEqual(Array.from(b));
      // planes 2..4 from a local region of planes 1..5 (one halo plane each side)
      const sub = new Int32Array(plane * 5);
      for (let v = 0; v < sub.length; v++) sub[v] = index[v + plane]!;
      const c = new Float32Array(plane * 3);
      kendallW(ranks, sub, n, { nx, ny, nzLocal: 5, z0Global: 1, nzGlobal: nz }, nb, 1, 4, c);
      expect(Array.from(c)).toEqual(Array.from(a.subarray(2 * plane, 5 * plane)));
    }
  });

  it('centred doubled ranks equal 2·rank − (n + 1) of the plain twin: normal, outliers (fallback), huge range, ulp ties, constants, many ties', () => {
    const rng = stream(5, 3);
    const cases: Float64Array[] = [];
    for (let r = 0; r < 200; r++) cases.push(Float64Array.from({ length: 250 }, () => rng.normal()));
    cases.push(Float64Array.from({ length: 250 }, (_, t) => (t === 7 ? 1e6 : rng.normal())));
    cases.push(Float64Array.from({ length: 250 }, (_, t) => (t % 2 ? 1e308 : -1e308) * rng.next()));
    cases.push(Float64Array.from({ length: 250 }, (_, t) => 1 + (t % 5) * Number.EPSILON));
    cases.push(new Float64Array(250).fill(3.5));
    cases.push(Float64Array.from({ length: 250 }, () => Math.round(rng.normal() * 3)));
    cases.push(Float64Array.from({ length: 250 }, () => Math.round(rng.normal() * 30)));
    cases.push(Float64Array.from({ length: 64 }, (_, t) => Math.exp(t)));
    cases.push(Float64Array.from([2, 1]), Float64Array.from([5]), Float64Array.from([-0, 0, 1, -1]));
    for (const x of cases) {
      const n = x.length;
      const d = new Int16Array(n + 3);
      const r = new Float32Array(n);
      rankSeriesCentred(x, 0, n, d, 3);
      rankSeriesPlain(x, 0, n, r, 0, new Float64Array(n));
      expect(Array.from(d.subarray(3)), `n=${n}`).toEqual(Array.from(r, (q) => 2 * q - (n + 1)));
      expect(Array.from(d.subarray(0, 3))).toEqual([0, 0, 0]);
      // the same through rankRegion (one voxel), on the WebAssembly and the JavaScript paths
      for (const simd of [true, false]) {
        const rows = rankRows(1, n, 1, { simd });
        expect(rows.wasm !== null).toBe(simd);
        rankRegion(x, 1, n, Int32Array.of(0), 1, undefined, rows);
        expect(Array.from(rows.d.subarray(0, n)), `n=${n} simd ${simd}`).toEqual(Array.from(d.subarray(3)));
        expect(rows.d.subarray(n, rows.stride).every((q) => q === 0)).toBe(true);
      }
    }
  });

  it('kendallWCentred is bit-identical to kendallWPlain for 27, 19 and 7 neighbours, whole volume and slabs; rankRegion equals per-series ranking', () => {
    const rng = stream(8, 4);
    const [nx, ny, nz, n] = [9, 8, 7, 20];
    const plane = nx * ny;
    const nVox = plane * nz;
    const index = new Int32Array(nVox).fill(-1);
    let count = 0;
    for (let v = 0; v < nVox; v++) if (rng.next() < 0.7) index[v] = count++;
    // volume-major data with ties (rounded values) and a non-finite value (counts as 0)
    const data = Float64Array.from({ length: nVox * n }, () => Math.round(rng.normal() * 4));
    const vNan = index.findIndex((c) => c >= 0);
    data[vNan + 3 * nVox] = NaN;
    const series = new Float64Array(count * n);
    for (let v = 0; v < nVox; v++) if (index[v]! >= 0) for (let t = 0; t < n; t++) series[index[v]! * n + t] = data[v + t * nVox]!;
    series[index[vNan]! * n + 3] = 0;
    const ranks = new Float32Array(count * n);
    rankAll(series, count, n, ranks);
    for (const simd of [true, false]) {
      const rows = rankRows(count, n, nx, { simd });
      expect(rows.wasm !== null, `simd ${simd}`).toBe(simd);
      expect(rows.stride).toBe(24);
      rankRegion(data, nVox, n, index, nx, undefined, rows);
      const unpadded = Array.from({ length: count * n }, (_, i) => rows.d[Math.floor(i / n) * rows.stride + (i % n)]!);
      expect(unpadded).toEqual(Array.from(ranks, (q) => 2 * q - (n + 1)));
      for (const nb of [27, 19, 7] as Neighbours[]) {
        const a = new Float32Array(nVox);
        const b = new Float32Array(nVox);
        const region = { nx, ny, nzLocal: nz, z0Global: 0, nzGlobal: nz };
        kendallWCentred(rows, index, region, nb, 0, nz, a);
        kendallWPlain(ranks, index, n, region, nb, 0, nz, b);
        expect(a.some((w) => w > 0)).toBe(true);
        expect(Array.from(a), `${nb} simd ${simd}`).toEqual(Array.from(b));
        const sub = new Int32Array(plane * 5);
        for (let v = 0; v < sub.length; v++) sub[v] = index[v + plane]!;
        const c = new Float32Array(plane * 3);
        kendallWCentred(rows, sub, { nx, ny, nzLocal: 5, z0Global: 1, nzGlobal: nz }, nb, 1, 4, c);
        expect(Array.from(c)).toEqual(Array.from(a.subarray(2 * plane, 5 * plane)));
      }
    }
  });

  it('cleaned and ranked per slab (row-paired cleaner) gives bit-identical maps for every slab cut, within the tolerance of the plain cleaning', () => {
    const rng = stream(8, 5);
    const [nx, ny, nz, T] = [7, 6, 9, 64];
    const plane = nx * ny;
    const nVox = plane * nz;
    const mask = Uint8Array.from({ length: nVox }, () => (rng.next() < 0.75 ? 1 : 0));
    const shared = Float64Array.from({ length: T }, () => rng.normal());
    const data = new Float32Array(nVox * T);
    for (let v = 0; v < nVox; v++) for (let t = 0; t < T; t++) data[v + t * nVox] = 100 + (v % 5) * shared[t]! + rng.normal();
    const rp = Float64Array.from({ length: T * 6 }, () => 0.01 * rng.normal());
    const model = nuisanceModel(nuisanceDesign(T, { trend: true, friston24: friston24(rp, T), spikes: [5] }));
    const filt = new IdealBandpass(T, 2, [0.01, 0.1]);
    const cleaner = new SeriesCleaner(T, model, filt);
    const whole = rehoVolume(data, [nx, ny, nz, T], mask, 27, cleaner);
    expect(whole.some((w) => w > 0)).toBe(true);
    for (const cuts of [[0, 9], [0, 4, 9], [0, 1, 2, 5, 6, 9], [0, 3, 4, 7, 8, 9]]) {
      const out = new Float32Array(nVox);
      for (let s = 0; s + 1 < cuts.length; s++) {
        const z0 = cuts[s]!;
        const z1 = cuts[s + 1]!;
        const zl = Math.max(0, z0 - 1);
        const zh = Math.min(nz, z1 + 1);
        const regionVox = plane * (zh - zl);
        const region = new Float32Array(regionVox * T);
        for (let t = 0; t < T; t++) region.set(data.subarray(t * nVox + zl * plane, t * nVox + zh * plane), t * regionVox);
        const index = new Int32Array(regionVox).fill(-1);
        let count = 0;
        for (let v = 0; v < regionVox; v++) if (mask[v + zl * plane]) index[v] = count++;
        const rows = rankRows(count, T, nx);
        rankRegion(region, regionVox, T, index, nx, cleaner, rows);
        const w = new Float32Array((z1 - z0) * plane);
        kendallWCentred(rows, index, { nx, ny, nzLocal: zh - zl, z0Global: zl, nzGlobal: nz }, 27, z0 - zl, z1 - zl, w);
        out.set(w, z0 * plane);
      }
      expect(Array.from(out), cuts.join(',')).toEqual(Array.from(whole));
    }
    // the plain cleaning twin: the same map up to rank swaps of values closer than 1e-9 (none here)
    const clean = new Float64Array(nVox * T);
    const y = new Float64Array(T);
    const beta = new Float64Array(model.p);
    for (let v = 0; v < nVox; v++) {
      if (!mask[v]) continue;
      for (let t = 0; t < T; t++) y[t] = data[v + t * nVox]!;
      regressOut(model, y, y, beta);
      filt.apply(y, y);
      for (let t = 0; t < T; t++) clean[v + t * nVox] = y[t]!;
    }
    expect(Array.from(rehoVolume(clean, [nx, ny, nz, T], mask, 27))).toEqual(Array.from(whole));
  });

  it('W is 1 for identical series and 0 for two reversed ones', () => {
    expect(plainW([[1, 2, 3, 4], [1, 2, 3, 4]])).toBeCloseTo(1, 12);
    // 3×3×3 volume, only the centre voxel is computed (the rest lie on faces)
    const mk = (a: number[], b: number[]) => {
      const n = a.length;
      const data = new Float32Array(27 * n);
      const mask = new Uint8Array(27);
      mask[13] = 1;
      mask[14] = 1;
      for (let t = 0; t < n; t++) {
        data[13 + 27 * t] = a[t]!;
        data[14 + 27 * t] = b[t]!;
      }
      return rehoVolume(data, [3, 3, 3, n], mask, 27)[13]!;
    };
    expect(mk([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 6);
    expect(mk([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(0, 6);
    expect(mk([1, 2, 3, 4], [5, 5, 5, 5])).toBeCloseTo(plainW([[1, 2, 3, 4], [5, 5, 5, 5]]), 6);
  });

  it('fixture (27 neighbours): the numbers of DPABI y_reho on this fixture', () => {
    const reho = rehoVolume(func.data, dims4, maskVol, 27);
    let inMask = 0;
    let nonZero = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let v = 0; v < reho.length; v++) {
      if (maskVol[v]) inMask++;
      else expect(reho[v]).toBe(0);
      if (reho[v] !== 0) {
        nonZero++;
        lo = Math.min(lo, reho[v]!);
        hi = Math.max(hi, reho[v]!);
      }
    }
    expect(inMask).toBe(696);
    expect(nonZero).toBe(632);
    const st = maskStats(reho, maskVol);
    expect(st.mean).toBeCloseTo(0.35801, 5);
    expect(st.sd).toBeCloseTo(0.170374, 5);
    expect(lo).toBeCloseTo(0.1397, 4);
    expect(hi).toBeCloseTo(0.70678, 5);
  });

  for (const nb of [27, 19, 7] as Neighbours[]) {
    it(`fixture (${nb} neighbours) equals the brute-force definition, ties and the constant voxel included`, () => {
      const fast = rehoVolume(func.data, dims4, maskVol, nb);
      const ref = bruteReho(func.data, dims4, maskVol, nb);
      let worst = 0;
      for (let v = 0; v < ref.length; v++) worst = Math.max(worst, Math.abs(fast[v]! - ref[v]!));
      expect(worst).toBeLessThan(1e-6);
      // the constant voxel (6,6,5) is in the mask and has a value; the tie slab really has ties
      const [nx, ny, nz] = dims4;
      const nVox = nx * ny * nz;
      const cv = 6 + nx * (6 + ny * 5);
      expect(maskVol[cv]).toBeTruthy();
      expect(func.data[cv]).toBe(1000);
      expect(func.data[cv + 17 * nVox]).toBe(1000);
      expect(fast[cv]).toBeGreaterThan(0);
      const tv = 3 + nx * (4 + ny * 4);
      const s = Array.from({ length: dims4[3] }, (_, t) => func.data[tv + t * nVox]!);
      expect(new Set(s).size).toBeLessThan(s.length);
    });
  }

  it('kendallW on a slab with halo planes equals the whole-volume result', () => {
    const [nx, ny, nz, nt] = dims4;
    const nVox = nx * ny * nz;
    const whole = rehoVolume(func.data, dims4, maskVol, 27);
    const plane = nx * ny;
    for (const [z0, z1] of [
      [0, 3],
      [3, 7],
      [7, 10],
    ] as const) {
      const zl = Math.max(0, z0 - 1);
      const zh = Math.min(nz, z1 + 1);
      const index = new Int32Array((zh - zl) * plane).fill(-1);
      let c = 0;
      for (let v = 0; v < index.length; v++) if (maskVol[v + zl * plane]) index[v] = c++;
      const series = new Float64Array(c * nt);
      for (let v = 0; v < index.length; v++) if (index[v]! >= 0) for (let t = 0; t < nt; t++) series[index[v]! * nt + t] = func.data[v + zl * plane + t * nVox]!;
      const ranks = new Float32Array(c * nt);
      rankAll(series, c, nt, ranks);
      const out = new Float32Array((z1 - z0) * plane);
      kendallW(ranks, index, nt, { nx, ny, nzLocal: zh - zl, z0Global: zl, nzGlobal: nz }, 27, z0 - zl, z1 - zl, out);
      expect(Buffer.from(out.buffer).equals(Buffer.from(whole.buffer, z0 * plane * 4, (z1 - z0) * plane * 4))).toBe(true);
    }
  });

  it('mReHo, zReHo (ddof 1, border zeros in the statistics) and both smoothing orders', () => {
    const reho = rehoVolume(func.data, dims4, maskVol, 27);
    const dims: [number, number, number] = [dims4[0], dims4[1], dims4[2]];
    const vox: [number, number, number] = [3, 3, 3];
    const a = subjectMaps(reho, maskVol, dims, vox, 6, 'zThenSmooth');
    const b = subjectMaps(reho, maskVol, dims, vox, 6, 'smoothThenZ');
    const inMask: number[] = [];
    for (let v = 0; v < reho.length; v++) if (maskVol[v]) inMask.push(v);
    const mean = inMask.reduce((s, v) => s + reho[v]!, 0) / inMask.length;
    const sd = Math.sqrt(inMask.reduce((s, v) => s + (reho[v]! - mean) ** 2, 0) / (inMask.length - 1));
    expect(mean).toBeCloseTo(0.35801, 5);
    for (const v of inMask) {
      expect(a.mreho[v]).toBeCloseTo(reho[v]! / mean, 5);
      expect(a.zreho[v]).toBeCloseTo((reho[v]! - mean) / sd, 5);
    }
    // a face voxel in the mask has ReHo 0 and therefore z = −mean/sd
    const face = inMask.find((v) => reho[v] === 0)!;
    expect(a.zreho[face]).toBeCloseTo(-mean / sd, 5);
    const zs = smoothSpm(a.zreho, dims, vox, 6);
    expect(Array.from(a.szreho)).toEqual(Array.from(zs));
    const sr = smoothSpm(reho, dims, vox, 6);
    const st = maskStats(sr, maskVol);
    for (const v of inMask) expect(b.szreho[v]).toBeCloseTo((sr[v]! - st.mean) / st.sd, 5);
    let diff = 0;
    for (const v of inMask) diff = Math.max(diff, Math.abs(a.szreho[v]! - b.szreho[v]!));
    expect(diff).toBeGreaterThan(0.01);
  });
});

// ---------------------------------------------------------------- motion and nuisance
const rp120 = parseMotionText(readFileSync(join(VBM, 'motion_rp.txt'), 'utf8'), 'motion_rp.txt');
const rp200 = parseMotionText(readFileSync(join(VBM, 'ts_rp.txt'), 'utf8'), 'ts_rp.txt');
const wmCsf = readFileSync(join(VBM, 'ts_wm_csf.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
const tsBytes = readFileSync(join(VBM, 'ts_nuisance.f64'));
const ts = new Float64Array(tsBytes.buffer.slice(tsBytes.byteOffset, tsBytes.byteOffset + tsBytes.byteLength)); // 200 × 8, t-major

describe('motion: Power FD, Friston-24, spikes, QC', () => {
  it('FD on a hand-checked case', () => {
    const rp = Float64Array.from([0, 0, 0, 0, 0, 0, 0.1, -0.2, 0.05, 0.001, 0, -0.002, 0.1, -0.2, 0.05, 0.001, 0, -0.002]);
    const fd = powerFd(rp, 3);
    expect(fd[0]).toBe(0);
    expect(fd[1]).toBeCloseTo(0.35 + 50 * 0.003, 12);
    expect(fd[2]).toBe(0);
  });

  it('FD of motion_rp.txt (120 × 6) against a plain computation; row 2 by hand', () => {
    expect(rp120.T).toBe(120);
    const fd = powerFd(rp120.rp, 120);
    expect(fd[1]).toBeCloseTo(0.0262360796 + 0.0323359248 + 0.00837242364 + 50 * (3.16584078e-4 + 6.14103815e-4 + 2.57732383e-4), 9);
    for (let t = 1; t < 120; t++) {
      let s = 0;
      for (let c = 0; c < 6; c++) s += (c < 3 ? 1 : 50) * Math.abs(rp120.rp[t * 6 + c]! - rp120.rp[(t - 1) * 6 + c]!);
      expect(fd[t]).toBeCloseTo(s, 12);
    }
    const spikes = spikeVolumes(fd, 0.2);
    expect(spikes.every((t) => fd[t]! > 0.2)).toBe(true);
    expect(fd.filter((x) => x > 0.2).length).toBe(spikes.length);
  });

  it('Friston-24 is [R, R(t−1), R², R(t−1)²] with a zero first lag row', () => {
    const rp = Float64Array.from([1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]);
    const f = friston24(rp, 2);
    expect(Array.from(f.subarray(0, 24))).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 1, 4, 9, 16, 25, 36, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(f.subarray(24))).toEqual([-1, -2, -3, -4, -5, -6, 1, 2, 3, 4, 5, 6, 1, 4, 9, 16, 25, 36, 1, 4, 9, 16, 25, 36]);
  });

  it('QC: maxima, exclusion reasons', () => {
    const rp = Float64Array.from([0, 0, 0, 0, 0, 0, 3.5, 0, 0, 0, (4 * Math.PI) / 180, 0]);
    const fd = powerFd(rp, 2);
    const q = motionQc(rp, 2, fd, spikeVolumes(fd, 0.2).length);
    expect(q.maxTranslationMm).toBe(3.5);
    expect(q.maxRotationDeg).toBeCloseTo(4, 10);
    expect(q.spikes).toBe(1);
    expect(q.excluded).toBe(true);
    expect(q.reasons).toHaveLength(3);
    const ok = motionQc(rp120.rp, 120, powerFd(rp120.rp, 120), 0);
    expect(ok.excluded).toBe(false);
  });
});

/** Plain OLS: normal equations solved by Gauss–Jordan elimination. */
function plainResiduals(X: number[][], y: number[]): number[] {
  const p = X[0]!.length;
  const A = Array.from({ length: p }, (_, a) => [...Array.from({ length: p }, (_, b) => X.reduce((s, r) => s + r[a]! * r[b]!, 0)), X.reduce((s, r, i) => s + r[a]! * y[i]!, 0)]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    const d = A[c]![c]!;
    for (let j = 0; j <= p; j++) A[c]![j]! /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r]![c]!;
      for (let j = 0; j <= p; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  const b = A.map((r) => r[p]!);
  return y.map((yi, i) => yi - X[i]!.reduce((s, x, j) => s + x * b[j]!, 0));
}

describe('nuisance regression (fixture series: 200 × 8, ts_rp, ts_wm_csf)', () => {
  const T = 200;
  const fd = powerFd(rp200.rp, T);
  const spikes = spikeVolumes(fd, 0.2);
  const design = nuisanceDesign(T, { trend: true, friston24: friston24(rp200.rp, T), spikes, wm: Float64Array.from(wmCsf.map((r) => r[0]!)), csf: Float64Array.from(wmCsf.map((r) => r[1]!)) });

  it('design: [1, t, Friston-24, spikes, WM, CSF], all but the constant demeaned', () => {
    expect(spikes.length).toBeGreaterThan(0); // the z jump at volume 120
    expect(spikes).toContain(120);
    expect(design.p).toBe(2 + 24 + spikes.length + 2);
    expect(design.columns.slice(0, 3)).toEqual(['constant', 'trend', 'trans_x']);
    expect(design.columns.slice(-2)).toEqual(['wm', 'csf']);
    for (let j = 1; j < design.p; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += design.X[t * design.p + j]!;
      expect(Math.abs(s)).toBeLessThan(1e-8 * T);
    }
    expect(design.X[0]).toBe(1);
    expect(design.X[1]).toBeCloseTo(1 - 100.5, 12);
  });

  it('residuals equal a plain normal-equations fit for all 8 series and are orthogonal to the design', () => {
    const model = nuisanceModel(design);
    const Xrows = Array.from({ length: T }, (_, t) => Array.from(design.X.subarray(t * design.p, (t + 1) * design.p)));
    const beta = new Float64Array(model.p);
    const out = new Float64Array(T);
    for (let v = 0; v < 8; v++) {
      const y = Float64Array.from({ length: T }, (_, t) => ts[t * 8 + v]!);
      regressOut(model, y, out, beta);
      const ref = plainResiduals(Xrows, Array.from(y));
      for (let t = 0; t < T; t++) expect(out[t]).toBeCloseTo(ref[t]!, 6);
      for (let j = 0; j < model.p; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += model.X[t * model.p + j]! * out[t]!;
        expect(Math.abs(s)).toBeLessThan(1e-6 * T * 100);
      }
      // no mean added back
      expect(Math.abs(out.reduce((a, b) => a + b, 0))).toBeLessThan(1e-7);
    }
  });

  it('an all-zero series stays zero; a series in the design span goes to zero; all-zero columns are dropped', () => {
    const model = nuisanceModel(design);
    const beta = new Float64Array(model.p);
    const out = new Float64Array(T).fill(5);
    regressOut(model, new Float64Array(T), out, beta);
    expect(out.every((x) => x === 0)).toBe(true);
    const y = Float64Array.from({ length: T }, (_, t) => 3 + 2 * design.X[t * design.p + 1]! - 0.5 * design.X[t * design.p + design.p - 1]!);
    regressOut(model, y, out, beta);
    expect(Math.max(...Array.from(out, Math.abs))).toBeLessThan(1e-8);
    const still = nuisanceModel(nuisanceDesign(10, { trend: true, friston24: friston24(new Float64Array(60), 10), spikes: [] }));
    expect(still.p).toBe(2);
    expect(still.dropped).toHaveLength(24);
  });
});

// ---------------------------------------------------------------- band-pass
function plainDftFilter(x: number[], TR: number, lo: number, hi: number): number[] {
  const T = x.length;
  let N = 1;
  while (N < T) N *= 2;
  const mean = x.reduce((a, b) => a + b, 0) / T;
  const xp = Array.from({ length: N }, (_, t) => (t < T ? x[t]! - mean : 0));
  const loIdx = Math.ceil(lo * N * TR + 1);
  const hiIdx = Math.trunc(hi * N * TR + 1);
  const keep = (k1: number) => (k1 >= loIdx && k1 <= hiIdx) || (N - k1 + 2 >= loIdx && N - k1 + 2 <= hiIdx);
  const Xr: number[] = [];
  const Xi: number[] = [];
  for (let k = 0; k < N; k++) {
    let r = 0;
    let i = 0;
    if (keep(k + 1)) {
      for (let t = 0; t < N; t++) {
        r += xp[t]! * Math.cos((2 * Math.PI * k * t) / N);
        i -= xp[t]! * Math.sin((2 * Math.PI * k * t) / N);
      }
    }
    Xr.push(r);
    Xi.push(i);
  }
  return Array.from({ length: T }, (_, t) => {
    let s = 0;
    for (let k = 0; k < N; k++) s += Xr[k]! * Math.cos((2 * Math.PI * k * t) / N) - Xi[k]! * Math.sin((2 * Math.PI * k * t) / N);
    return s / N + mean;
  });
}

describe('FFT and ideal band-pass', () => {
  it('FFT of a small vector equals the DFT, inverse restores it', () => {
    const x = [1, -2, 3.5, 0, 0.25, 7, -1, 2];
    const re = Float64Array.from(x);
    const im = new Float64Array(8);
    new Fft(8).transform(re, im);
    for (let k = 0; k < 8; k++) {
      const r = x.reduce((s, v, t) => s + v * Math.cos((2 * Math.PI * k * t) / 8), 0);
      const i = x.reduce((s, v, t) => s - v * Math.sin((2 * Math.PI * k * t) / 8), 0);
      expect(re[k]).toBeCloseTo(r, 12);
      expect(im[k]).toBeCloseTo(i, 12);
    }
    new Fft(8).transform(re, im, true);
    for (let t = 0; t < 8; t++) expect(re[t]).toBeCloseTo(x[t]!, 12);
  });

  it('T = 195, TR = 2 s, 0.01–0.08 Hz → N = 256, bins 7..41 and mirrors', () => {
    const f = new IdealBandpass(195, 2, [0.01, 0.08]);
    expect(f.N).toBe(256);
    expect(f.loBin).toBe(7);
    expect(f.hiBin).toBe(41);
    const kept = Array.from(f.keep).flatMap((k, i) => (k ? [i + 1] : []));
    const expected = [...Array.from({ length: 35 }, (_, i) => 7 + i), ...Array.from({ length: 35 }, (_, i) => 256 - (7 + i) + 2)].sort((a, b) => a - b);
    expect(kept).toEqual(expected);
  });

  it('equals a plain DFT filter on the fixture series after nuisance regression (mean added back)', () => {
    const T = 200;
    const f = new IdealBandpass(T, 2, [0.01, 0.08]);
    expect(f.N).toBe(256);
    const out = new Float64Array(T);
    for (const v of [0, 5]) {
      const y = Float64Array.from({ length: T }, (_, t) => ts[t * 8 + v]!);
      f.apply(y, out);
      const ref = plainDftFilter(Array.from(y), 2, 0.01, 0.08);
      for (let t = 0; t < T; t++) expect(out[t]).toBeCloseTo(ref[t]!, 8);
      const mean = y.reduce((a, b) => a + b, 0) / T;
      expect(out.reduce((a, b) => a + b, 0) / T).not.toBeCloseTo(0, 1);
      expect(Math.abs(out.reduce((a, b) => a + b, 0) / T - mean)).toBeLessThan(5);
    }
  });

  it('passes an in-band sinusoid on an exact bin and removes an out-of-band one (T = N = 256)', () => {
    const T = 256;
    const f = new IdealBandpass(T, 2, [0.01, 0.08]);
    const fin = 20 / (256 * 2); // bin 21 (1-based), in 7..41
    const fout = 60 / (256 * 2); // bin 61
    const x = Float64Array.from({ length: T }, (_, t) => 100 + Math.sin(2 * Math.PI * fin * 2 * t) + 0.7 * Math.cos(2 * Math.PI * fout * 2 * t));
    const out = new Float64Array(T);
    f.apply(x, out);
    for (let t = 0; t < T; t++) expect(out[t]).toBeCloseTo(100 + Math.sin(2 * Math.PI * fin * 2 * t), 9);
  });
});

describe('WM/CSF mean signals from masks', () => {
  // 3×2×2 grid, 3 volumes: value = 100·t + voxel index
  const nVox = 12;
  const T = 3;
  const data = Float32Array.from({ length: nVox * T }, (_, i) => 100 * Math.floor(i / nVox) + (i % nVox));
  // probability map: voxels 1 (0.995), 4 (1), 10 (0.9999) are in; 2 (exactly 0.99), 7 (0.5) and a NaN are out
  const prob = new Float32Array(nVox);
  prob[1] = 0.995;
  prob[4] = 1;
  prob[10] = 0.9999;
  prob[2] = 0.99;
  prob[7] = 0.5;
  prob[5] = NaN;

  it('thresholds > 0.99 and averages by hand: (1 + 4 + 10) / 3 = 5 → 5, 105, 205', () => {
    const vox = tissueVoxels(prob, 0.99);
    expect(Array.from(vox)).toEqual([1, 4, 10]);
    const r = meanSignal(data, nVox, T, vox, 'wm');
    expect(r.voxels).toBe(3);
    expect(Array.from(r.signal)).toEqual([5, 105, 205]);
    // a binary mask passes unchanged
    expect(Array.from(tissueVoxels(Float32Array.from([0, 1, 1, 0]), 0.99))).toEqual([1, 2]);
  });

  it('a voxel with a non-finite value leaves every volume mean: (1 + 10) / 2 = 5.5', () => {
    const d = data.slice();
    d[4 + nVox] = NaN;
    expect(Array.from(meanSignal(d, nVox, T, tissueVoxels(prob, 0.99), 'wm').signal)).toEqual([5.5, 105.5, 205.5]);
  });

  it('a z-range restricts the voxels (indices relative to its first voxel); empty masks are named errors', () => {
    // planes of 6 voxels: z = 0 holds 0..5, z = 1 holds 6..11
    expect(tissueZRange([prob], 0.99, 6, 2)).toEqual([0, 2]);
    const upper = new Float32Array(nVox);
    upper[10] = 1;
    expect(tissueZRange([upper], 0.99, 6, 2)).toEqual([1, 2]);
    expect(Array.from(tissueVoxels(prob, 0.99, 6, 6))).toEqual([4]);
    // the z = 1 plane of every volume back to back, with the voxels tissueVoxels finds in it (voxel 10 = plane index 4)
    const upperPlane = Float32Array.from({ length: 6 * T }, (_, i) => data[6 + (i % 6) + nVox * Math.floor(i / 6)]!);
    expect(Array.from(meanSignal(upperPlane, 6, T, tissueVoxels(prob, 0.99, 6, 6), 'wm').signal)).toEqual([10, 110, 210]);
    expect(tissueZRange([new Float32Array(nVox).fill(0.5)], 0.99, 6, 2)).toBeNull();
    expect(() => meanSignal(data, nVox, T, new Int32Array(0), 'inputs.csfMask')).toThrow(expect.objectContaining({ name: 'EmptyData', input: 'inputs.csfMask' }));
    const allNan = data.slice();
    allNan[1] = NaN;
    expect(() => meanSignal(allNan, nVox, T, Int32Array.from([1]), 'wm')).toThrow(expect.objectContaining({ name: 'EmptyData' }));
  });
});

// ---------------------------------------------------------------- fused cleaning (fast kernel vs regressOut + IdealBandpass twin)
describe('SeriesCleaner: regression folded into the spectrum, two series per complex FFT', () => {
  const T = 250;
  const rng = stream(77, 0);
  const rp = Float64Array.from({ length: T * 6 }, () => 0.01 * rng.normal());
  const wm = Float64Array.from({ length: T }, () => rng.normal());
  const csf = Float64Array.from({ length: T }, () => rng.normal());
  const model = nuisanceModel(nuisanceDesign(T, { trend: true, friston24: friston24(rp, T), spikes: [3, 40], wm, csf }));
  const count = 9; // odd: the last series goes through clean() alone
  const series = Float64Array.from({ length: count * T }, (_, i) => 1000 + 5 * Math.sin(i / 7) + 3 * rng.normal());
  // TOLERANCE: |fast − twin| ≤ 1e-9 × max |twin| + 1e-9 (observed ~1e-12)
  const check = (m: typeof model | undefined, f: IdealBandpass | undefined, T0 = T) => {
    const base = series.slice(0, count * T0);
    base.fill(0, 4 * T0, 5 * T0); // an all-zero series stays all zero
    const twin = base.slice();
    const beta = new Float64Array(m ? m.p : 1);
    for (let c = 0; c < count; c++) {
      if (m) regressOut(m, twin, twin, beta, c * T0, c * T0);
      if (f) f.apply(twin, twin, c * T0, c * T0);
    }
    const fast = base.slice();
    const cl = new SeriesCleaner(T0, m, f);
    for (let c = 0; c + 1 < count; c += 2) cl.cleanPair(fast, fast, c * T0, (c + 1) * T0);
    cl.clean(fast, (count - 1) * T0);
    // the same series cleaned alone and paired differently agrees within the same tolerance
    const alone = base.slice(T0, 2 * T0);
    cl.clean(alone);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < twin.length; i++) {
      scale = Math.max(scale, Math.abs(twin[i]!));
      diff = Math.max(diff, Math.abs(twin[i]! - fast[i]!));
    }
    for (let t = 0; t < T0; t++) diff = Math.max(diff, Math.abs(alone[t]! - twin[T0 + t]!));
    expect(scale).toBeGreaterThan(0.1);
    expect(diff).toBeLessThanOrEqual(1e-9 * scale + 1e-9);
    for (let t = 0; t < T0; t++) expect(fast[4 * T0 + t]).toBe(0);
    return diff;
  };
  it('nuisance + band-pass (mean added back), band-pass only, regression only', () => {
    check(model, new IdealBandpass(T, 2, [0.01, 0.08], true));
    check(model, new IdealBandpass(T, 2, [0.01, 0.08], false));
    check(undefined, new IdealBandpass(T, 2, [0.01, 0.08], true));
    check(model, undefined);
    check(model, new IdealBandpass(T, 2, [0.01, 0]), T); // high-pass only
  });
  it('a non-power-of-two T with few bins, and a design without the constant (g ≠ 0)', () => {
    const T2 = 37;
    const X = Float64Array.from({ length: T2 * 2 }, (_, i) => (i % 2 === 0 ? Math.sin(i) : (i >> 1) / T2));
    const m2 = nuisanceModel({ X, T: T2, p: 2, columns: ['s', 'lin'] });
    check(m2, new IdealBandpass(T2, 2, [0.01, 0.2]), T2);
    check(m2, undefined, T2);
  });
  it('the WebAssembly SIMD path is bit-identical to the JavaScript path (pairs, alone, zero series, every configuration)', () => {
    const cases: [typeof model | undefined, IdealBandpass][] = [
      [model, new IdealBandpass(T, 2, [0.01, 0.08], true)],
      [undefined, new IdealBandpass(T, 2, [0.01, 0.08], false)],
      [model, new IdealBandpass(T, 2, [0.01, 0])],
    ];
    for (const [m, f] of cases) {
      const simd = new SeriesCleaner(T, m, f);
      const js = new SeriesCleaner(T, m, f, { simd: false });
      expect(simd.simd).toBe(true);
      expect(js.simd).toBe(false);
      const a = series.slice();
      a.fill(0, 2 * T, 3 * T);
      const b = a.slice();
      for (const cl of [simd, js]) {
        const x = cl === simd ? a : b;
        for (let c = 0; c + 1 < count; c += 2) cl.cleanPair(x, x, c * T, (c + 1) * T);
        cl.clean(x, (count - 1) * T);
      }
      expect(a.some((v, i) => v !== series[i])).toBe(true);
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect(a[i], `value ${i}`).toBe(b[i]);
    }
  });
  it('a wrong-length model or filter is a named error', () => {
    expect(() => new SeriesCleaner(100, model, undefined)).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
    expect(() => new SeriesCleaner(100, undefined, new IdealBandpass(T, 2, [0.01, 0.08]))).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
  });
});
