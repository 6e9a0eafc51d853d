/**
 * Over-representation analysis: for each gene set S of each library, the overlap of a
 * gene list L with S is tested by the hypergeometric upper tail
 *   p = P(X ≥ |L ∩ S ∩ B|),  X ~ Hypergeometric(N = |B|, K = |S ∩ B|, n = |L ∩ B|),
 * with background B = the genes tested (e.g. every gene of the expression matrix).
 * List genes outside B are dropped (counted); sets are restricted to B, and sets with
 * fewer than `minSetSize` or more than `maxSetSize` background genes are not tested
 * (counted). Benjamini–Hochberg q within each library over the sets tested there.
 * Works for any list: positive or negative PLS genes, a top-N, DEGs.
 */
import { bhAdjust } from '../stats/fdr.ts';
import { InvalidGeneList } from './errors.ts';
import { type GeneSetLibrary, normaliseGene } from './gmt.ts';
import { hypergeomUpperTail } from './hypergeometric.ts';

export interface OraOptions {
  /** smallest set (genes in the background) tested; default 1 */
  minSetSize?: number;
  /** largest set tested; default Infinity */
  maxSetSize?: number;
  /** compare gene symbols case-sensitively (default false, as `parseGmt`) */
  caseSensitive?: boolean;
}

export interface OraRow {
  library: string;
  set: string;
  description: string;
  /** K: set genes in the background */
  setSize: number;
  /** k: list genes in the set */
  overlap: number;
  /** expected overlap n·K/N */
  expected: number;
  /** (k/n)/(K/N) */
  foldEnrichment: number;
  p: number;
  /** natural log of p (finite even when p underflows) */
  logP: number;
  /** BH q within the library */
  q: number;
  /** overlapping genes, sorted */
  overlapGenes: string[];
}

export interface OraResult {
  /** n: list genes in the background */
  listSize: number;
  /** N */
  backgroundSize: number;
  /** list genes absent from the background (not tested) */
  listNotInBackground: number;
  /** per library: sets tested and sets skipped by size */
  libraries: { name: string; tested: number; skipped: number }[];
  /** rows of every library, each library sorted by p (then set name) */
  rows: OraRow[];
}

export function overRepresentation(
  list: Iterable<string>,
  background: Iterable<string>,
  libraries: GeneSetLibrary[],
  opts: OraOptions = {},
): OraResult {
  const cs = opts.caseSensitive ?? false;
  const minSize = opts.minSetSize ?? 1;
  const maxSize = opts.maxSetSize ?? Infinity;
  const bg = new Set<string>();
  for (const g of background) {
    const t = normaliseGene(g, cs);
    if (t !== '') bg.add(t);
  }
  if (bg.size === 0) throw new InvalidGeneList('the background (genes tested) is empty', 'background');
  const inList = new Set<string>();
  let outside = 0;
  for (const g of list) {
    const t = normaliseGene(g, cs);
    if (t === '' || inList.has(t)) continue;
    if (bg.has(t)) inList.add(t);
    else outside++;
  }
  const N = bg.size;
  const n = inList.size;
  const rows: OraRow[] = [];
  const libs: OraResult['libraries'] = [];
  for (const lib of libraries) {
    const libRows: OraRow[] = [];
    let skipped = 0;
    for (const s of lib.sets) {
      let K = 0;
      const ov: string[] = [];
      for (const g0 of s.genes) {
        const g = cs ? g0 : g0.toUpperCase();
        if (!bg.has(g)) continue;
        K++;
        if (inList.has(g)) ov.push(g);
      }
      if (K < minSize || K > maxSize || K === 0) {
        skipped++;
        continue;
      }
      const k = ov.length;
      const { p, logP } = hypergeomUpperTail(k, N, K, n);
      const expected = (n * K) / N;
      libRows.push({
        library: lib.name,
        set: s.name,
        description: s.description,
        setSize: K,
        overlap: k,
        expected,
        foldEnrichment: expected > 0 ? k / expected : NaN,
        p: Math.min(1, p),
        logP,
        q: NaN,
        overlapGenes: ov.sort(),
      });
    }
    const q = bhAdjust(libRows.map((r) => r.p));
    libRows.forEach((r, i) => (r.q = q[i]!));
    libRows.sort((a, b) => a.logP - b.logP || (a.set < b.set ? -1 : a.set > b.set ? 1 : 0));
    rows.push(...libRows);
    libs.push({ name: lib.name, tested: libRows.length, skipped });
  }
  return { listSize: n, backgroundSize: N, listNotInBackground: outside, libraries: libs, rows };
}
