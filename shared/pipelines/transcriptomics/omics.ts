/**
 * The reducer's gene-list stages: over-representation of the positive and negative PLS genes
 * (and of the DEGs) in every GMT library (background = the genes tested), RNA-seq differential
 * expression with its overlaps with the PLS lists and the enriched sets, and MCODE clusters of
 * the interaction network restricted to a gene list.
 */
import { enrichmentCsv, listOverlap, mcode, mcodeCsv, overRepresentation, parseEdgeList, parseGmt, tailLists } from '../../enrichment/index.ts';
import type { OraResult } from '../../enrichment/index.ts';
import { DESEQ_METHOD, degCsv, deseqFromTables } from '../../rnaseq/index.ts';
import { readUri } from '../../storage/index.ts';
import type { TxContext } from './context.ts';

export interface OmicsResult {
  enrichment: null | {
    rule: string;
    lists: Record<string, number>;
    libraries: string[];
    significant: Record<string, number>;
    top: { list: string; library: string; set: string; overlap: number; q: number }[];
  };
  deg: null | {
    method: string;
    test: string;
    reference: string;
    nUp: number;
    nDown: number;
    overlaps: Record<string, { genes: number; expected: number; p: number }>;
    inEnrichedSets: { list: string; library: string; set: string; degs: string[] }[];
    notes: string[];
  };
  mcode: null | { list: string; genes: number; edges: number; clusters: { rank: number; score: number; size: number; seed: string }[] };
  tables: Record<string, string>;
}

const text = async (uri: string) => new TextDecoder().decode(await readUri(uri));

export async function runOmics(ctx: TxContext, z: Float64Array, q: Float64Array, hasBoot: boolean): Promise<OmicsResult> {
  const params = ctx.job.params;
  const out: OmicsResult = { enrichment: null, deg: null, mcode: null, tables: {} };
  const om = ctx.omics;
  if (!om.geneSets.length && !om.ppi && !om.counts) return out;
  const lists = hasBoot || params.enrichment.top !== undefined ? tailLists(ctx.genes, z, hasBoot ? q : undefined, { qThreshold: params.fdrAlpha, top: params.enrichment.top }) : { positive: [], negative: [], rule: 'no gene lists (no bootstrap)' };
  const named: Record<string, string[]> = { positive: lists.positive, negative: lists.negative };

  let degGenes: string[] | undefined;
  if (om.counts && om.samples) {
    const d = params.deg;
    const res = deseqFromTables(await text(om.counts), await text(om.samples), { ...d, countsSource: 'inputs.counts', samplesSource: 'inputs.samples' });
    out.tables['tables/deg.csv'] = degCsv(res);
    degGenes = res.rows.filter((r) => r.deg !== '').map((r) => r.gene);
    named.deg = degGenes;
    const bg = new Set(res.rows.map((r) => r.gene.toUpperCase()));
    const background = ctx.genes.filter((g) => bg.has(g.toUpperCase()));
    const overlaps: NonNullable<OmicsResult['deg']>['overlaps'] = {};
    for (const l of ['positive', 'negative'] as const) {
      if (background.length === 0) break;
      const o = listOverlap(degGenes, named[l]!, background);
      overlaps[l] = { genes: o.genes.length, expected: o.expected, p: o.p };
    }
    out.deg = { method: DESEQ_METHOD, test: res.test, reference: res.reference, nUp: res.nUp, nDown: res.nDown, overlaps, inEnrichedSets: [], notes: res.notes };
  }

  const results: { list: string; result: OraResult }[] = [];
  if (om.geneSets.length) {
    const libs = [];
    for (const uri of om.geneSets) {
      const name = uri.slice(uri.lastIndexOf('/') + 1).replace(/\.gmt$/i, '');
      libs.push(parseGmt(await text(uri), name, { name }));
    }
    for (const [list, genes] of Object.entries(named)) {
      if (!genes.length) continue;
      results.push({ list, result: overRepresentation(genes, ctx.genes, libs, { minSetSize: params.enrichment.minSetSize, maxSetSize: params.enrichment.maxSetSize }) });
    }
    out.tables['tables/enrichment.csv'] = enrichmentCsv(results);
    const significant: Record<string, number> = {};
    const top: NonNullable<OmicsResult['enrichment']>['top'] = [];
    for (const { list, result } of results) {
      const sig = result.rows.filter((r) => r.q < params.fdrAlpha);
      significant[list] = sig.length;
      for (const r of sig.slice(0, 10)) top.push({ list, library: r.library, set: r.set, overlap: r.overlap, q: r.q });
      if (degGenes && list !== 'deg' && out.deg) {
        const degSet = new Set(degGenes.map((g) => g.toUpperCase()));
        for (const r of sig) {
          const degs = r.overlapGenes.filter((g) => degSet.has(g.toUpperCase()));
          if (degs.length) out.deg.inEnrichedSets.push({ list, library: r.library, set: r.set, degs });
        }
      }
    }
    out.enrichment = { rule: lists.rule, lists: Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v.length])), libraries: libs.map((l) => l.name), significant, top };
  }

  if (om.ppi) {
    const which = params.mcode.list;
    const genes = which === 'both' ? [...lists.positive, ...lists.negative] : which === 'deg' ? (degGenes ?? []) : named[which]!;
    const { graph, edges } = parseEdgeList(await text(om.ppi), 'inputs.ppi', { restrictTo: genes });
    const res = mcode(graph, { nodeScoreCutoff: params.mcode.nodeScoreCutoff, kCore: params.mcode.kCore, haircut: params.mcode.haircut });
    out.tables['tables/mcode.csv'] = mcodeCsv(res.clusters);
    out.mcode = { list: which, genes: genes.length, edges, clusters: res.clusters.map((c) => ({ rank: c.rank, score: c.score, size: c.members.length, seed: c.seed })) };
  }
  return out;
}
