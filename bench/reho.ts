import { stream } from '../shared/random.ts';
import { rehoVolume } from '../shared/reho/kcc.ts';
import { IdealBandpass } from '../shared/reho/filter.ts';
import { nuisanceDesign, nuisanceModel, regressOut } from '../shared/reho/nuisance.ts';
import { friston24 } from '../shared/reho/motion.ts';

/**
 * A straightforward ReHo for one voxel: gather the in-mask neighbours' series as plain
 * arrays, rank each with a comparator sort and a tie pass, sum ranks, Kendall's W.
 */
export function naiveRehoVoxel(data: Float32Array, dims: [number, number, number, number], mask: Uint8Array, x: number, y: number, z: number): number {
  const [nx, ny, nz, nt] = dims;
  const nVox = nx * ny * nz;
  if (x < 1 || y < 1 || z < 1 || x > nx - 2 || y > ny - 2 || z > nz - 2 || !mask[x + nx * (y + ny * z)]) return 0;
  const ranks: number[][] = [];
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const v = x + dx + nx * (y + dy + ny * (z + dz));
        if (!mask[v]) continue;
        const s: number[] = [];
        for (let t = 0; t < nt; t++) s.push(data[v + t * nVox]!);
        const order = s.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
        const r = new Array<number>(nt);
        let i = 0;
        while (i < nt) {
          let j = i;
          while (j + 1 < nt && order[j + 1]!.value === order[i]!.value) j++;
          for (let q = i; q <= j; q++) r[order[q]!.i] = (i + j + 2) / 2;
          i = j + 1;
        }
        ranks.push(r);
      }
  const k = ranks.length;
  const R = Array.from({ length: nt }, (_, t) => ranks.reduce((a, r) => a + r[t]!, 0));
  const mean = R.reduce((a, b) => a + b, 0) / nt;
  const S = R.reduce((a, b) => a + (b - mean) ** 2, 0);
  return (12 * S) / (k * k * (nt ** 3 - nt));
}

export interface RehoBenchResult {
  /** seconds, one subject, one core: rank every in-mask series + Kendall's W (rehoVolume) */
  fast: number;
  /** seconds for the same with the straightforward per-voxel version (every 20th in-mask voxel timed, scaled to the mask) */
  naive: number;
  /** CPU seconds of the kernel and of the cleaning (the machine may be shared) */
  fastCpu: number;
  cleanCpu: number;
  /** seconds for nuisance regression (trend, Friston-24, 2 spikes, WM, CSF) + band-pass of every in-mask series */
  clean: number;
  /** fast + clean: what one subject costs in the slab workers, without I/O */
  perSubject: number;
  voxels: number;
  /** largest |W_fast − W_naive| over the voxels checked */
  maxDiff: number;
}

/**
 * ReHo of one subject on a 61×73×61 grid × `nt` volumes (default 250; ellipsoid mask of 57 469
 * voxels), single core: the kernel (rank in-mask series + Kendall's W) against the naive
 * version in the same run. About 10 s in all on the development machine (kernel ≈ 2.5 s,
 * cleaning ≈ 2.6 s, naive ≈ 76 s projected). For bench/run.ts:
 * `const r = rehoBench(); line('ReHo per subject 61×73×61×250 (s/core)', `${r.fast.toFixed(2)} s`, `${r.naive.toFixed(1)} s`, r.naive / r.fast);`
 */
export function rehoBench(nt = 250): RehoBenchResult {
  const dims: [number, number, number, number] = [61, 73, 61, nt];
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  const mask = new Uint8Array(nVox);
  let voxels = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const d = ((x - 30) / 22) ** 2 + ((y - 36) / 26) ** 2 + ((z - 30) / 24) ** 2;
        if (d <= 1) {
          mask[x + nx * (y + ny * z)] = 1;
          voxels++;
        }
      }
  const rng = stream(2024, 0);
  const data = new Float32Array(nVox * nt);
  const shared = Float64Array.from({ length: nt }, () => rng.normal());
  for (let v = 0; v < nVox; v++) {
    if (!mask[v]) continue;
    const w = (v % 7) / 7;
    for (let t = 0; t < nt; t++) data[v + t * nVox] = 1000 + 5 * w * shared[t]! + 3 * rng.normal();
  }
  const t0 = performance.now();
  let c0 = process.cpuUsage();
  const fastMap = rehoVolume(data, dims, mask, 27);
  let c = process.cpuUsage(c0);
  const fast = (performance.now() - t0) / 1000;
  const fastCpu = (c.user + c.system) / 1e6;

  // cleaning: Friston-24 + trend + WM/CSF, band-pass, on every in-mask series
  const rp = Float64Array.from({ length: nt * 6 }, () => 0.01 * rng.normal());
  const model = nuisanceModel(nuisanceDesign(nt, { trend: true, friston24: friston24(rp, nt), spikes: [3, 40], wm: Float64Array.from({ length: nt }, () => rng.normal()), csf: Float64Array.from({ length: nt }, () => rng.normal()) }));
  const filt = new IdealBandpass(nt, 2, [0.01, 0.08]);
  const y = new Float64Array(nt);
  const beta = new Float64Array(model.p);
  const t1 = performance.now();
  c0 = process.cpuUsage();
  for (let v = 0; v < nVox; v++) {
    if (!mask[v]) continue;
    for (let t = 0; t < nt; t++) y[t] = data[v + t * nVox]!;
    regressOut(model, y, y, beta);
    filt.apply(y, y);
  }
  const clean = (performance.now() - t1) / 1000;
  c = process.cpuUsage(c0);
  const cleanCpu = (c.user + c.system) / 1e6;

  // naive on a subset of in-mask voxels (every 20th), scaled
  let done = 0;
  let maxDiff = 0;
  const t2 = performance.now();
  for (let v = 0; v < nVox; v += 20) {
    if (!mask[v]) continue;
    const x = v % nx;
    const yy = Math.floor(v / nx) % ny;
    const z = Math.floor(v / (nx * ny));
    const w = naiveRehoVoxel(data, dims, mask, x, yy, z);
    maxDiff = Math.max(maxDiff, Math.abs(w - fastMap[v]!));
    done++;
  }
  const naive = ((performance.now() - t2) / 1000) * (voxels / done);
  return { fast, fastCpu, naive, clean, cleanCpu, perSubject: fast + clean, voxels, maxDiff };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = rehoBench();
  console.log(`ReHo 61×73×61×250, ${r.voxels} in-mask voxels: kernel ${r.fast.toFixed(2)} s, naive ${r.naive.toFixed(1)} s (×${(r.naive / r.fast).toFixed(1)}), cleaning ${r.clean.toFixed(2)} s, max |diff| ${r.maxDiff.toExponential(2)}`);
}
