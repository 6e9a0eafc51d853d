import type { GlmJob } from './job.ts';
import type { Store } from '../../storage/index.ts';
import type { ModelSpec } from './design.ts';
import type { Grid } from '../common/grid.ts';

/** Everything the later stages need, written once by Validate as context.json. */
export interface GlmContext {
  jobId: string;
  specHash: string;
  jobUri: string;
  job: GlmJob;
  subjects: { id: string; group: string; map: string }[];
  grid: Grid;
  models: ModelSpec[];
  maskUri?: string;
  atlasUri?: string;
  atlasLabelsUri?: string;
  /** exchangeability block of each subject (inference.permutation.exchangeabilityBlocks) */
  blocks?: string[];
  /** work prefix of this job and spec: every intermediate key starts with it */
  workDir: string;
  /** where the final outputs go */
  resultsDir: string;
}

/** Intermediate keys: pure functions of (work dir, stage, shard), so a re-run resumes. */
export const keys = {
  context: (workDir: string) => `${workDir}/context.json`,
  estimate: (workDir: string) => `${workDir}/estimate.json`,
  prepared: (workDir: string, i: number) => `${workDir}/prepared/${String(i).padStart(5, '0')}.f32`,
  mask: (workDir: string) => `${workDir}/mask.u8`,
  maskInfo: (workDir: string) => `${workDir}/mask.json`,
  /** the slab plan of the mask step, read by the reducer (computed once) */
  slabs: (workDir: string) => `${workDir}/slabs.json`,
  slabT: (workDir: string, s: number, m: number) => `${workDir}/slabs/${String(s).padStart(5, '0')}/t_${m}.f32`,
  slabSmooth: (workDir: string, s: number, m: number) => `${workDir}/slabs/${String(s).padStart(5, '0')}/smooth_${m}.f64`,
  metrics: (workDir: string) => `${workDir}/metrics/`,
};

export async function loadContext(store: Store, contextKey: string): Promise<GlmContext> {
  return JSON.parse(await store.getText(contextKey)) as GlmContext;
}
