/**
 * Whole local jobs on 1 and 2 worker threads (runLocal, the same ASL as on AWS): the glm demo
 * cohort, the ALE pain job, the ReHo demo cohort and a netmap job. For each: wall seconds on
 * 1 and 2 threads and the speed-up, with three figures that say how far the measurement can
 * be trusted on a shared machine —
 *  - the machine's 2-thread capacity right before the pair (pure CPU work on 1 and 2 worker
 *    threads: ×2 on an idle 2-core machine, less when other processes hold a core);
 *  - the speed-up the job's structure allows on an idle 2-core machine: the 1-thread run's
 *    shard durations (the workers' metrics records) scheduled on 2 threads stage by stage
 *    (longest first), everything between shards (reduce, start-up, the runner) kept serial;
 *  - the cost model against the run: Lambda GB-seconds the Plan stage estimated (estimate.json;
 *    with and without the 150 ms per-invocation overhead, which a local run does not pay)
 *    and those the workers billed (result.json), per fan-out stage ms per shard.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runLocal } from '../runner/local.ts';
import { prepareDemoInput } from '../bin/demo.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { ALE_DEMO_DATASET, aleDemoJob } from '../shared/demo/ale.ts';
import { stream } from '../shared/random.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';
import { SPEED, TASKS, type CostEstimate, type TaskType } from '../shared/jobs/cost.ts';

/** Speed-up of pure CPU work from 1 to 2 worker threads right now (2 on an idle 2-core machine). */
export async function parallelCapacity(loops = 1e8): Promise<number> {
  const code = `const { parentPort, workerData } = require('node:worker_threads'); let x = 0; const t = performance.now(); for (let i = 0; i < workerData; i++) x = (x + i * 7) % 1000003; parentPort.postMessage([performance.now() - t, x]);`;
  const once = (n: number) => {
    const t0 = performance.now();
    return Promise.all(Array.from({ length: n }, () => new Promise<void>((res, rej) => {
      const w = new Worker(code, { eval: true, workerData: loops });
      w.once('message', () => void w.terminate().then(() => res()));
      w.once('error', rej);
    }))).then(() => performance.now() - t0);
  };
  // best of three each: a busy machine only ever slows a run down
  let t1 = Infinity;
  let t2 = Infinity;
  for (let k = 0; k < 3; k++) {
    t1 = Math.min(t1, await once(1));
    t2 = Math.min(t2, await once(2));
  }
  return (2 * t1) / t2;
}

interface Invocation {
  task: TaskType;
  billedMs: number;
  start: number;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Every worker invocation a run recorded (metrics records under its work folders). */
function invocations(outDir: string): Invocation[] {
  return walk(join(outDir, '.work'))
    .filter((f) => f.includes('/metrics/') && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as { task: TaskType; billedMs: number; startedAt: string })
    .map((m) => ({ task: m.task, billedMs: m.billedMs, start: Date.parse(m.startedAt) }))
    .sort((a, b) => a.start - b.start);
}

/** Makespan of `durations` on `threads` threads, longest first onto the least loaded thread. */
export function lptMakespan(durations: number[], threads: number): number {
  const load = new Array<number>(threads).fill(0);
  for (const d of [...durations].sort((a, b) => b - a)) {
    let k = 0;
    for (let i = 1; i < threads; i++) if (load[i]! < load[k]!) k = i;
    load[k]! += d;
  }
  return Math.max(...load);
}

/**
 * Wall seconds a 1-thread run would take on `threads` threads of an idle machine: each run of
 * consecutive invocations of one task type (a stage's shards) is scheduled by LPT; the rest of
 * the wall time (single-shard stages' gaps, reducers, start-up, the runner) stays serial.
 */
export function structuralWall(wallSeconds: number, inv: Invocation[], threads: number): { seconds: number; serialSeconds: number; stages: { task: TaskType; shards: number; ms: number }[] } {
  const stages: { task: TaskType; durations: number[] }[] = [];
  for (const r of inv) {
    const last = stages[stages.length - 1];
    if (last && last.task === r.task) last.durations.push(r.billedMs);
    else stages.push({ task: r.task, durations: [r.billedMs] });
  }
  let busy = 0;
  let scheduled = 0;
  for (const s of stages) {
    busy += s.durations.reduce((a, b) => a + b, 0);
    scheduled += lptMakespan(s.durations, threads);
  }
  const serial = wallSeconds * 1000 - busy;
  return { seconds: (Math.max(0, serial) + scheduled) / 1000, serialSeconds: Math.max(0, serial) / 1000, stages: stages.map((s) => ({ task: s.task, shards: s.durations.length, ms: s.durations.reduce((a, b) => a + b, 0) })) };
}

/** GB-seconds of stages: with or without the per-invocation overhead of the cost model. */
function gbSeconds(stages: CostEstimate['stages'], withOverhead: boolean): number {
  return stages.reduce((a, s) => a + (s.shards * (s.msPerShard + (withOverhead ? SPEED.invocationOverheadMs : 0)) * (TASKS[s.task].memoryMb / 1024)) / 1000, 0);
}

export interface JobSpeedup {
  name: string;
  /** wall seconds of the job on 1 and 2 threads */
  wall1: number;
  wall2: number;
  /** process CPU seconds of each run (all threads) */
  cpu1: number;
  cpu2: number;
  /** pure-CPU speed-up from 1 to 2 threads measured just before the pair */
  capacity: number;
  load: number[];
  /** what the job's structure allows on an idle 2-core machine (from the 1-thread run) */
  structural2: number;
  serialSeconds: number;
  /** the cost model: estimated GB-s (with / without invocation overhead) and those billed by the 1-thread run */
  estimatedGbs: number;
  estimatedComputeGbs: number;
  measuredGbs: number;
  /** per task type: estimated and measured ms per shard (fan-out stages) */
  perStage: { task: TaskType; shards: number; estimatedMs: number; measuredMs: number }[];
  /** identical result numbers on 1 and 2 threads (result.json without cost/timing fields) */
  identical: boolean;
}

/** A result record without what may differ between two runs of one job: costs, timings, and the spec hashes of embedded steps (their inputs are under the run's own output folder). */
function stripVolatile(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(stripVolatile);
  if (r === null || typeof r !== 'object') return r;
  return Object.fromEntries(Object.entries(r).filter(([k]) => !['cost', 'methods', 'specHash', 'seconds'].includes(k)).map(([k, v]) => [k, stripVolatile(v)]));
}

/** Run the job at `jobPath` on 1 and on 2 threads (fresh output folders) and measure. */
export async function measureJob(name: string, pipeline: string, jobPath: string, work: string): Promise<JobSpeedup> {
  const capacity = await parallelCapacity();
  const load = loadavg();
  const runs: { wall: number; cpu: number; out: string }[] = [];
  for (const threads of [1, 2]) {
    const out = join(work, `out-${threads}`);
    const c0 = process.cpuUsage();
    const r = await runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline, outDir: out, threads });
    const c = process.cpuUsage(c0);
    if (r.status !== 'succeeded') throw new Error(`${name} (${threads} threads) failed: ${r.error}: ${r.message}`);
    runs.push({ wall: r.seconds, cpu: (c.user + c.system) / 1e6, out });
  }
  const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
  const jobId = (JSON.parse(readFileSync(jobPath, 'utf8')) as { jobId: string }).jobId;
  const result = (o: string) => JSON.parse(readFileSync(join(o, jobId, 'result.json'), 'utf8')) as Record<string, unknown> & { specHash: string; cost: { lambdaGbSeconds: number } };
  const r1 = result(one.out);
  const r2 = result(two.out);
  const estimate = JSON.parse(readFileSync(join(one.out, '.work', jobId, r1.specHash, 'estimate.json'), 'utf8')) as CostEstimate;
  const inv = invocations(one.out);
  const s = structuralWall(one.wall, inv, 2);
  const measuredByTask = new Map<TaskType, number[]>();
  for (const i of inv) measuredByTask.set(i.task, [...(measuredByTask.get(i.task) ?? []), i.billedMs]);
  const perStage = estimate.stages
    .filter((st) => st.shards > 1 && measuredByTask.has(st.task))
    .map((st) => {
      const m = measuredByTask.get(st.task)!;
      return { task: st.task, shards: st.shards, estimatedMs: st.msPerShard, measuredMs: m.reduce((a, b) => a + b, 0) / m.length };
    });
  return {
    name,
    wall1: one.wall,
    wall2: two.wall,
    cpu1: one.cpu,
    cpu2: two.cpu,
    capacity,
    load,
    structural2: one.wall / s.seconds,
    serialSeconds: s.serialSeconds,
    estimatedGbs: estimate.lambdaGbSeconds,
    estimatedComputeGbs: gbSeconds(estimate.stages, false),
    measuredGbs: r1.cost.lambdaGbSeconds,
    perStage,
    identical: JSON.stringify(stripVolatile(r1)) === JSON.stringify(stripVolatile(r2)),
  };
}

/**
 * The netmap bench job: the demo's synthetic connectome with more subjects and many studies
 * (seed spheres spread over the brain), so that seed-to-voxel correlation dominates.
 */
export async function writeNetmapBenchJob(dir: string, subjects: number = NETMAP_BENCH.subjects, studies: number = NETMAP_BENCH.studies, T: number = NETMAP_BENCH.volumes): Promise<string> {
  const demo = demoConnectome(1, subjects, T);
  const cdir = join(dir, 'connectome');
  mkdirSync(cdir, { recursive: true });
  const g = demo.manifest.grid;
  const affine = Float64Array.from(g.affine);
  const maskNifti = writeNifti({ dims: g.dims, affine, pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
  await writeConnectome(new LocalStore(cdir), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
  const inMask: number[] = [];
  for (let v = 0; v < demo.mask.length; v++) if (demo.mask[v]) inMask.push(v);
  const rng = stream(11, 0);
  const rows = ['study,x,y,z'];
  for (let s = 0; s < studies; s++) {
    const v = inMask[rng.int(inMask.length)]!;
    const [x, y, z] = voxelToMm(affine, v % g.dims[0], Math.floor(v / g.dims[0]) % g.dims[1], Math.floor(v / (g.dims[0] * g.dims[1])));
    rows.push(`study-${s + 1},${x.toFixed(0)},${y.toFixed(0)},${z.toFixed(0)}`);
  }
  writeFileSync(join(dir, 'seeds.csv'), rows.join('\n') + '\n');
  const jobPath = join(dir, 'job.json');
  writeFileSync(jobPath, JSON.stringify({ jobId: 'bench-netmap', pipeline: 'netmap', inputs: { connectome: 'connectome/connectome.json', seeds: 'seeds.csv' }, params: { sphereDiameterMm: 12 }, seed: 1, budget: { maxUsd: 1, maxConcurrency: 200 } }));
  return jobPath;
}

export const SPEEDUP_JOBS = ['glm', 'ale', 'reho', 'netmap'] as const;

/** Sizes of the bench jobs that are not the demo's: ALE iterations, the netmap connectome and studies. */
export const ALE_BENCH_ITERATIONS = 5000;
export const NETMAP_BENCH = { subjects: 48, volumes: 90, studies: 8 } as const;

async function writeAleBenchJob(dir: string, iterations = ALE_BENCH_ITERATIONS): Promise<string> {
  mkdirSync(dir, { recursive: true });
  copyFileSync(fileURLToPath(new URL(`../${ALE_DEMO_DATASET}`, import.meta.url)), join(dir, 'nidm_pain_dset.json'));
  const jobPath = join(dir, 'job.json');
  writeFileSync(jobPath, JSON.stringify(aleDemoJob(iterations)));
  return jobPath;
}

/** Prepare and measure each job (glm, ALE, ReHo: the demo's full-size inputs; netmap: writeNetmapBenchJob). */
export async function speedupBench(only: readonly string[] = SPEEDUP_JOBS): Promise<JobSpeedup[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nb-bench-speedup-'));
  const out: JobSpeedup[] = [];
  try {
    // one small job first: the first runLocal of a process pays one-off costs (module loading, schema compilation)
    const warm = await writeNetmapBenchJob(join(dir, 'warm'), 4, 2);
    await runLocal({ jobUri: pathToFileURL(warm).href, pipeline: 'netmap', outDir: join(dir, 'warm-out'), threads: 2 });
    for (const name of only) {
      const work = join(dir, name);
      const input = join(work, 'in');
      const label =
        { glm: 'glm demo, 45 subjects', ale: `ALE pain, ${ALE_BENCH_ITERATIONS} iterations`, reho: 'ReHo demo, 24 subjects + group', netmap: `netmap, ${NETMAP_BENCH.subjects} subj × ${NETMAP_BENCH.studies} studies` }[name] ?? name;
      const jobPath = name === 'netmap' ? await writeNetmapBenchJob(input) : name === 'ale' ? await writeAleBenchJob(input) : (await prepareDemoInput(name as 'glm' | 'reho', input)).jobPath;
      out.push(await measureJob(label, name, jobPath, work));
      rmSync(work, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export function formatSpeedup(r: JobSpeedup, line: (name: string, value: string, baseline: string, ratio: number) => void): void {
  line(`local job: ${r.name}`, `${r.wall2.toFixed(2)} s 2 threads`, `${r.wall1.toFixed(2)} s 1 thread`, r.wall1 / r.wall2);
  console.log(
    `   CPU ${r.cpu1.toFixed(1)} s / ${r.cpu2.toFixed(1)} s; the machine gave pure CPU work ×${r.capacity.toFixed(2)} from 2 threads just before (load ${r.load.map((x) => x.toFixed(1)).join(' ')}); ` +
      `its structure allows ×${r.structural2.toFixed(2)} on an idle 2-core machine (${r.serialSeconds.toFixed(1)} s serial: start-up, single-shard stages, reduce); results on 1 and 2 threads ${r.identical ? 'identical' : 'DIFFER'}`,
  );
  console.log(
    `   cost model: estimated ${r.estimatedGbs.toFixed(1)} GB-s (${r.estimatedComputeGbs.toFixed(1)} without the per-invocation overhead), billed by the 1-thread run ${r.measuredGbs.toFixed(1)} GB-s (×${(r.measuredGbs / r.estimatedComputeGbs).toFixed(2)} of the compute estimate)` +
      (r.perStage.length ? `; ms/shard estimated vs measured: ${r.perStage.map((s) => `${s.task} ${s.estimatedMs.toFixed(0)} vs ${s.measuredMs.toFixed(0)} (${s.shards})`).join(', ')}` : ''),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
  const line = (name: string, value: string, baseline: string, ratio: number) => console.log(`${name.padEnd(46)} ${value.padStart(22)}   baseline ${baseline.padStart(22)}   ×${fmt(ratio)}`);
  const t0 = performance.now();
  for (const r of await speedupBench(process.argv[2] ? process.argv[2].split(',') : SPEEDUP_JOBS)) formatSpeedup(r, line);
  console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
