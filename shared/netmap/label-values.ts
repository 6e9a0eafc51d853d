/**
 * Per-label values of a map for any atlas (e.g. thalamic nuclei of a thalamus atlas, or AAL
 * regions), ranked: the mean map value over each label's voxels (finite values; inside an
 * optional mask), rank 1 = highest mean (or lowest with order 'asc'); ties share the order
 * of their label number.
 */
import type { LabelTable } from '../volume/atlas-labels.ts';
import { atlasLabelStats } from './atlas-mask-null.ts';

export interface LabelValue {
  label: number;
  name: string;
  voxels: number;
  mean: number;
  rank: number;
}

export function labelValues(map: Float32Array, atlas: ArrayLike<number>, opts: { mask?: Uint8Array; names?: LabelTable; order?: 'desc' | 'asc' } = {}, input = 'atlas'): LabelValue[] {
  const st = atlasLabelStats(map, atlas, opts.mask, input);
  const sign = opts.order === 'asc' ? 1 : -1;
  const rows = Array.from(st.labels, (l, i) => ({ label: l, name: opts.names?.get(l) ?? `label ${l}`, voxels: st.count[i]!, mean: st.sum[i]! / st.count[i]!, rank: 0 }));
  rows.sort((a, b) => sign * (a.mean - b.mean) || a.label - b.label);
  rows.forEach((r, i) => (r.rank = i + 1));
  return rows;
}
