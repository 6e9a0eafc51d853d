/**
 * Gene lists for enrichment from a ranked gene table (e.g. PLS1 bootstrap Z with BH q):
 * the positive list holds genes with z > 0, the negative list genes with z < 0, each
 * either every gene of its tail with q < qThreshold (default 0.05) or, when `top` is
 * given, the `top` genes of largest |z| in that tail (ties by gene order). Genes with a
 * non-finite z are never listed.
 */
import { InvalidParameter } from '../errors.ts';

export interface TailListOptions {
  /** q threshold for the FDR rule (default 0.05) */
  qThreshold?: number;
  /** take the top N of each tail by |z| instead of the FDR rule (e.g. 1500) */
  top?: number;
}

export function tailLists(
  genes: string[],
  z: ArrayLike<number>,
  q: ArrayLike<number> | undefined,
  opts: TailListOptions = {},
): { positive: string[]; negative: string[]; rule: string } {
  if (z.length !== genes.length || (q && q.length !== genes.length)) {
    throw new InvalidParameter(`tailLists: ${genes.length} genes but ${z.length} z and ${q?.length ?? 0} q values`, 'genes');
  }
  const idx = genes.map((_, i) => i).filter((i) => Number.isFinite(z[i]!));
  const pos = idx.filter((i) => z[i]! > 0).sort((a, b) => z[b]! - z[a]! || a - b);
  const neg = idx.filter((i) => z[i]! < 0).sort((a, b) => z[a]! - z[b]! || a - b);
  if (opts.top !== undefined) {
    if (!(Number.isInteger(opts.top) && opts.top > 0)) throw new InvalidParameter('top must be a positive integer', 'top');
    return {
      positive: pos.slice(0, opts.top).map((i) => genes[i]!),
      negative: neg.slice(0, opts.top).map((i) => genes[i]!),
      rule: `top ${opts.top} genes of each tail by |Z|`,
    };
  }
  if (!q) throw new InvalidParameter('tailLists needs q values unless top is given', 'q');
  const thr = opts.qThreshold ?? 0.05;
  return {
    positive: pos.filter((i) => q[i]! < thr).map((i) => genes[i]!),
    negative: neg.filter((i) => q[i]! < thr).map((i) => genes[i]!),
    rule: `genes with q < ${thr} in each tail`,
  };
}
