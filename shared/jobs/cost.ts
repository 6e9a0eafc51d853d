import { BudgetExceeded } from '../errors.ts';
import { mapConcurrency } from './asl-graph.ts';

/** Prices per region and architecture (USD). Configuration, not literals in code paths. */
export interface Prices {
  lambdaGbSecond: number;
  lambdaRequest: number;
  stateTransition: number;
  s3Put: number;
  s3Get: number;
}

export const PRICES: Record<string, Record<'arm64' | 'x86_64', Prices>> = {
  'us-east-1': {
    arm64: { lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2e-6, stateTransition: 0.000025, s3Put: 0.005e-3, s3Get: 0.0004e-3 },
    x86_64: { lambdaGbSecond: 0.0000166667, lambdaRequest: 0.2e-6, stateTransition: 0.000025, s3Put: 0.005e-3, s3Get: 0.0004e-3 },
  },
  'eu-west-1': {
    arm64: { lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2e-6, stateTransition: 0.000025, s3Put: 0.005e-3, s3Get: 0.0004e-3 },
    x86_64: { lambdaGbSecond: 0.0000166667, lambdaRequest: 0.2e-6, stateTransition: 0.000025, s3Put: 0.005e-3, s3Get: 0.0004e-3 },
  },
};

export function pricesFor(region = process.env.AWS_REGION ?? 'us-east-1', arch: 'arm64' | 'x86_64' = 'arm64'): Prices {
  return (PRICES[region] ?? PRICES['us-east-1']!)[arch];
}

/** Memory (MB) and timeout (s) per task type: the single source for CDK and the cost model. */
export const TASKS = {
  validate: { memoryMb: 1024, timeoutSeconds: 300 },
  plan: { memoryMb: 512, timeoutSeconds: 60 },
  prepare: { memoryMb: 2048, timeoutSeconds: 300 },
  mask: { memoryMb: 2048, timeoutSeconds: 600 },
  glmSlab: { memoryMb: 3008, timeoutSeconds: 900 },
  glmPermute: { memoryMb: 3008, timeoutSeconds: 900 },
  netmapChunk: { memoryMb: 3008, timeoutSeconds: 900 },
  netmapMaps: { memoryMb: 3008, timeoutSeconds: 900 },
  netmapSpecificity: { memoryMb: 3008, timeoutSeconds: 900 },
  txNulls: { memoryMb: 3008, timeoutSeconds: 900 },
  /** candidate spins of one batch, and resolving them in order (single-threaded: one vCPU) */
  txSpins: { memoryMb: 1769, timeoutSeconds: 900 },
  aleObserve: { memoryMb: 2048, timeoutSeconds: 300 },
  aleMonteCarlo: { memoryMb: 1769, timeoutSeconds: 900 },
  aleThreshold: { memoryMb: 2048, timeoutSeconds: 300 },
  aleJackknife: { memoryMb: 2048, timeoutSeconds: 900 },
  aleContrast: { memoryMb: 1769, timeoutSeconds: 900 },
  reduce: { memoryMb: 3008, timeoutSeconds: 900 },
  rehoSlab: { memoryMb: 3008, timeoutSeconds: 900 },
  rehoSubject: { memoryMb: 2048, timeoutSeconds: 300 },
  rehoSignals: { memoryMb: 3008, timeoutSeconds: 300 },
  recordFailure: { memoryMb: 256, timeoutSeconds: 60 },
} as const;
export type TaskType = keyof typeof TASKS;

/**
 * Calibrated speed constants: ms of one core's CPU time, measured by `npm run bench` on the
 * development machine kind (2-vCPU Intel Xeon VM, Node 20; CPU time, so a loaded machine
 * inflates them little). Lambda arm64 at ≥ 1769 MB (one full vCPU) is assumed about as fast.
 * Each constant names the bench line it comes from; the bench's last lines print the values
 * of the run ("cost-model constants from this run") and, for every local job, the estimate
 * against the billed GB-seconds, so a drift shows.
 */
export const SPEED = {
  /**
   * ms per voxel to read, decode, smooth and write one subject map. Source: the PrepareSubjects
   * shards of the bench's local glm demo job (61×73×61 grid: ≈ 52 ms per subject = 1.9e-4 ms/voxel
   * on a quiet machine; rounded up for reads from S3).
   */
  prepareMsPerVoxel: 2.5e-4,
  /** ms per voxel·subject for the mask pass (not re-measured since the first calibration) */
  maskMsPerVoxelSubject: 2e-6,
  /**
   * ms per (grid) voxel·subject·column for one GLM model in a slab shard (fit, residuals,
   * standardised residuals and smoothness sums, ranged reads of every subject, sealed outputs).
   * Source: the FitSlabs shards of the bench's local glm demo job (45 subjects, 61×73×61 grid, 6
   * slabs): 1.5–2.2 s for the stage, 4–5× what the kernel alone predicts — the bench line "GLM fit
   * + residuals" (500k voxels × 74 subjects × 5 columns, CPU time) gives 2.9e-6 (69 M
   * voxel·subjects/s quiet) to 3.3e-6 (loaded). The bench's "ms/shard estimated vs measured" shows it.
   */
  glmMsPerVoxelSubjectColumn: 1.2e-5,
  /**
   * ms per voxel·subject·column of one permutation (Freedman–Lane refit, SIMD). Source: the bench
   * line "permutations/s/core" (74 subjects × 197k voxels × 5 columns), its CPU refit time:
   * 24 ms per permutation = 3.2e-7 (two sessions: 3.2e-7 and 3.3e-7).
   */
  permMsPerVoxelSubjectColumn: 3.3e-7,
  /**
   * ms per voxel of one permutation for t→z, clusters (extent, mass) and TFCE. Source: the same
   * bench line, CPU time per permutation minus the refit: 45–49 ms / 197k voxels = 2.3e-4 to
   * 2.5e-4 on a quiet machine after the edge-bucketed TFCE (was 4.7e-4 to 5e-4 before it).
   */
  permMsPerVoxel: 2.5e-4,
  /**
   * ms per time point·voxel·seed of seed-to-voxel correlation (network mapping, WebAssembly SIMD).
   * Source: the bench line "netmap seed-to-voxel r" (21 seeds × 228k voxels × 124 time points),
   * CPU time: 2.1–2.3 G multiply-adds/s = 4.3e-7 to 4.7e-7.
   */
  netmapMsPerSampleVoxelSeed: 4.7e-7,
  /**
   * ms per seed·voxel·subject of network mapping beyond the correlation kernel: r averaged over
   * the subject's runs, Fisher z and the quantised sums. Source: the netmap bench job's chunk
   * work in-process (8 seeds × 6410 voxels, 2 runs of 90 volumes): addSubject 8.7–9.8 ms CPU minus
   * the kernel's 2 × 2.1–2.2 ms = 4.4–5.4 ms per subject / 51 280 = 8.6e-5 to 1.05e-4 (load 9).
   */
  netmapMsPerSeedVoxelSubject: 1e-4,
  /** ms per stored value read and decoded (shard sums in the reducers; not re-measured since the first calibration) */
  readMsPerValue: 2e-6,
  /**
   * ms per byte read whole from storage and checked (one pass over its values). Source: the
   * netmap bench job's connectome chunks in-process: a 4.6 MB subject file read in 2.7–3.0 ms
   * plus the non-finite check 2.1 ms = 1.1e-6 (≈ 0.9 GB/s; load 9).
   */
  readMsPerByte: 1.1e-6,
  /**
   * ms per byte inflated from a gzipped input (node:zlib). Source: readGzipSlab of a
   * 24×28×24×100 float32 image (6.45 MB, noisy values): 38–49 ms = 5.9e-6 to 7.5e-6 (load 9).
   */
  inflateMsPerByte: 6e-6,
  /**
   * ms per byte of a sealed intermediate written (SHA-256 envelope, copy, write). Source: the
   * netmap chunk sums (1.44 MB) in-process: encode 0.5 ms + put 5.6 ms, less putMs = 2.8e-6.
   */
  writeMsPerByte: 3e-6,
  /**
   * fixed ms per object a shard writes (local store: open, write, fsync, rename). Source: 50
   * puts of 300 bytes through LocalStore: 2.1–2.8 ms each (1 ms of it CPU; load 9; one run 9.7).
   */
  putMs: 2.5,
  /**
   * fixed ms of a fan-out shard besides its work and its own outputs: the context read, the skip
   * test, the task wrapper and its metrics record. Source: the ReHo slab and subject handlers
   * called again on shards whose outputs exist (they skip): 3.4–4.0 ms CPU each (demo job, load 8).
   */
  shardFixedMs: 4,
  /** ms per voxel for the reducer per contrast (stitch, z, clusters, writing maps; not re-measured since the first calibration) */
  reduceMsPerVoxel: 2.5e-4,
  /** fixed ms per invocation (start, storage round trips on AWS; a local run does not pay it) */
  invocationOverheadMs: 150,
} as const;

export interface StageEstimate {
  stage: string;
  task: TaskType;
  shards: number;
  msPerShard: number;
}

export interface CostEstimate {
  stages: StageEstimate[];
  lambdaGbSeconds: number;
  lambdaUsd: number;
  requestsUsd: number;
  stateTransitions: number;
  stepFunctionsUsd: number;
  s3Usd: number;
  totalUsd: number;
  wallSeconds: number;
}

/**
 * Estimate = Σ stages (shards × ms × GB × price) + requests + transitions + S3 requests (DESIGN §8).
 * `transitions`: the state transitions of the run counted on the workflow's ASL graph
 * (shared/jobs/asl-graph.ts workflowCounts); without it, two per shard and stage. Fan-out
 * stages run as Distributed Maps: at most `maxConcurrency` shards at once, capped by the
 * Distributed Map quota.
 */
export function estimateCost(
  stages: StageEstimate[],
  s3Requests: { puts: number; gets: number },
  maxConcurrency: number,
  prices: Prices = pricesFor(),
  graphTransitions?: number,
): CostEstimate {
  let gbSeconds = 0;
  let invocations = 0;
  let transitions = 4;
  let wall = 0;
  const concurrency = mapConcurrency('DISTRIBUTED', maxConcurrency);
  for (const s of stages) {
    const mem = TASKS[s.task].memoryMb / 1024;
    const ms = s.msPerShard + SPEED.invocationOverheadMs;
    gbSeconds += (s.shards * ms * mem) / 1000;
    invocations += s.shards;
    transitions += s.shards * 2 + 2;
    wall += (Math.ceil(s.shards / concurrency) * ms) / 1000;
  }
  if (graphTransitions !== undefined) transitions = graphTransitions;
  const lambdaUsd = gbSeconds * prices.lambdaGbSecond;
  const requestsUsd = invocations * prices.lambdaRequest;
  const stepFunctionsUsd = transitions * prices.stateTransition;
  const s3Usd = s3Requests.puts * prices.s3Put + s3Requests.gets * prices.s3Get;
  return {
    stages,
    lambdaGbSeconds: gbSeconds,
    lambdaUsd,
    requestsUsd,
    stateTransitions: transitions,
    stepFunctionsUsd,
    s3Usd,
    totalUsd: lambdaUsd + requestsUsd + stepFunctionsUsd + s3Usd,
    wallSeconds: wall,
  };
}

/** Refuse a job whose estimate is over its budget, before any fan-out. */
export function enforceBudget(estimate: CostEstimate, maxUsd: number): void {
  if (estimate.totalUsd > maxUsd) {
    throw new BudgetExceeded(
      `estimated cost $${estimate.totalUsd.toFixed(4)} exceeds budget.maxUsd $${maxUsd} ` +
        `(${estimate.lambdaGbSeconds.toFixed(1)} Lambda GB-s, ${estimate.stateTransitions} state transitions); raise the budget or shrink the job`,
      'budget.maxUsd',
    );
  }
}

/** Actual cost from worker-reported billed durations. */
export function actualCost(records: { task: TaskType; billedMs: number }[], stateTransitions: number, prices: Prices = pricesFor()) {
  let gbSeconds = 0;
  for (const r of records) gbSeconds += (r.billedMs / 1000) * (TASKS[r.task].memoryMb / 1024);
  const usd = gbSeconds * prices.lambdaGbSecond + records.length * prices.lambdaRequest + stateTransitions * prices.stateTransition;
  return { lambdaGbSeconds: gbSeconds, invocations: records.length, usd };
}
