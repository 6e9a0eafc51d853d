import type { Store } from '../../storage/index.ts';
import type { NetmapJob } from './job.ts';
import type { Grid } from '../common/grid.ts';
import type { SweepVariant } from '../../netmap/sweep-variants.ts';

export interface StudySeed {
  study: string;
  /** coordinates of the study's spheres (empty for mask seeds) */
  coordinates: [number, number, number][];
  maskUri?: string;
  /** connectome voxels in the seed */
  voxels: number;
  /** inputs.seeds ('study') or inputs.controls ('control') */
  set: 'study' | 'control';
  /** the control set (inputs.controls name, `random` for params.randomControls; absent for a single unnamed controls table) */
  controlSet?: string;
  /** the seeds table's `outcome` (DBS: e.g. % seizure reduction) */
  outcome?: number;
  /** DBS from stimulation settings: the VAT radius of each contact (Mädler & Coenen 2012) */
  vatRadiiMm?: number[];
}

/** Everything the later stages need, written once by Validate as context.json. */
export interface NetmapContext {
  jobId: string;
  specHash: string;
  jobUri: string;
  job: NetmapJob;
  /** connectome.json and the folder its files are relative to */
  connectomeUri: string;
  connectomeBase: string;
  connectomeName: string;
  grid: Grid;
  /** connectome mask voxels (V) */
  voxels: number;
  subjects: { id: string; uri: string; runs: number[] }[];
  studies: StudySeed[];
  maskUri?: string;
  atlasUri?: string;
  atlasLabelsUri?: string;
  referenceUri?: string;
  /** params.dbs.external */
  dbsExternalUri?: string;
  /** params.roiTests: the two groups' studies and coordinates */
  roiGroups?: { group: string; studies: { study: string; coords: [number, number, number][] }[] }[];
  /** params.lesionTests: the two groups' mask URIs */
  lesionGroups?: { group: string; masks: { name: string; uri: string }[] }[];
  /** params.roiConnectivity: target ROIs (the seeds themselves are in roi-seeds.json of the work folder) */
  roiTargets?: { name: string; group: string }[];
  /** params.randomControls: the generated seeds table (in the work folder), copied to tables/random_controls.csv */
  randomControlsKey?: string;
  workDir: string;
  resultsDir: string;
  /**
   * Where the connectome pass (chunk sums, per-seed maps) lives: `<work>/<jobId>/pass-<hash>`, the hash over the
   * connectome manifest and the seed slots only — a job that changes only thresholds, subsets or reduce-stage
   * settings reuses the pass instead of recomputing every seed map.
   */
  passDir: string;
  /** seed slots of the pass (seeds.json; the studies' main seeds first, in `studies` order, then extra sweep geometries) */
  slots: number;
  /** the main network's settings: params.sweep's first threshold/diameter, else params.threshold/sphereDiameterMm */
  threshold: number;
  diameterMm: number;
  /** inputs.connectomes: further connectomes on the primary's grid and mask, one pass each (their own passDir) */
  connectomes?: { name: string; connectomeUri: string; subjects: { id: string; uri: string; runs: number[] }[]; passDir: string }[];
  /** with params.sweep: geometry id → seed slot, and the variants (planSweep) */
  sweep?: { geometries: Record<string, number>; variants: SweepVariant[] };
}

export const keys = {
  context: (workDir: string) => `${workDir}/context.json`,
  estimate: (workDir: string) => `${workDir}/estimate.json`,
  seeds: (workDir: string) => `${workDir}/seeds.json`,
  /** params.roiConnectivity: { source, targets } seeds */
  roiSeeds: (workDir: string) => `${workDir}/roi-seeds.json`,
  /** under ctx.passDir: per-chunk subject × target Fisher z table */
  roiChunk: (passDir: string, i: number) => `${passDir}/roi/${String(i).padStart(5, '0')}.json`,
  connectomeMask: (workDir: string) => `${workDir}/connectome-mask.u8`,
  /** under ctx.passDir */
  chunk: (passDir: string, i: number) => `${passDir}/chunks/${String(i).padStart(5, '0')}.sums`,
  metrics: (workDir: string) => `${workDir}/metrics/`,
};

export async function loadContext(store: Store, contextKey: string): Promise<NetmapContext> {
  return JSON.parse(await store.getText(contextKey)) as NetmapContext;
}

/** Shards of connectome subjects: contiguous index ranges. */
export function planChunks(nSubjects: number, maxConcurrency: number, forced?: number): { index: number; s0: number; s1: number }[] {
  const per = forced ?? Math.max(1, Math.ceil(nSubjects / Math.max(1, Math.min(maxConcurrency, 64))));
  const out: { index: number; s0: number; s1: number }[] = [];
  for (let s0 = 0, i = 0; s0 < nSubjects; s0 += per, i++) out.push({ index: i, s0, s1: Math.min(nSubjects, s0 + per) });
  return out;
}

export interface ChunkItem {
  /** item index in the Distributed Map (chunk index within the primary connectome) */
  index: number;
  s0: number;
  s1: number;
  /** 1-based index into ctx.connectomes; absent for the primary connectome */
  connectome?: number;
  /** chunk index within its connectome (its file key) */
  chunk?: number;
}

/** The connectome a chunk item belongs to: its subjects and pass folder. */
export function connectomeOf(ctx: NetmapContext, c?: number): { name: string; subjects: NetmapContext['subjects']; passDir: string } {
  if (!c) return { name: ctx.connectomeName, subjects: ctx.subjects, passDir: ctx.passDir };
  const x = ctx.connectomes![c - 1]!;
  return { name: x.name, subjects: x.subjects, passDir: x.passDir };
}

/** Every chunk of the job: the primary connectome's, then each further connectome's. */
export function allChunks(ctx: NetmapContext): ChunkItem[] {
  const per = (n: number) => planChunks(n, ctx.job.budget.maxConcurrency, ctx.job.params.subjectsPerShard);
  const out: ChunkItem[] = per(ctx.subjects.length);
  (ctx.connectomes ?? []).forEach((x, i) => {
    for (const c of per(x.subjects.length)) out.push({ index: out.length, s0: c.s0, s1: c.s1, connectome: i + 1, chunk: c.index });
  });
  return out;
}
