/**
 * The transcriptomics demo: two jobs on the bundled ENIGMA / AHBA fixtures over the 34 left
 * Desikan–Killiany regions.
 *
 * - real: the ENIGMA schizophrenia cortical-thickness effect sizes (d_icv; van Erp et al. 2018)
 *   against the AHBA expression matrix (abagen, stable genes r ≥ 0.6). Nothing is planted; a
 *   reader can check that PLS1 explains the development reference share of the map's variance
 *   (0.4495849, the closed-form PLS1 of the same matrices).
 * - planted: a synthetic response built as a known signed combination of a few genes' z-scored
 *   expression plus seeded Gaussian noise. PLS1 should put exactly those genes at the top of
 *   the bootstrap table (by |Z|, with the planted sign), with a large |Z| and a small spin p.
 *
 * Pure: the planted response (from the parsed expression matrix and a seed), the job specs and
 * the check. Files are read and written by bin/demo.ts.
 */
import { stream } from '../random.ts';
import type { ExpressionMatrix } from '../transcriptomics/tables.ts';
import { tick, type Check, type Finding } from './finding.ts';

export const TX_DEMO_FILES = {
  expression: 'data/fixtures/transcriptomics/ahba/enigma-extra_allgenes_stable_r0.6.csv',
  map: 'data/fixtures/transcriptomics/maps/enigma_scz_case-controls_CortThick.csv',
  centroids: 'data/fixtures/transcriptomics/surface/dk68_fsa5_sphere_centroids.csv',
} as const;

/** PLS1 variance explained of the scz d_icv map over the 34 left DK regions (development reference). */
export const TX_REFERENCE_VE = 0.4495849;
export const TX_REGION_PREFIX = 'L_';

/** How the planted response is built: this many genes, coefficient signs, noise sd (in units of one gene's z-scored profile). */
export const TX_PLANT = { genes: 1, signs: [-1] as const, noiseSd: 0.35, maxNeighbourR: 0.8 } as const;

/**
 * The recovery thresholds: the planted genes are the top TX_PLANT.genes genes by |PLS1 weight|,
 * each with the planted sign and bootstrap |Z| ≥ minAbsZ; the planted response's spin p ≤ maxPSpin.
 * (The table is ranked by Z; among the genes with a large weight the bootstrap Z saturates near
 * 1/CV of the weight vector's norm, so the Z order of the top few is sampling noise and the
 * weight order is what identifies the planted gene.)
 */
export const TX_CHECK = { minAbsZ: 2.5, maxPSpin: 0.05 } as const;

export interface PlantedGene {
  gene: string;
  coefficient: number;
}

export interface PlantedResponse {
  regions: string[];
  values: number[];
  genes: PlantedGene[];
  noiseSd: number;
  seed: number;
}

const zs = (v: number[]): number[] => {
  const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  return v.map((x) => (x - m) / sd);
};
const corr = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0) / (a.length - 1);

/**
 * The planted response over the regions whose label starts with `prefix`: Σ c_g z_g + σ ε with
 * z_g a gene's expression z-scored over those regions (ddof 1), c_g = TX_PLANT.signs,
 * ε ~ N(0, 1) per region from stream(seed, 1). AHBA profiles over 34 regions are dominated by a
 * few gradients (every gene has a neighbour with |r| ≥ 0.64 here, most one with |r| ≥ 0.83), so a
 * sum of several genes is better matched by other genes than by its parts; the planted genes are
 * therefore drawn from stream(seed, 0) among the complete genes whose largest |r| with any other
 * gene is below TX_PLANT.maxNeighbourR (and, when several, with |r| < 0.3 to each other).
 */
export function plantedResponse(expr: ExpressionMatrix, seed = 1, prefix = TX_REGION_PREFIX): PlantedResponse {
  const rows = expr.regions.map((r, i) => [r, i] as const).filter(([r]) => r.startsWith(prefix));
  const p = expr.genes.length;
  const col = (g: number) => rows.map(([, i]) => expr.values[i * p + g]!);
  const complete = Array.from({ length: p }, (_, g) => g).filter((g) => col(g).every(Number.isFinite) && new Set(col(g)).size > 1);
  const Z = complete.map((g) => zs(col(g)));
  const maxR = new Float64Array(complete.length);
  for (let a = 0; a < Z.length; a++) {
    for (let b = a + 1; b < Z.length; b++) {
      const r = Math.abs(corr(Z[a]!, Z[b]!));
      if (r > maxR[a]!) maxR[a] = r;
      if (r > maxR[b]!) maxR[b] = r;
    }
  }
  const pool = complete.map((_, i) => i).filter((i) => maxR[i]! < TX_PLANT.maxNeighbourR);
  if (pool.length < TX_PLANT.genes) throw new Error(`planted response: only ${pool.length} genes without a close neighbour`);
  const pick = stream(seed, 0);
  const chosen: number[] = [];
  for (let tries = 0; chosen.length < TX_PLANT.genes && tries < 10_000; tries++) {
    const i = pool[pick.int(pool.length)]!;
    if (chosen.includes(i) || chosen.some((c) => Math.abs(corr(Z[c]!, Z[i]!)) >= 0.3)) continue;
    chosen.push(i);
  }
  const noise = stream(seed, 1);
  const values = rows.map((_, r) => chosen.reduce((s, c, k) => s + TX_PLANT.signs[k]! * Z[c]![r]!, 0) + TX_PLANT.noiseSd * noise.normal());
  return {
    regions: rows.map(([r]) => r),
    values,
    genes: chosen.map((c, k) => ({ gene: expr.genes[complete[c]!]!, coefficient: TX_PLANT.signs[k]! })),
    noiseSd: TX_PLANT.noiseSd,
    seed,
  };
}

/** The planted response as the regionValues CSV of the planted job. */
export function plantedCsv(r: PlantedResponse): string {
  return ['label,value', ...r.regions.map((l, i) => `${l},${r.values[i]}`)].join('\n') + '\n';
}

export interface TxDemoNulls {
  permutations: number;
  bootstraps: number;
  spins: number;
}

/** Job spec of the real-data (`real`) or planted (`planted`) run; inputs relative to the job folder. */
export function txDemoJob(kind: 'real' | 'planted', nulls: TxDemoNulls, seed = 1): Record<string, unknown> {
  const real = kind === 'real';
  return {
    jobId: real ? 'demo-transcriptomics' : 'demo-transcriptomics-planted',
    pipeline: 'transcriptomics',
    description: real ? 'ENIGMA schizophrenia cortical thickness (d_icv) × AHBA, 34 left DK regions — neuroburst demo' : 'planted gene combination × AHBA, 34 left DK regions — neuroburst demo',
    inputs: { regionValues: real ? 'scz_thickness.csv' : 'planted.csv', expression: 'expression.csv', centroids: 'centroids.csv' },
    params: {
      regionColumn: real ? 'Structure' : 'label',
      valueColumn: real ? 'd_icv' : 'value',
      centroidColumns: ['x_surface', 'y_surface', 'z_surface'],
      regions: TX_REGION_PREFIX,
      nulls: { ...nulls, spinMethod: 'vasa' },
      // the per-gene spin test is not part of the check: off keeps the demo short
      geneSpin: false,
    },
    seed,
    budget: { maxUsd: 1, maxConcurrency: 200 },
  };
}

export interface TxResultLike {
  nRegions: number;
  nGenes: number;
  pls: { varianceExplained: number; pPerm: number | null; pSpin: number | null; nPerm: number; nBoot: number; nSpin: number };
}

export interface GeneRow {
  gene: string;
  weight: number;
  z: number;
}

/** Rows of tables/pls_genes.csv (gene,weight,z,p,q,rank). */
export function parseGeneTable(text: string): GeneRow[] {
  const lines = text.trim().split('\n');
  return lines.slice(1).map((l) => {
    const c = l.split(',');
    return { gene: c[0]!, weight: Number(c[1]), z: Number(c[2]) };
  });
}

/**
 * Checks: the real map's PLS1 variance explained equals TX_REFERENCE_VE (±5e-7); the planted
 * genes are the top genes by |weight| with the planted sign and bootstrap |Z| ≥ TX_CHECK.minAbsZ;
 * the planted response's spin p ≤ TX_CHECK.maxPSpin.
 */
export function txFinding(real: TxResultLike, planted: TxResultLike, genes: readonly GeneRow[], plant: Pick<PlantedResponse, 'genes' | 'noiseSd' | 'seed'>): Finding {
  const checks: Check[] = [];
  const details: string[] = [];
  const ve = real.pls.varianceExplained;
  const veOk = Math.abs(ve - TX_REFERENCE_VE) <= 5e-7;
  checks.push({ what: 'real map: PLS1 variance explained = reference', value: ve, ok: veOk });
  details.push(`real data: scz cortical thickness d_icv × AHBA, ${real.nRegions} regions × ${real.nGenes} genes — PLS1 explains ${ve.toFixed(7)} (reference ${TX_REFERENCE_VE}) ${tick(veOk)}; perm p = ${fmtP(real.pls.pPerm)} (${real.pls.nPerm}), spin p = ${fmtP(real.pls.pSpin)} (${real.pls.nSpin})`);
  const order = (key: (g: GeneRow) => number) => genes.filter((g) => Number.isFinite(key(g))).sort((a, b) => key(b) - key(a) || (a.gene < b.gene ? -1 : 1));
  const byWeight = order((g) => Math.abs(g.weight));
  const byZ = order((g) => Math.abs(g.z));
  const k = plant.genes.length;
  for (const pg of plant.genes) {
    const row = genes.find((g) => g.gene === pg.gene);
    const wRank = byWeight.findIndex((g) => g.gene === pg.gene) + 1;
    const zRank = byZ.findIndex((g) => g.gene === pg.gene) + 1;
    const ok = !!row && wRank >= 1 && wRank <= k && Math.sign(row.weight) === Math.sign(pg.coefficient) && Math.sign(row.z) === Math.sign(pg.coefficient) && Math.abs(row.z) >= TX_CHECK.minAbsZ;
    checks.push({ what: `planted gene ${pg.gene}`, value: row?.z ?? null, ok });
    details.push(row ? `${pg.gene} (planted ${sign(pg.coefficient)}): rank ${wRank} of ${genes.length} by |weight| (weight ${row.weight.toPrecision(3)}), bootstrap Z = ${row.z.toFixed(2)} (rank ${zRank} by |Z|; needs |Z| ≥ ${TX_CHECK.minAbsZ}) ${tick(ok)}` : `${pg.gene} (planted ${sign(pg.coefficient)}): not in the gene table ${tick(false)}`);
  }
  const ps = planted.pls.pSpin;
  const spinOk = ps !== null && ps <= TX_CHECK.maxPSpin;
  checks.push({ what: 'planted response: spin p', value: ps, ok: spinOk });
  details.push(`planted response: PLS1 explains ${planted.pls.varianceExplained.toFixed(3)}, spin p = ${fmtP(ps)} (${planted.pls.nSpin} spins; needs ≤ ${TX_CHECK.maxPSpin}) ${tick(spinOk)}`);
  const next = byWeight.filter((g) => !plant.genes.some((p) => p.gene === g.gene)).slice(0, 3);
  if (next.length) details.push(`next genes by |weight|: ${next.map((g) => `${g.gene} ${g.weight.toPrecision(3)} (Z ${g.z.toFixed(2)})`).join(', ')}`);
  const recovered = checks.every((c) => c.ok);
  const found = checks.filter((c) => c.ok && c.what.startsWith('planted gene')).length;
  const line = `real map PLS1 explains ${ve.toFixed(7)} (reference ${TX_REFERENCE_VE}); planted gene${k > 1 ? 's' : ''} ${plant.genes.map((g) => g.gene).join(', ')} ${found}/${k} at the top, spin p = ${fmtP(ps)} ${tick(recovered)}`;
  const plantedText = [
    `real data, nothing planted: ENIGMA schizophrenia cortical thickness (d_icv) over the left DK regions × AHBA; expected PLS1 variance explained ${TX_REFERENCE_VE}`,
    `planted response = ${plant.genes.map((g) => `${g.coefficient < 0 ? '−' : '+'} z(${g.gene})`).join(' ')} + ${plant.noiseSd}·N(0, 1) noise (seed ${plant.seed}); expected: ${k > 1 ? 'these genes' : 'this gene'} first by |PLS1 weight| with that sign, bootstrap |Z| ≥ ${TX_CHECK.minAbsZ}, spin p ≤ ${TX_CHECK.maxPSpin}`,
  ];
  return { pipeline: 'transcriptomics', recovered, line, planted: plantedText, details, checks };
}

const sign = (c: number) => (c < 0 ? 'negative' : 'positive');
const fmtP = (p: number | null) => (p === null ? '—' : Number(p.toPrecision(3)).toString());
