import type { Store } from '../../storage/index.ts';
import type { Grid } from '../common/grid.ts';
import type { RehoJob } from './job.ts';
import type { PreprocessSteps } from './params.ts';

export type WmCsfSource = 'file' | 'masks' | 'confounds';

export interface RehoSubject {
  id: string;
  group: string;
  func: string;
  confounds?: string;
  wmCsf?: string;
  /** where the WM/CSF regressors come from: a wm_csf file, WM/CSF masks (mean signal per volume) or the confounds TSV columns; unset when unused */
  wmCsfSource?: WmCsfSource;
  /** WM and CSF masks (URIs) when wmCsfSource is 'masks' */
  wmMask?: string;
  csfMask?: string;
  /** volumes in the file */
  volumes: number;
  tr: number;
  /** uncompressed .nii: slab workers use ranged reads */
  ranged: boolean;
  row: Record<string, string>;
}

/** Everything later stages need, written once by Validate as context.json. */
export interface RehoContext {
  jobId: string;
  specHash: string;
  jobUri: string;
  job: RehoJob;
  steps: PreprocessSteps;
  subjects: RehoSubject[];
  grid: Grid;
  maskUri?: string;
  workDir: string;
  resultsDir: string;
}

/** One ReHo shard: one subject, planes z0..z1-1. */
export interface RehoShard {
  index: number;
  subject: number;
  slab: number;
  z0: number;
  z1: number;
  /** the subject's WM/CSF mask signals are computed by this shard (its only slab, every plane) */
  signals?: boolean;
}

const pad = (i: number) => String(i).padStart(5, '0');

/** Intermediate keys: pure functions of (work dir, stage, shard), so a re-run resumes. */
export const keys = {
  context: (w: string) => `${w}/context.json`,
  estimate: (w: string) => `${w}/estimate.json`,
  plan: (w: string) => `${w}/plan.json`,
  qc: (w: string, s: number) => `${w}/qc/${pad(s)}.json`,
  slabReho: (w: string, s: number, slab: number) => `${w}/reho/${pad(s)}/${pad(slab)}.f32`,
  slabMask: (w: string, s: number, slab: number) => `${w}/reho/${pad(s)}/${pad(slab)}.mask.u8`,
  signals: (w: string, s: number) => `${w}/signals/${pad(s)}.json`,
  groupDir: (w: string) => `${w}/group`,
  groupResult: (w: string) => `${w}/group/result.json`,
  subjectStats: (w: string, s: number) => `${w}/subjects/${pad(s)}.json`,
  group: (w: string) => `${w}/group.json`,
  metrics: (w: string) => `${w}/metrics/`,
};

export async function loadContext(store: Store, contextKey: string): Promise<RehoContext> {
  return JSON.parse(await store.getText(contextKey)) as RehoContext;
}

/** Map names of one subject under the results folder. */
export function mapNames(id: string) {
  // a BIDS participant_id ("sub-01") is used as given; a bare label ("01") gets the "sub-" entity
  const sub = id.startsWith('sub-') ? id : `sub-${id}`;
  return {
    reho: `maps/${sub}_reho.nii.gz`,
    mreho: `maps/${sub}_mreho.nii.gz`,
    zreho: `maps/${sub}_zreho.nii.gz`,
    szreho: `maps/${sub}_szreho.nii.gz`,
  };
}
