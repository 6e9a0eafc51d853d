/** The kind of a map guessed from its file name (for maps without a describer). */
import type { MapKind } from './types.ts';

/** Kind of a map from its file name (for pipelines without a describer). */
export function kindFromName(rel: string): MapKind {
  const n = rel.replace(/^.*\//, '').replace(/\.nii(\.gz)?$/, '').toLowerCase();
  if (/(_fwep|_uncp|_fdrp)$/.test(n)) return 'oneMinusP';
  if (/logp$/.test(n)) return 'logp';
  if (/(^|_)p$/.test(n)) return 'p';
  if (/(^|_)t$/.test(n)) return 't';
  if (/(^|_)(grf|cfwe.*)$/.test(n) || /^cfwe_/.test(n)) return 'cluster';
  if (/(^|_)z$/.test(n)) return 'z';
  if (/(^|_)ale$/.test(n)) return 'ale';
  if (/overlap/.test(n)) return 'overlap';
  if (/tfce$/.test(n)) return 'tfce';
  if (/reho$/.test(n)) return 'reho';
  if (/mask$/.test(n)) return 'mask';
  return 'value';
}
