import { glmJobSchema } from '../shared/pipelines/glm/job.ts';
import { estimateGlm } from '../shared/pipelines/glm/plan.ts';
import { planPermutations } from '../shared/pipelines/glm/permute.ts';
import type { GlmContext } from '../shared/pipelines/glm/context.ts';
import { netmapJobSchema } from '../shared/pipelines/netmap/job.ts';
import { estimateNetmap } from '../shared/pipelines/netmap/plan.ts';
import { planChunks } from '../shared/pipelines/netmap/context.ts';
import type { NetmapContext } from '../shared/pipelines/netmap/context.ts';
import type { CostEstimate } from '../shared/jobs/cost.ts';
import type { Grid } from '../shared/pipelines/common/grid.ts';

/**
 * Study-scale jobs on AWS, priced by the cost model (no data is read or written): the glm and
 * netmap estimate functions the Plan stage runs, on synthetic contexts of 1,000 subjects.
 */

/** 2 mm MNI grid (91×109×91) */
const MNI2: Grid = { dims: [91, 109, 91], affine: [-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1], pixdim: [2, 2, 2] };

export interface ScaleLine {
  subjects: number;
  shards: { stage: string; shards: number }[];
  wallSeconds: number;
  usd: number;
  gbSeconds: number;
  detail: string;
}

function summary(e: CostEstimate): Pick<ScaleLine, 'shards' | 'wallSeconds' | 'usd' | 'gbSeconds'> {
  return { shards: e.stages.map((s) => ({ stage: s.stage, shards: s.shards })), wallSeconds: e.wallSeconds, usd: e.totalUsd, gbSeconds: e.lambdaGbSeconds };
}

/**
 * glm: 1,000 subjects (two groups of 500) on the 2 mm MNI grid, design [group A, group B, age, sex,
 * TIV], one t-contrast, 5,000 Freedman–Lane permutations with max-T, cluster extent/mass and TFCE.
 */
export function glmScale(subjects = 1000, permutations = 5000): ScaleLine {
  const job = glmJobSchema.parse({
    jobId: 'scale-glm',
    pipeline: 'glm',
    budget: { maxUsd: 100000, maxConcurrency: 200 },
    inputs: { participants: 'participants.tsv' },
    params: { contrasts: [{ name: 'AgtB', vector: [1, -1, 0, 0, 0] }], covariates: ['age', 'sex', 'tiv'], inference: { permutation: { n: permutations } } },
  });
  const n = subjects;
  const p = 5;
  const X: number[] = [];
  for (let i = 0; i < n; i++) X.push(i < n / 2 ? 1 : 0, i < n / 2 ? 0 : 1, (i % 37) - 18, i % 2, ((i * 7919) % 101) / 101);
  const ctx: GlmContext = {
    jobId: job.jobId,
    specHash: 'scale',
    jobUri: 'file:///scale/job.json',
    job,
    subjects: Array.from({ length: n }, (_, i) => ({ id: `sub-${i}`, group: i < n / 2 ? 'A' : 'B', map: `maps/sub-${i}.nii.gz` })),
    grid: MNI2,
    models: [{ name: 'AgtB', subjects: Array.from({ length: n }, (_, i) => i), columns: ['A', 'B', 'age', 'sex', 'tiv'], X, n, p, contrast: [1, -1, 0, 0, 0] }],
    workDir: 'work/scale',
    resultsDir: 'results/scale',
  };
  const perm = planPermutations(ctx);
  const s = summary(estimateGlm(ctx));
  return { subjects: n, ...s, detail: `${permutations} permutations in ${perm.batches.length} batches of ${perm.batchSize}` };
}

/**
 * netmap: a 1,000-subject connectome (2 runs × 124 volumes each, 228k mask voxels, 2 mm grid)
 * swept with 21 study seeds, specificity against 21 control seeds by permutation.
 */
export function netmapScale(subjects = 1000, seeds = 21, runs: number[] = [124, 124], voxels = 228_483): ScaleLine {
  const job = netmapJobSchema.parse({
    jobId: 'scale-netmap',
    pipeline: 'netmap',
    budget: { maxUsd: 100000, maxConcurrency: 200 },
    inputs: { connectome: 'connectome.json', seeds: 'seeds.csv' },
    params: {},
  });
  const ctx: NetmapContext = {
    jobId: job.jobId,
    specHash: 'scale',
    jobUri: 'file:///scale/job.json',
    job,
    connectomeUri: 'file:///scale/connectome.json',
    connectomeBase: 'file:///scale/',
    connectomeName: 'synthetic-1000',
    grid: MNI2,
    voxels,
    subjects: Array.from({ length: subjects }, (_, i) => ({ id: `sub-${i}`, uri: `sub-${i}.bin`, runs })),
    studies: Array.from({ length: seeds }, (_, i) => ({ study: `study-${i}`, coordinates: [[0, -20 + i, 10]], voxels: 33, set: 'study' as const })),
    workDir: 'work/scale',
    resultsDir: 'results/scale',
    passDir: 'work/scale/pass',
    slots: seeds,
    threshold: job.params.threshold,
    diameterMm: job.params.sphereDiameterMm,
  };
  const chunks = planChunks(subjects, job.budget.maxConcurrency, job.params.subjectsPerShard);
  return { subjects, ...summary(estimateNetmap(ctx)), detail: `${seeds} seeds × ${voxels} voxels × ${runs.length} runs of ${runs[0]} volumes, ${chunks.length} connectome chunks` };
}

export function formatScale(name: string, r: ScaleLine): string {
  const fan = r.shards.filter((s) => s.shards > 1).map((s) => `${s.stage} ${s.shards}`).join(', ');
  return `${name}: ${r.subjects} subjects — shards ${fan}; projected Lambda wall ${r.wallSeconds.toFixed(0)} s, $${r.usd.toFixed(2)} (${r.gbSeconds.toFixed(0)} GB-s); ${r.detail}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatScale('glm job plan (2 mm MNI, 5 columns, 5,000 permutations)', glmScale()));
  console.log(formatScale('connectome sweep (netmap estimate)', netmapScale()));
}
