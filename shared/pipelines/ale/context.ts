import type { AleJob } from './job.ts';
import type { Store } from '../../storage/index.ts';
import { readNifti } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import { makeGrid } from '../../ale/ale.ts';
import type { AleGrid } from '../../ale/ale.ts';
import type { ExperimentInput } from '../../ale/analysis.ts';
import { assetUri } from '../../assets.ts';

/**
 * The bundled default mask (GingerALE-style "more conservative" 2 mm MNI brain mask; see assets/ale/README.md):
 * under NEUROBURST_ASSETS_DIR when set (the Lambda bundle carries assets/ next to its code), else in the repository.
 */
export const DEFAULT_MASK_URI = assetUri('ale/MNI152_2x2x2_brainmask.nii.gz');

export interface AleContext {
  jobId: string;
  specHash: string;
  jobUri: string;
  job: AleJob;
  coordinatesFormat: string;
  warnings: string[];
  experiments: ExperimentInput[];
  maskUri: string;
  /** the mask's grid (voxel count and isotropic voxel size), for the estimate */
  grid: { dims: [number, number, number]; voxelMm: number; maskVoxels: number };
  maskSource: 'inputs.mask' | 'bundled';
  atlasUri?: string;
  atlasLabelsUri?: string;
  /** Monte-Carlo shards: iterations [k0, k1) */
  batches: { index: number; k0: number; k1: number }[];
  /** set B of a contrast (inputs.coordinates2) */
  experiments2?: ExperimentInput[];
  coordinates2Format?: string;
  /** Monte-Carlo shards of set B (same iterations, stream family MC_B_STREAM) */
  batchesB: { index: number; k0: number; k1: number }[];
  /** leave-one-out shards: experiments [e0, e1) left out one at a time (empty without params.jackknife) */
  jackknifeShards: { index: number; e0: number; e1: number }[];
  /** label-exchange shards of the contrast: permutations [k0, k1) (empty without a contrast) */
  contrastBatches: { index: number; k0: number; k1: number }[];
  workDir: string;
  resultsDir: string;
}

export const keys = {
  context: (workDir: string) => `${workDir}/context.json`,
  estimate: (workDir: string) => `${workDir}/estimate.json`,
  observed: (workDir: string) => `${workDir}/observed.json`,
  /** one set's observed ALE on the mask and its null's weights (Float64), kept by Observe */
  observedSet: (workDir: string, set: 'A' | 'B') => `${workDir}/observed-${set}.f64`,
  batch: (workDir: string, b: number) => `${workDir}/montecarlo/${String(b).padStart(6, '0')}.f64`,
  batchB: (workDir: string, b: number) => `${workDir}/montecarlo-b/${String(b).padStart(6, '0')}.f64`,
  thresholds: (workDir: string) => `${workDir}/thresholds.json`,
  clusterLabels: (workDir: string) => `${workDir}/cluster-labels.i32`,
  domain: (workDir: string) => `${workDir}/contrast-domain.i32`,
  jackknife: (workDir: string, s: number) => `${workDir}/jackknife/${String(s).padStart(6, '0')}.json`,
  contrast: (workDir: string, b: number) => `${workDir}/contrast/${String(b).padStart(6, '0')}.bin`,
  metrics: (workDir: string) => `${workDir}/metrics/`,
};

export async function loadContext(store: Store, contextKey: string): Promise<AleContext> {
  return JSON.parse(await store.getText(contextKey)) as AleContext;
}

/**
 * The grid of the last job this thread (or warm Lambda container) loaded: the work folder is
 * content-addressed, so the same folder and mask URI mean the same mask, and no stage writes to
 * a grid. The stages after the first (the Monte-Carlo items, Reduce) then skip reading and
 * inflating the mask again.
 */
let lastGrid: { key: string; grid: AleGrid } | undefined;

export async function loadGrid(ctx: AleContext): Promise<AleGrid> {
  const key = `${ctx.workDir}\u0000${ctx.maskUri}`;
  if (lastGrid?.key === key) return lastGrid.grid;
  const m = readNifti(await readUri(ctx.maskUri), ctx.maskSource === 'bundled' ? 'bundled mask' : 'inputs.mask');
  const grid = makeGrid([m.header.dims[0]!, m.header.dims[1]!, m.header.dims[2]!], m.header.affine, m.data);
  lastGrid = { key, grid };
  return grid;
}

/**
 * The smallest default batch. Every shard pays a fixed cost beside its iterations (locally
 * about 7.5 ms of CPU: the runner's child execution, reading the context, three sealed puts;
 * on Lambda the invocation overhead and S3 round trips): at 100 iterations (≈ 0.2 s on the
 * pain set) that is a few per cent, and a 5,000-iteration job still has 50 shards to spread.
 */
export const MIN_BATCH_ITERATIONS = 100;

/** Iteration batches: forced size, else about one per allowed concurrent shard (at least MIN_BATCH_ITERATIONS each). */
export function planBatches(iterations: number, maxConcurrency: number, batchSize?: number): { index: number; k0: number; k1: number }[] {
  const size = batchSize ?? Math.max(MIN_BATCH_ITERATIONS, Math.ceil(iterations / Math.max(1, maxConcurrency)));
  const out: { index: number; k0: number; k1: number }[] = [];
  for (let k0 = 0, i = 0; k0 < iterations; k0 += size, i++) out.push({ index: i, k0, k1: Math.min(iterations, k0 + size) });
  return out;
}

/** Leave-one-out shards: about one per allowed concurrent shard, contiguous experiment ranges. */
export function planJackknife(nExperiments: number, maxConcurrency: number): { index: number; e0: number; e1: number }[] {
  const size = Math.max(1, Math.ceil(nExperiments / Math.max(1, maxConcurrency)));
  const out: { index: number; e0: number; e1: number }[] = [];
  for (let e0 = 0, i = 0; e0 < nExperiments; e0 += size, i++) out.push({ index: i, e0, e1: Math.min(nExperiments, e0 + size) });
  return out;
}
