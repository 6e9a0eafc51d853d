/**
 * The PLS gene lists handed to enrichment (and compared with DEGs): the positive and the
 * negative tail of the bootstrap Z. By default a tail is every gene with q < alpha on that side;
 * with `top` it is the `top` genes of largest |Z| on that side (the study's top 1,500), ties
 * broken by gene order. The background is every gene tested.
 */
export interface GeneLists {
  positive: string[];
  negative: string[];
  background: string[];
  rule: string;
}

export function plsGeneLists(genes: readonly string[], z: ArrayLike<number>, q: ArrayLike<number>, opts: { alpha?: number; top?: number } = {}): GeneLists {
  const alpha = opts.alpha ?? 0.05;
  const idx = Array.from({ length: genes.length }, (_, g) => g).filter((g) => Number.isFinite(z[g]!));
  const pos = idx.filter((g) => z[g]! > 0).sort((a, b) => z[b]! - z[a]! || a - b);
  const neg = idx.filter((g) => z[g]! < 0).sort((a, b) => z[a]! - z[b]! || a - b);
  const pick = (list: number[]) => (opts.top !== undefined ? list.slice(0, opts.top) : list.filter((g) => q[g]! < alpha));
  return {
    positive: pick(pos).map((g) => genes[g]!),
    negative: pick(neg).map((g) => genes[g]!),
    background: [...genes],
    rule: opts.top !== undefined ? `top ${opts.top} of each tail by bootstrap Z` : `q < ${alpha} in each tail (bootstrap Z, BH FDR)`,
  };
}
