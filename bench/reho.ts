import { stream } from '../shared/random.ts';
import { kendallWPlain, rankSeriesMerge, rehoVolume } from '../shared/reho/kcc.ts';
import { IdealBandpass } from '../shared/reho/filter.ts';
import { nuisanceDesign, nuisanceModel, regressOut } from '../shared/reho/nuisance.ts';
import { friston24 } from '../shared/reho/motion.ts';
import { SeriesCleaner } from '../shared/reho/clean.ts';
import { ANCHORS } from './anchors.ts';

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

/** A second reference figure for ReHo, same machine kind (with its source). */
export const REHO_NUMPY_ANCHOR = { secondsPerSubject: 6.1, source: 'a tuned numpy ReHo, one 61×73×61×250 subject, same machine kind' } as const;

/** The per-subject targets of the speed issue (CPU seconds per core). */
export const REHO_TARGETS = { kccSeconds: 0.7, cleanSeconds: 0.7 } as const;

export interface RehoBenchResult {
  /** seconds (wall), one subject, one core: gather + rank every in-mask series + Kendall's W (rehoVolume) */
  fast: number;
  /** seconds for the same with the straightforward per-voxel version (every 60th grid voxel in the mask timed, scaled to the mask) */
  naive: number;
  /** CPU seconds of the kernel (gather + rank + W, WebAssembly SIMD sums) — the machine may be shared */
  fastCpu: number;
  /** CPU seconds of the same kernel on its JavaScript path (no WebAssembly) and whether its map is bit-identical */
  jsCpu: number;
  jsIdentical: boolean;
  /** CPU seconds of the twin kernel (merge-sort ranks, per-voxel W) and whether its map is bit-identical */
  twinCpu: number;
  twinIdentical: boolean;
  /** CPU seconds of SeriesCleaner (WebAssembly SIMD) over every in-mask series (series-major, gather not included) */
  cleanCpu: number;
  /** CPU seconds of SeriesCleaner's JavaScript path over the same series, and whether it is bit-identical */
  cleanJsCpu: number;
  cleanJsIdentical: boolean;
  /** CPU seconds of the plain cleaning twin (regressOut + IdealBandpass.apply per series) */
  cleanTwinCpu: number;
  /** CPU seconds of gathering the in-mask series from the volume-major 4-D array (not in cleanCpu) */
  gatherCpu: number;
  /** largest |fast − twin| over all cleaned series, over the largest |twin| */
  cleanRelDiff: number;
  /** CPU seconds of what one subject costs in a slab worker without I/O: gather, clean, rank, W (rehoVolume with the cleaner) */
  subjectCpu: number;
  /** seconds (wall) of cleaning every in-mask series */
  clean: number;
  /** fast + clean: what one subject costs in the slab workers, without I/O (wall) */
  perSubject: number;
  voxels: number;
  nt: number;
  /** nuisance regressors of the cleaning design */
  p: number;
  /** largest |W_fast − W_naive| over the voxels checked */
  maxDiff: number;
}

const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;

/**
 * ReHo of one subject on a 61×73×61 grid × `nt` volumes (default 250; ellipsoid mask of 57 469
 * voxels), single core: the kernel (gather + rank in-mask series + Kendall's W) against its
 * JavaScript path, the plain twin and the naive version in the same process; the cleaning
 * (trend, Friston-24, 2 spikes, WM, CSF, 0.01–0.08 Hz band-pass) against its JavaScript path and
 * the plain twin. CPU times (process.cpuUsage), since the machine may be shared.
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
  // warm-up on a small volume (JIT, wasm compile) so the timed runs measure steady state
  rehoVolume(data.subarray(0, nVox * 8), [nx, ny, nz, 8], mask, 27);
  const t0 = performance.now();
  let c0 = process.cpuUsage();
  const fastMap = rehoVolume(data, dims, mask, 27);
  const fastCpu = cpu(process.cpuUsage(c0));
  const fast = (performance.now() - t0) / 1000;
  c0 = process.cpuUsage();
  const jsMap = rehoVolume(data, dims, mask, 27, undefined, { simd: false });
  const jsCpu = cpu(process.cpuUsage(c0));
  // the plain twin: index merge sort + per-voxel rank-row sums (same map, bit for bit)
  c0 = process.cpuUsage();
  const twinMap = rehoTwin(data, dims, mask);
  const twinCpu = cpu(process.cpuUsage(c0));
  let twinIdentical = true;
  let jsIdentical = true;
  for (let v = 0; v < nVox; v++) {
    if (!Object.is(twinMap[v], fastMap[v])) twinIdentical = false;
    if (!Object.is(jsMap[v], fastMap[v])) jsIdentical = false;
  }

  // cleaning: Friston-24 + trend + WM/CSF + 2 spikes, band-pass, on every in-mask series
  const rp = Float64Array.from({ length: nt * 6 }, () => 0.01 * rng.normal());
  const model = nuisanceModel(nuisanceDesign(nt, { trend: true, friston24: friston24(rp, nt), spikes: [3, 40], wm: Float64Array.from({ length: nt }, () => rng.normal()), csf: Float64Array.from({ length: nt }, () => rng.normal()) }));
  const filt = new IdealBandpass(nt, 2, [0.01, 0.08]);
  const beta = new Float64Array(model.p);
  const cleaner = new SeriesCleaner(nt, model, filt);
  const cleanerJs = new SeriesCleaner(nt, model, filt, { simd: false });
  // volume-major to series-major in blocks of grid voxels, timed on its own
  c0 = process.cpuUsage();
  const index = new Int32Array(nVox).fill(-1);
  let count = 0;
  for (let v = 0; v < nVox; v++) if (mask[v]) index[v] = count++;
  const series = new Float64Array(count * nt);
  for (let v0 = 0; v0 < nVox; v0 += 1024) {
    const v1 = Math.min(nVox, v0 + 1024);
    for (let t = 0; t < nt; t++) {
      const o = t * nVox;
      for (let v = v0; v < v1; v++) {
        const ci = index[v]!;
        if (ci >= 0) series[ci * nt + t] = data[o + v]!;
      }
    }
  }
  const gatherCpu = cpu(process.cpuUsage(c0));
  const twin = series.slice();
  const viaJs = series.slice();
  const cleanAll = (cl: SeriesCleaner, s: Float64Array) => {
    for (let i = 0; i < count; i += 2) {
      if (i + 1 < count) cl.cleanPair(s, s, i * nt, (i + 1) * nt);
      else cl.clean(s, i * nt);
    }
  };
  const t1 = performance.now();
  c0 = process.cpuUsage();
  cleanAll(cleaner, series);
  const cleanCpu = cpu(process.cpuUsage(c0));
  const clean = (performance.now() - t1) / 1000;
  c0 = process.cpuUsage();
  cleanAll(cleanerJs, viaJs);
  const cleanJsCpu = cpu(process.cpuUsage(c0));
  c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    regressOut(model, twin, twin, beta, i * nt, i * nt);
    filt.apply(twin, twin, i * nt, i * nt);
  }
  const cleanTwinCpu = cpu(process.cpuUsage(c0));
  let cleanDiff = 0;
  let cleanScale = 0;
  let cleanJsIdentical = true;
  for (let i = 0; i < twin.length; i++) {
    cleanDiff = Math.max(cleanDiff, Math.abs(twin[i]! - series[i]!));
    cleanScale = Math.max(cleanScale, Math.abs(twin[i]!));
    if (!Object.is(viaJs[i], series[i])) cleanJsIdentical = false;
  }
  // one subject as a slab worker does it (gather, clean, rank, W), without I/O
  c0 = process.cpuUsage();
  rehoVolume(data, dims, mask, 27, cleaner);
  const subjectCpu = cpu(process.cpuUsage(c0));

  // naive on a subset of in-mask voxels (every 60th), scaled
  let done = 0;
  let maxDiff = 0;
  const t2 = performance.now();
  for (let v = 0; v < nVox; v += 60) {
    if (!mask[v]) continue;
    const x = v % nx;
    const yy = Math.floor(v / nx) % ny;
    const z = Math.floor(v / (nx * ny));
    const w = naiveRehoVoxel(data, dims, mask, x, yy, z);
    maxDiff = Math.max(maxDiff, Math.abs(w - fastMap[v]!));
    done++;
  }
  const naive = ((performance.now() - t2) / 1000) * (voxels / done);
  return {
    fast, naive, fastCpu, jsCpu, jsIdentical, twinCpu, twinIdentical, cleanCpu, cleanJsCpu, cleanJsIdentical, cleanTwinCpu, gatherCpu,
    cleanRelDiff: cleanDiff / cleanScale, subjectCpu, clean, perSubject: fast + clean, voxels, nt, p: model.p, maxDiff,
  };
}

const x = (a: number, b: number) => `×${(a / b).toPrecision(3)}`;

/**
 * The bench lines for ReHo: each kernel's CPU time, its target, the ratio to its twins measured in
 * the same process, the anchors (DPABI y_reho in Octave; a tuned numpy version) and the physical
 * bound (bytes touched / `bandwidth`, bytes/s read + write).
 */
export function rehoBenchLines(r: RehoBenchResult, bandwidth: number): string[] {
  const ms = (bytes: number) => `${((bytes / bandwidth) * 1000).toFixed(0)} ms`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  const stride = Math.ceil(r.nt / 8) * 8;
  // kernel: the float32 4-D data of the in-mask voxels read once; Int16 rank rows written once and read three times (z-sums)
  const kccBytes = r.voxels * r.nt * 4 + r.voxels * stride * 2 * 4;
  // cleaning: every series read and written once (float64, as the bench holds them) — it is arithmetic-bound, see flops
  const cleanBytes = r.voxels * r.nt * 8 * 2;
  const N = 2 ** Math.ceil(Math.log2(r.nt));
  const flops = r.voxels * (2 * r.p * r.nt + 2 * 5 * N * Math.log2(N) * 0.5 + 4 * r.nt);
  const dp = ANCHORS.reho;
  const np = REHO_NUMPY_ANCHOR;
  const ok = (v: number, t: number) => (v <= t ? 'met' : 'NOT met');
  return [
    `ReHo KCC (rank + Kendall W, 27 nb) ${r.voxels} voxels × ${r.nt}: CPU ${r.fastCpu.toFixed(3)} s (target ≤ ${REHO_TARGETS.kccSeconds} s: ${ok(r.fastCpu, REHO_TARGETS.kccSeconds)}); ` +
      `JavaScript path ${r.jsCpu.toFixed(3)} s (${x(r.jsCpu, r.fastCpu)}, map ${r.jsIdentical ? 'bit-identical' : 'DIFFERS'}); plain twin ${r.twinCpu.toFixed(3)} s (${x(r.twinCpu, r.fastCpu)}, map ${r.twinIdentical ? 'bit-identical' : 'DIFFERS'}); ` +
      `naive per-voxel ${r.naive.toFixed(1)} s wall (${x(r.naive, r.fast)}), max |ΔW| ${r.maxDiff.toExponential(1)}; bound: ${mb(kccBytes)} touched = ${ms(kccBytes)}`,
    `ReHo cleaning (${r.p} regressors + band-pass, N = ${N} FFT) ${r.voxels} series: CPU ${r.cleanCpu.toFixed(3)} s (target ≤ ${REHO_TARGETS.cleanSeconds} s: ${ok(r.cleanCpu, REHO_TARGETS.cleanSeconds)}); ` +
      `JavaScript path ${r.cleanJsCpu.toFixed(3)} s (${x(r.cleanJsCpu, r.cleanCpu)}, ${r.cleanJsIdentical ? 'bit-identical' : 'DIFFERS'}); plain twin ${r.cleanTwinCpu.toFixed(3)} s (${x(r.cleanTwinCpu, r.cleanCpu)}, max relative difference ${r.cleanRelDiff.toExponential(1)}, tolerance 1e-9); ` +
      `bound: ${mb(cleanBytes)} read + written = ${ms(cleanBytes)}; ${(flops / 1e9).toFixed(2)} G flops (arithmetic-bound); gathering the series from the 4-D array ${r.gatherCpu.toFixed(3)} s more`,
    `ReHo per subject (gather + clean + rank + W, as a slab worker, no I/O): CPU ${r.subjectCpu.toFixed(3)} s; anchors: ${dp.source} ${dp.secondsPerSubject} s (${x(dp.secondsPerSubject, r.subjectCpu)}), ` +
      `${np.source} ${np.secondsPerSubject} s (${x(np.secondsPerSubject, r.subjectCpu)}); bound: the float32 series read once = ${mb(r.voxels * r.nt * 4)} = ${ms(r.voxels * r.nt * 4)}`,
  ];
}

function rehoTwin(data: Float32Array, dims: [number, number, number, number], mask: Uint8Array): Float32Array {
  const [nx, ny, nz, nt] = dims;
  const nVox = nx * ny * nz;
  const index = new Int32Array(nVox).fill(-1);
  let count = 0;
  for (let v = 0; v < nVox; v++) if (mask[v]) index[v] = count++;
  const y = new Float64Array(nt);
  const sorted = new Float64Array(nt);
  const ranks = new Float32Array(count * nt);
  for (let v = 0; v < nVox; v++) {
    const c = index[v]!;
    if (c < 0) continue;
    for (let t = 0; t < nt; t++) y[t] = data[v + t * nVox]!;
    rankSeriesMerge(y, 0, nt, ranks, c * nt, sorted);
  }
  const out = new Float32Array(nVox);
  kendallWPlain(ranks, index, nt, { nx, ny, nzLocal: nz, z0Global: 0, nzGlobal: nz }, 27, 0, nz, out);
  return out;
}

export interface RehoJobBenchResult {
  /** CPU seconds per subject (whole process, one thread, handlers in-process) of a job from the .nii.gz as planned (one slab) */
  gzCpu: number;
  gzSlabs: number;
  /** the same with `slabs` forced to `forcedSlabs` (each slab inflates the stream again: the earlier plan) */
  gzForcedCpu: number;
  forcedSlabs: number;
  /** the same subject as an uncompressed .nii (ranged reads), as planned */
  niiCpu: number;
  niiSlabs: number;
  /** CPU seconds of inflating and decoding the whole .nii.gz once as the slab worker does (readGzipSlab, Node zlib), and with readNifti (fflate) */
  inflateCpu: number;
  inflateFflateCpu: number;
  gzMb: number;
  subjects: number;
  /** the .nii.gz job's maps equal the forced-slab and .nii jobs' maps bit for bit */
  identical: boolean;
}

/**
 * A whole local ReHo job for `subjects` 61×73×61×`nt` subjects (one file listed that many times; no preprocessing), run through the
 * workflow with its handlers in this thread: from the .nii.gz as planned, from the .nii.gz
 * with the slab count forced (every slab re-inflates the file), and from the uncompressed .nii.
 * CPU time of the whole process (the machine may be shared).
 */
export async function rehoJobBench(nt = 250, forcedSlabs = 4, subjects = 4): Promise<RehoJobBenchResult> {
  const { mkdtempSync, rmSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { pathToFileURL } = await import('node:url');
  const { writeNifti, readNifti } = await import('../shared/nifti/index.ts');
  const { runLocal } = await import('../runner/local.ts');
  const { handlers } = await import('../functions/index.ts');
  const { readGzipSlab } = await import('../shared/nifti/gzip-slab.ts');
  const dims = [61, 73, 61, nt];
  const nVox = 61 * 73 * 61;
  const rng = stream(2025, 0);
  const data = new Float32Array(nVox * nt);
  for (let z = 0; z < 61; z++)
    for (let y = 0; y < 73; y++)
      for (let x = 0; x < 61; x++) {
        if (((x - 30) / 22) ** 2 + ((y - 36) / 26) ** 2 + ((z - 30) / 24) ** 2 > 1) continue;
        const v = x + 61 * (y + 73 * z);
        for (let t = 0; t < nt; t++) data[v + t * nVox] = Math.round(1000 + 8 * rng.normal());
      }
  const affine = Float64Array.from([-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1]);
  const dir = mkdtempSync(join(tmpdir(), 'nb-reho-job-bench-'));
  try {
    const gz = writeNifti({ dims, affine, data, tr: 2 }, { datatype: 'float32', gzip: true });
    writeFileSync(join(dir, 'func.nii.gz'), gz);
    writeFileSync(join(dir, 'func.nii'), writeNifti({ dims, affine, data, tr: 2 }, { datatype: 'float32', gzip: false }));
    let c0 = process.cpuUsage();
    await readGzipSlab(gz, 0, 61, 0, 'func.nii.gz');
    const inflateCpu = cpu(process.cpuUsage(c0));
    c0 = process.cpuUsage();
    readNifti(gz, 'func.nii.gz');
    const inflateFflateCpu = cpu(process.cpuUsage(c0));
    // a tiny subject first: module loading and JIT warm-up are not billed to the first timed job
    writeFileSync(join(dir, 'tiny.nii.gz'), writeNifti({ dims: [8, 8, 8, 20], affine, data: Float32Array.from({ length: 8 ** 3 * 20 }, () => rng.normal()), tr: 2 }, { datatype: 'float32' }));
    const job = async (name: string, file: string, slabs?: number) => {
      const ids = name === 'warmup' ? ['b'] : Array.from({ length: subjects }, (_, k) => (k ? `b${k}` : 'b'));
      writeFileSync(join(dir, `${name}.tsv`), `participant_id\tfunc\n${ids.map((id) => `${id}\t${file}\n`).join('')}`);
      const spec = { jobId: name, pipeline: 'reho', inputs: { participants: `${name}.tsv` }, params: { preprocess: false, ...(slabs ? { slabs } : {}) } };
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(spec));
      c0 = process.cpuUsage();
      const out = await runLocal({ jobUri: pathToFileURL(join(dir, `${name}.json`)).href, pipeline: 'reho', outDir: join(dir, 'out'), threads: 1, localHandlers: handlers as never });
      const used = cpu(process.cpuUsage(c0));
      if (out.status !== 'succeeded') throw new Error(`${name}: ${out.error}: ${out.message}`);
      const result = JSON.parse(readFileSync(join(dir, 'out', name, 'result.json'), 'utf8'));
      return { cpu: used / ids.length, slabs: result.shards.slabs as number, map: name === 'warmup' ? new Float32Array(0) : readNifti(readFileSync(join(dir, 'out', name, 'maps', 'sub-b_reho.nii.gz')), name).data };
    };
    await job('warmup', 'tiny.nii.gz');
    const a = await job('gz', 'func.nii.gz');
    const b = await job('gzforced', 'func.nii.gz', forcedSlabs);
    const c = await job('nii', 'func.nii');
    const same = (p: Float32Array, q: Float32Array) => p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
    return {
      gzCpu: a.cpu, gzSlabs: a.slabs, gzForcedCpu: b.cpu, forcedSlabs: b.slabs, niiCpu: c.cpu, niiSlabs: c.slabs, inflateCpu, inflateFflateCpu,
      subjects, gzMb: gz.length / 1e6, identical: same(a.map, b.map) && same(a.map, c.map),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The job-level bench line: one subject end to end from .nii.gz, against the re-inflating plan and the .nii. */
export function rehoJobBenchLine(r: RehoJobBenchResult): string {
  return (
    `ReHo job, ${r.subjects} subjects 61×73×61×250 end to end (validate … report, no preprocessing, 1 thread), CPU per subject: from .nii.gz (${r.gzMb.toFixed(0)} MB) ${r.gzCpu.toFixed(2)} s with ${r.gzSlabs} slab; ` +
    `${r.forcedSlabs} slabs (each re-inflates the file) ${r.gzForcedCpu.toFixed(2)} s (${x(r.gzForcedCpu, r.gzCpu)}); from .nii (ranged reads, ${r.niiSlabs} slabs) ${r.niiCpu.toFixed(2)} s; ` +
    `inflating + decoding the whole file once: readGzipSlab (Node zlib) ${r.inflateCpu.toFixed(2)} s, readNifti (fflate) ${r.inflateFflateCpu.toFixed(2)} s (${x(r.inflateFflateCpu, r.inflateCpu)}); maps ${r.identical ? 'bit-identical' : 'DIFFER'}`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { streamBandwidth } = await import('./anchors.ts');
  const bw = streamBandwidth();
  for (const l of rehoBenchLines(rehoBench(), bw)) console.log(l);
  console.log(rehoJobBenchLine(await rehoJobBench()));
}
