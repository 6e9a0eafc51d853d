import { mix32 } from '../../random.ts';
import type { Store } from '../../storage/index.ts';
import type { RegionSummary } from '../../volume/parcellate.ts';
import type { TranscriptomicsJob } from './job.ts';

export interface CorrelationInput {
  name: string;
  source: string;
  regions: string[];
  /** the other map's values on `regions` */
  x: number[];
  /** the response on `regions` */
  y: number[];
  coords?: number[];
  hemi?: number[];
}

/** Everything the later stages need, written once by Validate as context.json (X as X.f64 beside it). */
export interface TxContext {
  jobId: string;
  specHash: string;
  jobUri: string;
  job: TranscriptomicsJob;
  workDir: string;
  resultsDir: string;
  n: number;
  p: number;
  regions: string[];
  genes: string[];
  y: number[];
  dropped: { region: string; reason: string }[];
  genesDropped: number;
  /** parcellation of inputs.map (when the response is a NIfTI map) */
  parcellation?: { regions: RegionSummary[]; resampling: { method: string; atlasVoxelsInside: number; mapVoxelsOutsideAtlas: number }; unlabelledVoxels: number; statistic: string };
  /** centroids of the PLS regions (packed xyz) and hemispheres, when spins are run */
  coords?: number[];
  hemi?: number[];
  correlations: CorrelationInput[];
  /** permutations ≥ n!: all n! relabellings enumerated instead */
  exhaustive: boolean;
  nPermutations: number;
  /** stages requested by inputs but not available in this build */
  unavailable: string[];
  /** resolved URIs of the enrichment, PPI and RNA-seq inputs (re-read by the reducer) */
  omics: { geneSets: string[]; ppi?: string; counts?: string; samples?: string };
}

export const keys = {
  context: (workDir: string) => `${workDir}/context.json`,
  X: (workDir: string) => `${workDir}/X.f64`,
  spins: (workDir: string, set: string) => `${workDir}/spins/${set}.i32`,
  spinInfo: (workDir: string) => `${workDir}/spins/info.json`,
  spinCandidates: (workDir: string, set: string, index: number) => `${workDir}/spins/candidates/${set}-${String(index).padStart(5, '0')}.i32`,
  nulls: (workDir: string, kind: string, index: number) => `${workDir}/nulls/${kind}-${String(index).padStart(5, '0')}.bin`,
};

export async function loadContext(store: Store, contextKey: string): Promise<TxContext> {
  return JSON.parse(await store.getText(contextKey)) as TxContext;
}

export async function loadX(store: Store, ctx: TxContext): Promise<Float64Array> {
  const b = await store.get(keys.X(ctx.workDir));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export type NullKind = 'perm' | 'spin' | 'boot' | 'genespin';

export interface NullItem {
  kind: NullKind;
  index: number;
  start: number;
  count: number;
}

const DEFAULT_PER: Record<NullKind, number> = { perm: 100_000, spin: 100_000, boot: 500, genespin: 500 };

/** Batches of every null; the batch size never changes a result (bootstrap sums are kept per 50-resample chunk). */
export function nullItems(ctx: TxContext): NullItem[] {
  const nulls = ctx.job.params.nulls;
  const per = (k: NullKind) => ctx.job.params.resamplesPerBatch ?? DEFAULT_PER[k];
  const spins = ctx.coords ? nulls.spins : 0;
  const plan: [NullKind, number][] = [
    ['perm', ctx.nPermutations],
    ['spin', spins],
    ['boot', nulls.bootstraps],
    ['genespin', ctx.job.params.geneSpin ? spins : 0],
  ];
  const out: NullItem[] = [];
  for (const [kind, total] of plan) {
    const b = per(kind);
    for (let start = 0, index = 0; start < total; start += b, index++) out.push({ kind, index, start, count: Math.min(b, total - start) });
  }
  return out;
}

/** Each null draws from its own seed, derived from the job seed: resample k of null X uses stream(seedOf(seed, X), k). */
export function nullSeed(seed: number, kind: 'perm' | 'boot' | 'spin'): number {
  const salt = kind === 'perm' ? 0x7065726d : kind === 'boot' ? 0x626f6f74 : 0x7370696e;
  return mix32((seed >>> 0) ^ salt);
}
