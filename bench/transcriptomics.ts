/**
 * Imaging transcriptomics at the study's scale: 123 regions × 10,000 genes (synthetic, seeded:
 * expression from 8 smooth spatial factors plus noise, the map from two of them), 5,000 each of
 * permutations, bootstraps and spins (Váša) and the per-gene spin test.
 *
 * Kernels are timed on one core against a straightforward implementation of the same
 * definitions (every resample refitted from scratch: permutations z-score and refit, bootstraps gather
 * and re-centre the resampled rows, r = X0ᵀy0, t = X0 r; per gene and spin a two-pass Pearson; Váša's assignment as the O(m³) loop over the
 * full distance matrix), timed on a few resamples and projected. Then the whole job runs through
 * the local runner (2 worker threads), and the cost model projects it onto Lambda.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stream } from '../shared/random.ts';
import { runLocal } from '../runner/local.ts';
import { PlsNullModel, bootstrapZ, randomPermutation } from '../shared/transcriptomics/nulls.ts';
import { fitPls1 } from '../shared/transcriptomics/pls.ts';
import { generateSpins, randomRotation, spinGeometry } from '../shared/transcriptomics/spin.ts';

export interface TxBench {
  n: number;
  p: number;
  N: number;
  /** seconds on one core, fast kernels */
  fast: { setup: number; perm: number; spinDraw: number; spinNull: number; boot: number; geneSpin: number; total: number };
  /** seconds on one core, straightforward implementation, projected to N resamples */
  naive: { perm: number; spinDraw: number; boot: number; geneSpin: number; total: number };
  job?: { seconds: number; threads: number; stageSeconds: Record<string, number>; lambda: { wallSeconds: number; usd: number; gbSeconds: number } };
  maxRelDiff: number;
}

export function syntheticTx(n = 123, p = 10_000, seed = 12) {
  const rng = stream(seed, 0);
  // centroids: uniform on a sphere of radius 100
  const coords = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    let x = 0, y = 0, z = 0, r = 0;
    do {
      x = rng.normal();
      y = rng.normal();
      z = rng.normal();
      r = Math.hypot(x, y, z);
    } while (r === 0);
    coords.set([(100 * x) / r, (100 * y) / r, (100 * z) / r], 3 * i);
  }
  const F = 8;
  const dirs = Array.from({ length: F }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const fac = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) {
    const d = dirs[f]!;
    fac[i * F + f] = Math.sin((coords[3 * i]! * d[0]! + coords[3 * i + 1]! * d[1]! + coords[3 * i + 2]! * d[2]!) / 60);
  }
  const load = Float64Array.from({ length: p * F }, () => rng.normal());
  const X = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) {
    let s = 0.5 * rng.normal();
    for (let f = 0; f < F; f++) s += fac[i * F + f]! * load[g * F + f]!;
    X[i * p + g] = 1 / (1 + Math.exp(-s / 3));
  }
  const y = Float64Array.from({ length: n }, (_, i) => fac[i * F]! - 0.5 * fac[i * F + 1]! + 0.7 * rng.normal());
  return { n, p, X, y, coords, hemi: new Int32Array(n) };
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

/** Váša's assignment as a straightforward O(m³) loop (the baseline). */
function vasaPlain(coords: Float64Array, q: Float64Array, m: number): Int32Array {
  const rot = new Float64Array(3 * m);
  for (let i = 0; i < m; i++) for (let c = 0; c < 3; c++) rot[3 * i + c] = coords[3 * i]! * q[c]! + coords[3 * i + 1]! * q[3 + c]! + coords[3 * i + 2]! * q[6 + c]!;
  const d: number[][] = [];
  for (let i = 0; i < m; i++) d.push(Array.from({ length: m }, (_, j) => Math.hypot(coords[3 * i]! - rot[3 * j]!, coords[3 * i + 1]! - rot[3 * j + 1]!, coords[3 * i + 2]! - rot[3 * j + 2]!)));
  const col = new Int32Array(m);
  for (let s = 0; s < m; s++) {
    let row = 0, best = -Infinity;
    for (let i = 0; i < m; i++) {
      const mn = Math.min(...d[i]!);
      if (mn > best) (best = mn), (row = i);
    }
    const c = d[row]!.indexOf(Math.min(...d[row]!));
    col[row] = c;
    d[row] = new Array(m).fill(-Infinity);
    for (const r of d) r[c] = Infinity;
    d[row] = new Array(m).fill(-Infinity);
  }
  return col;
}

function pearsonPlain(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]!), (mb += b[i]!);
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export async function txBench(N = Number(process.env.BENCH_TX_RESAMPLES ?? 5000), runJob = process.env.BENCH_SKIP_JOBS !== '1'): Promise<TxBench> {
  const d = syntheticTx();
  const { n, p, X, y } = d;
  let t = performance.now();
  const model = new PlsNullModel(X, y, n, p);
  const setup = secs(t);
  t = performance.now();
  const perm = model.permutationNull(1, 0, N);
  const tPerm = secs(t);
  const geom = spinGeometry(d.coords, d.hemi);
  t = performance.now();
  const spins = generateSpins(geom, 'vasa', 2, N);
  const spinDraw = secs(t);
  t = performance.now();
  model.spinNull(spins.idx, N);
  const spinNull = secs(t);
  t = performance.now();
  const boot = model.bootstrap(3, 0, N);
  const tBoot = secs(t);
  bootstrapZ(model.fit.weights, boot.partials);
  t = performance.now();
  model.geneSpinCounts(spins.idx, N);
  const geneSpin = secs(t);
  const fastTotal = setup + tPerm + spinDraw + spinNull + tBoot + geneSpin;

  // straightforward implementation, timed on a few resamples and projected
  const K = 6;
  let maxRelDiff = 0;
  t = performance.now();
  for (let k = 0; k < K; k++) {
    const pi = randomPermutation(stream(1, k), n);
    const v = fitPls1(X, Array.from(pi, (j) => y[j]!), n, p).varianceExplained;
    maxRelDiff = Math.max(maxRelDiff, Math.abs(v - perm[k]!) / v);
  }
  const nPerm = (secs(t) / K) * N;
  t = performance.now();
  for (let k = 0; k < K; k++) {
    const c = model.bootstrapCounts(3, k);
    const idx: number[] = [];
    c.forEach((m, j) => {
      for (let q = 0; q < m; q++) idx.push(j);
    });
    // straightforward refit: gather the resampled rows of X0, re-centre X and y, r = Xᵀy, t = X r
    const Xb = new Float64Array(n * p);
    idx.forEach((j, i) => Xb.set(model.X0.subarray(j * p, (j + 1) * p), i * p));
    const yb = idx.map((j) => model.y0[j]!);
    const my = yb.reduce((a, v) => a + v, 0) / n;
    for (let g = 0; g < p; g++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += Xb[i * p + g]!;
      m /= n;
      for (let i = 0; i < n; i++) Xb[i * p + g]! -= m;
    }
    const r = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) r[g]! += Xb[i * p + g]! * (yb[i]! - my);
    let tt = 0;
    for (let i = 0; i < n; i++) {
      let tv = 0;
      for (let g = 0; g < p; g++) tv += Xb[i * p + g]! * r[g]!;
      tt += tv * tv;
    }
    const w = r.map((v) => v / Math.sqrt(tt));
    pearsonPlain(w, model.fit.weights);
  }
  const nBoot = (secs(t) / K) * N;
  t = performance.now();
  for (let k = 0; k < K; k++) vasaPlain(geom.coords[0], randomRotation(stream(2, k)), n);
  const nSpinDraw = (secs(t) / K) * N;
  t = performance.now();
  const x = new Float64Array(n);
  let acc = 0;
  for (let k = 0; k < 2; k++) {
    const ys = Array.from(spins.idx.subarray(k * n, (k + 1) * n), (j) => y[j]!);
    for (let g = 0; g < p; g++) {
      for (let i = 0; i < n; i++) x[i] = X[i * p + g]!;
      acc += pearsonPlain(x, ys);
    }
  }
  if (Number.isNaN(acc)) console.log('');
  const nGene = (secs(t) / 2) * N;
  const naiveTotal = nPerm * 2 + nSpinDraw + nBoot + nGene;

  const out: TxBench = {
    n,
    p,
    N,
    fast: { setup, perm: tPerm, spinDraw, spinNull, boot: tBoot, geneSpin, total: fastTotal },
    naive: { perm: nPerm, spinDraw: nSpinDraw, boot: nBoot, geneSpin: nGene, total: naiveTotal },
    maxRelDiff,
  };
  if (runJob) out.job = await wholeJob(d, N);
  return out;
}

/** The whole job through the local runner (CSV inputs written to a temporary folder). */
export async function wholeJob(d: ReturnType<typeof syntheticTx>, N: number): Promise<NonNullable<TxBench['job']>> {
  const dir = mkdtempSync(join(tmpdir(), 'nb-bench-tx-'));
  try {
    const { n, p, X, y, coords } = d;
    const inDir = join(dir, 'in');
    mkdirSync(inDir, { recursive: true });
    const label = (i: number) => `L_r${String(i).padStart(3, '0')}`;
    const genes = Array.from({ length: p }, (_, g) => `G${g}`);
    const lines = [['label', ...genes].join(',')];
    for (let i = 0; i < n; i++) lines.push([label(i), ...Array.from(X.subarray(i * p, (i + 1) * p), (v) => v.toPrecision(7))].join(','));
    writeFileSync(join(inDir, 'expression.csv'), lines.join('\n') + '\n');
    writeFileSync(join(inDir, 'map.csv'), ['label,t', ...Array.from(y, (v, i) => `${label(i)},${v}`)].join('\n') + '\n');
    writeFileSync(join(inDir, 'centroids.csv'), ['label,hemi,x,y,z', ...Array.from({ length: n }, (_, i) => `${label(i)},0,${coords[3 * i]},${coords[3 * i + 1]},${coords[3 * i + 2]}`)].join('\n') + '\n');
    const job = {
      jobId: 'bench-tx',
      pipeline: 'transcriptomics',
      inputs: { regionValues: 'map.csv', expression: 'expression.csv', centroids: 'centroids.csv' },
      params: { valueColumn: 't', nulls: { permutations: N, bootstraps: N, spins: N, spinMethod: 'vasa' } },
      budget: { maxUsd: 50, maxConcurrency: 200 },
    };
    writeFileSync(join(inDir, 'job.json'), JSON.stringify(job));
    const threads = 2;
    const r = await runLocal({ jobUri: pathToFileURL(join(inDir, 'job.json')).href, pipeline: 'transcriptomics', outDir: join(dir, 'out'), threads });
    if (r.status !== 'succeeded') throw new Error(`bench transcriptomics job failed: ${JSON.stringify(r)}`);
    const work = join(dir, 'out', '.work', 'bench-tx');
    const hash = readdirSync(work)[0]!;
    const est = JSON.parse(readFileSync(join(work, hash, 'estimate.json'), 'utf8'));
    const stages: Record<string, number> = {};
    const mdir = join(work, hash, 'metrics');
    for (const t of readdirSync(mdir)) for (const f of readdirSync(join(mdir, t))) {
      const m = JSON.parse(readFileSync(join(mdir, t, f), 'utf8'));
      const key = t === 'txNulls' ? `txNulls:${f.split('-')[0]}` : t;
      stages[key] = (stages[key] ?? 0) + m.billedMs / 1000;
    }
    return { seconds: r.seconds, threads, stageSeconds: stages, lambda: { wallSeconds: est.wallSeconds, usd: est.totalUsd, gbSeconds: est.lambdaGbSeconds } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench/run.ts lines: kernels on one core vs the straightforward twin, the whole job, the Lambda projection. */
export async function txBenchReport(line: (name: string, value: string, baseline: string, ratio: number) => void): Promise<void> {
  const b = await txBench();
  const f = (x: number) => `${x.toFixed(1)} s`;
  line(`transcriptomics nulls ${b.n}×${b.p}, ${b.N} each (s/core)`, f(b.fast.total), f(b.naive.total), b.naive.total / b.fast.total);
  const us = (s: number) => `${((s / b.N) * 1e6).toFixed(0)} µs`;
  console.log(
    `   per resample (fast / straightforward): permutation ${us(b.fast.perm)} / ${us(b.naive.perm)}, bootstrap ${us(b.fast.boot)} / ${us(b.naive.boot)}, ` +
      `Váša spin ${us(b.fast.spinDraw)} / ${us(b.naive.spinDraw)}, per-gene spin test ${us(b.fast.geneSpin)} / ${us(b.naive.geneSpin)}; setup ${b.fast.setup.toFixed(2)} s; max rel. |ΔVE| ${b.maxRelDiff.toExponential(1)}`,
  );
  if (b.job) {
    console.log(
      `   whole job locally (${b.job.threads} threads): ${b.job.seconds.toFixed(1)} s wall (target < 20 s); on Lambda (cost model) ${b.job.lambda.wallSeconds.toFixed(1)} s wall, $${b.job.lambda.usd.toFixed(4)} (${b.job.lambda.gbSeconds.toFixed(0)} GB-s)`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const b = await txBench();
  console.log(JSON.stringify(b, null, 2));
}
