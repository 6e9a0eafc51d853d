/** Result tables of enrichment, list overlaps and MCODE, as CSV text. */
import { csvTable } from './csv.ts';
import { InvalidGeneList } from './errors.ts';
import { normaliseGene } from './gmt.ts';
import { hypergeomUpperTail } from './hypergeometric.ts';
import type { McodeCluster } from './mcode.ts';
import type { OraResult } from './ora.ts';

/** `tables/enrichment.csv`: one row per (list, library, set); overlap genes joined by ";". */
export function enrichmentCsv(results: { list: string; result: OraResult }[]): string {
  const rows: unknown[][] = [];
  for (const { list, result } of results)
    for (const r of result.rows)
      rows.push([list, r.library, r.set, r.description, result.listSize, r.setSize, result.backgroundSize, r.overlap, r.expected, r.foldEnrichment, r.p, r.q, r.overlapGenes.join(';')]);
  return csvTable(['list', 'library', 'set', 'description', 'listSize', 'setSize', 'backgroundSize', 'overlap', 'expected', 'foldEnrichment', 'p', 'q', 'overlapGenes'], rows);
}

/** `tables/mcode.csv`: one row per cluster; members joined by ";". */
export function mcodeCsv(clusters: McodeCluster[]): string {
  return csvTable(
    ['cluster', 'score', 'size', 'edges', 'density', 'seed', 'members'],
    clusters.map((c) => [c.rank, c.score, c.members.length, c.edges, c.density, c.seed, c.members.join(';')]),
  );
}

export interface ListOverlap {
  /** genes in both lists (restricted to the background), sorted */
  genes: string[];
  /** sizes of the two lists within the background, and the background */
  sizeA: number;
  sizeB: number;
  background: number;
  expected: number;
  /** hypergeometric P(overlap ≥ observed) */
  p: number;
}

/**
 * Overlap of two gene lists (e.g. DEGs and the positive PLS genes) within a background
 * (the genes both analyses could report), with the hypergeometric upper-tail p.
 */
export function listOverlap(a: Iterable<string>, b: Iterable<string>, background: Iterable<string>, caseSensitive = false): ListOverlap {
  const bg = new Set(Array.from(background, (g) => normaliseGene(g, caseSensitive)).filter((g) => g !== ''));
  if (bg.size === 0) throw new InvalidGeneList('the background is empty', 'background');
  const A = new Set(Array.from(a, (g) => normaliseGene(g, caseSensitive)).filter((g) => bg.has(g)));
  const B = new Set(Array.from(b, (g) => normaliseGene(g, caseSensitive)).filter((g) => bg.has(g)));
  const genes = [...A].filter((g) => B.has(g)).sort();
  return {
    genes,
    sizeA: A.size,
    sizeB: B.size,
    background: bg.size,
    expected: (A.size * B.size) / bg.size,
    p: Math.min(1, hypergeomUpperTail(genes.length, bg.size, B.size, A.size).p),
  };
}
