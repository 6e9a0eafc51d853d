/**
 * Region × gene expression matrix from AHBA-format donor folders, following the
 * defaults of abagen's `get_expression_data` (Markello et al. 2021):
 *
 * 1. probes: Probes.csv of the first donor; probes without an Entrez id are dropped (or,
 *    when a reannotation table is given, only its probes are kept with its symbols, as
 *    abagen's Arnatkevičiūtė et al. 2019 reannotation);
 * 2. samples: coordinates replaced by the corrected ("alleninf") MNI coordinates when a
 *    table is given, snapped to the atlas grid; samples whose ontology hemisphere
 *    disagrees with the sign of x are dropped (L needs x < 0, R x > 0, B x = 0);
 * 3. intensity-based filter of probes (PA call = 1 in ≥ 50% of the kept samples);
 * 4. one probe per gene by differential stability across donors (needs ≥ 2 donors);
 * 5. per donor: samples matched to atlas regions within 0, 1, 2 mm (see `matching.ts`),
 *    unmatched samples dropped before normalisation; scaled robust sigmoid of each sample
 *    across genes, then of each gene across the donor's matched samples;
 * 6. mean of samples per region within each donor, then mean over donors having data;
 *    regions without samples stay all-NaN; genes with NaN in any non-empty region are
 *    dropped (abagen "poorly normalised" genes).
 *
 * Differs from abagen: no bundled reannotation table (pass one), no `missing` filling,
 * volumetric atlases only.
 */
import { InvalidAhbaData } from './errors.ts';
import {
  type AtlasInfoRow,
  type OntologyEntry,
  parseCorrectedCoordinates,
  parseCsvRows,
  parseOntology,
  parseProbeMatrix,
  parseProbes,
  parseSampleAnnot,
  type ProbeMatrix,
} from './files.ts';
import { buildAtlasIndex, type LabelVolume, matchSamples, type SampleLocation, snapToGrid } from './matching.ts';
import { differentialStability, selectProbes } from './probes.ts';
import { scaledRobustSigmoid } from './srs.ts';

export interface AhbaDonorFiles {
  /** donor name (e.g. "H0351.2001"), used in messages and the report */
  name: string;
  /** texts of MicroarrayExpression.csv, PACall.csv, Probes.csv, SampleAnnot.csv, Ontology.csv */
  microarray: string;
  pacall: string;
  probes: string;
  annotation: string;
  ontology: string;
}

export interface AhbaBuildOptions {
  /** PA-call proportion a probe needs (default 0.5) */
  ibfThreshold?: number;
  /** largest matching radius in mm (default 2) */
  tolerance?: number;
  /** corrected MNI coordinates (`well_id,corrected_mni_x,…` text); without it SampleAnnot's mni_x/y/z are used */
  correctedCoordinates?: string;
  /** reannotation table (`probe_name,gene_symbol,entrez_id` text) */
  reannotation?: string;
}

export interface AhbaRegion {
  id: number;
  label: string;
  hemisphere?: 'L' | 'R' | 'B';
  structure?: string;
  /** matched samples over all donors */
  samples: number;
  /** donors with at least one matched sample */
  donors: number;
}

export interface AhbaDonorReport {
  name: string;
  samples: number;
  hemisphereMismatch: number;
  matched: number;
  unmatched: number;
}

export interface AhbaReport {
  donors: number;
  samplesTotal: number;
  samplesHemisphereMismatch: number;
  samplesMatched: number;
  /** kept samples that matched no region within the tolerance */
  samplesDropped: number;
  probesTotal: number;
  /** probes with a gene (Entrez id or reannotation) */
  probesAnnotated: number;
  /** probes passing the intensity filter */
  probesKept: number;
  /** genes after probe selection */
  genesSelected: number;
  /** genes dropped for NaN in a non-empty region */
  genesDropped: number;
  /** region ids without any sample */
  emptyRegions: number[];
  perDonor: AhbaDonorReport[];
  options: { ibfThreshold: number; tolerance: number; correctedCoordinates: boolean; reannotated: boolean };
}

export interface AhbaExpression {
  regions: AhbaRegion[];
  genes: string[];
  /** regions × genes, row-major; rows of empty regions are NaN */
  matrix: Float64Array;
  report: AhbaReport;
}

interface Donor {
  name: string;
  expr: ProbeMatrix;
  pa: ProbeMatrix;
  exprRow: Map<number, number>;
  paRow: Map<number, number>;
  /** kept sample columns (hemisphere-consistent) */
  keep: number[];
  locs: SampleLocation[];
  structureIds: number[];
  mismatch: number;
  total: number;
}

function rowMap(m: ProbeMatrix): Map<number, number> {
  return new Map(m.probeIds.map((p, i) => [p, i]));
}

/** Build the region × gene matrix (see the module comment). */
export function buildAhbaExpression(
  donorFiles: AhbaDonorFiles[],
  atlas: LabelVolume,
  atlasInfo: AtlasInfoRow[] | undefined,
  opts: AhbaBuildOptions = {},
): AhbaExpression {
  const ibf = opts.ibfThreshold ?? 0.5;
  const tolerance = opts.tolerance ?? 2;
  if (donorFiles.length < 2) {
    throw new InvalidAhbaData('differential-stability probe selection needs at least 2 donors', 'donors');
  }
  const index = buildAtlasIndex(atlas, atlasInfo);
  const corrected = opts.correctedCoordinates ? parseCorrectedCoordinates(opts.correctedCoordinates, 'correctedCoordinates') : undefined;

  // 1. probes
  const first = donorFiles[0]!;
  const probeInfo = parseProbes(first.probes, `${first.name}/Probes.csv`);
  let annotated: { probeId: number; symbol: string }[];
  if (opts.reannotation) {
    const rows = parseCsvRows(opts.reannotation);
    const h = rows[0]!.map((s) => s.trim().toLowerCase());
    const [ni, gi, ei] = ['probe_name', 'gene_symbol', 'entrez_id'].map((c) => h.indexOf(c));
    if (ni! < 0 || gi! < 0 || ei! < 0) throw new InvalidAhbaData('reannotation: needs probe_name, gene_symbol, entrez_id', 'reannotation');
    const re = new Map<string, string>();
    for (const r of rows.slice(1)) if ((r[ei!] ?? '').trim() !== '') re.set((r[ni!] ?? '').trim(), (r[gi!] ?? '').trim());
    annotated = probeInfo.filter((p) => re.has(p.probeName)).map((p) => ({ probeId: p.probeId, symbol: re.get(p.probeName)! }));
    annotated.sort((a, b) => a.probeId - b.probeId);
  } else {
    annotated = probeInfo.filter((p) => Number.isFinite(p.entrezId) && p.geneSymbol !== '').map((p) => ({ probeId: p.probeId, symbol: p.geneSymbol }));
  }

  // 2. donors: samples, coordinates, hemisphere check
  const donors: Donor[] = donorFiles.map((f) => {
    const expr = parseProbeMatrix(f.microarray, `${f.name}/MicroarrayExpression.csv`);
    const pa = parseProbeMatrix(f.pacall, `${f.name}/PACall.csv`);
    const annot = parseSampleAnnot(f.annotation, `${f.name}/SampleAnnot.csv`);
    const onto = parseOntology(f.ontology, `${f.name}/Ontology.csv`);
    if (expr.nSamples !== annot.length || pa.nSamples !== annot.length) {
      throw new InvalidAhbaData(
        `${f.name}: MicroarrayExpression.csv has ${expr.nSamples} and PACall.csv ${pa.nSamples} sample columns, SampleAnnot.csv ${annot.length} samples`,
        `${f.name}/SampleAnnot.csv`,
      );
    }
    const keep: number[] = [];
    const locs: SampleLocation[] = [];
    const structureIds: number[] = [];
    let mismatch = 0;
    annot.forEach((s, j) => {
      let [x, y, z] = [s.x, s.y, s.z];
      if (corrected) {
        const c = corrected.get(s.wellId);
        if (!c) throw new InvalidAhbaData(`${f.name}/SampleAnnot.csv row ${j + 2}: well id not in the corrected coordinates`, `${f.name}/SampleAnnot.csv`);
        [x, y, z] = c;
      }
      const o: OntologyEntry | undefined = onto.get(s.structureId);
      if (!o) throw new InvalidAhbaData(`${f.name}/SampleAnnot.csv row ${j + 2}: structure id not in Ontology.csv`, `${f.name}/SampleAnnot.csv`);
      const loc = snapToGrid({ x, y, z, hemisphere: o.hemisphere, structure: o.structure }, index.voxelSize);
      const ok = (o.hemisphere === 'L' && loc.x < 0) || (o.hemisphere === 'R' && loc.x > 0) || (o.hemisphere === 'B' && loc.x === 0);
      if (!ok) {
        mismatch++;
        return;
      }
      keep.push(j);
      locs.push(loc);
      structureIds.push(s.structureId);
    });
    return { name: f.name, expr, pa, exprRow: rowMap(expr), paRow: rowMap(pa), keep, locs, structureIds, mismatch, total: annot.length };
  });

  // 3. intensity-based filter over all kept samples
  for (const d of donors) {
    const missing = annotated.filter((p) => !d.exprRow.has(p.probeId) || !d.paRow.has(p.probeId)).length;
    if (missing > 0) {
      throw new InvalidAhbaData(
        `${d.name}: ${missing} probe(s) of Probes.csv have no row in MicroarrayExpression.csv or PACall.csv`,
        `${d.name}/MicroarrayExpression.csv`,
      );
    }
  }
  const nKept = donors.reduce((s, d) => s + d.keep.length, 0);
  if (nKept === 0) throw new InvalidAhbaData('no sample passes the hemisphere check', 'donors');
  const passing = annotated.filter((p) => {
    let sig = 0;
    for (const d of donors) {
      const r = d.paRow.get(p.probeId)!;
      for (const j of d.keep) sig += d.pa.values[r * d.pa.nSamples + j]!;
    }
    return sig / nKept >= ibf;
  });
  if (passing.length === 0) throw new InvalidAhbaData('no probe passes the intensity filter', 'donors');

  // 4. differential stability over kept samples
  const P = passing.length;
  const dpd = donors.map((d) => {
    const v = new Float64Array(P * d.keep.length);
    passing.forEach((p, pi) => {
      const r = d.exprRow.get(p.probeId)!;
      d.keep.forEach((j, t) => (v[pi * d.keep.length + t] = d.expr.values[r * d.expr.nSamples + j]!));
    });
    return { values: v, nSamples: d.keep.length, structureIds: d.structureIds };
  });
  const ds = differentialStability(dpd, P);
  const sel = selectProbes(
    passing.map((p) => p.symbol),
    ds,
  );
  const G = sel.genes.length;

  // 5–6. match, normalise, aggregate
  const regionIds = atlasInfo ? [...new Set(atlasInfo.map((r) => r.id))].sort((a, b) => a - b) : index.labels;
  const rpos = new Map(regionIds.map((id, i) => [id, i]));
  const R = regionIds.length;
  const sum = new Float64Array(R * G);
  const cnt = new Float64Array(R * G);
  const regSamples = new Float64Array(R);
  const regDonors = new Float64Array(R);
  const perDonor: AhbaDonorReport[] = [];
  let matchedTotal = 0;
  dpd.forEach((dp, di) => {
    const d = donors[di]!;
    const labels = matchSamples(index, d.locs, tolerance, false);
    const cols: number[] = [];
    labels.forEach((l, t) => {
      if (l !== 0 && rpos.has(l)) cols.push(t);
    });
    perDonor.push({ name: d.name, samples: d.total, hemisphereMismatch: d.mismatch, matched: cols.length, unmatched: d.keep.length - cols.length });
    matchedTotal += cols.length;
    if (cols.length === 0) return;
    const S = cols.length;
    // samples × genes
    const m = new Float64Array(S * G);
    const col = new Float64Array(G);
    cols.forEach((t, s) => {
      for (let g = 0; g < G; g++) col[g] = dp.values[sel.probe[g]! * dp.nSamples + t]!;
      scaledRobustSigmoid(col, col);
      m.set(col, s * G);
    });
    const gv = new Float64Array(S);
    for (let g = 0; g < G; g++) {
      for (let s = 0; s < S; s++) gv[s] = m[s * G + g]!;
      scaledRobustSigmoid(gv, gv);
      for (let s = 0; s < S; s++) m[s * G + g] = gv[s]!;
    }
    // within-donor region means
    const dSum = new Float64Array(R * G);
    const dCnt = new Float64Array(R);
    cols.forEach((t, s) => {
      const r = rpos.get(labels[t]!)!;
      dCnt[r]++;
      for (let g = 0; g < G; g++) dSum[r * G + g] += m[s * G + g]!;
    });
    for (let r = 0; r < R; r++) {
      if (dCnt[r] === 0) continue;
      regSamples[r] += dCnt[r]!;
      regDonors[r]++;
      for (let g = 0; g < G; g++) {
        const v = dSum[r * G + g]! / dCnt[r]!;
        if (Number.isNaN(v)) continue;
        sum[r * G + g] += v;
        cnt[r * G + g]++;
      }
    }
  });
  const full = new Float64Array(R * G);
  for (let i = 0; i < R * G; i++) full[i] = cnt[i]! > 0 ? sum[i]! / cnt[i]! : NaN;
  const keepGene: number[] = [];
  for (let g = 0; g < G; g++) {
    let ok = true;
    for (let r = 0; r < R && ok; r++) if (regSamples[r]! > 0 && Number.isNaN(full[r * G + g]!)) ok = false;
    if (ok) keepGene.push(g);
  }
  const genes = keepGene.map((g) => sel.genes[g]!);
  const matrix = new Float64Array(R * genes.length);
  for (let r = 0; r < R; r++) keepGene.forEach((g, c) => (matrix[r * genes.length + c] = regSamples[r]! > 0 ? full[r * G + g]! : NaN));
  const infoById = new Map((atlasInfo ?? []).map((r) => [r.id, r]));
  const regions: AhbaRegion[] = regionIds.map((id, r) => {
    const inf = infoById.get(id);
    return {
      id,
      label: inf?.label ?? String(id),
      ...(inf ? { hemisphere: inf.hemisphere, structure: inf.structure } : {}),
      samples: regSamples[r]!,
      donors: regDonors[r]!,
    };
  });
  const samplesTotal = donors.reduce((s, d) => s + d.total, 0);
  const mismatchTotal = donors.reduce((s, d) => s + d.mismatch, 0);
  return {
    regions,
    genes,
    matrix,
    report: {
      donors: donors.length,
      samplesTotal,
      samplesHemisphereMismatch: mismatchTotal,
      samplesMatched: matchedTotal,
      samplesDropped: samplesTotal - mismatchTotal - matchedTotal,
      probesTotal: probeInfo.length,
      probesAnnotated: annotated.length,
      probesKept: passing.length,
      genesSelected: G,
      genesDropped: G - genes.length,
      emptyRegions: regionIds.filter((_, r) => regSamples[r] === 0),
      perDonor,
      options: { ibfThreshold: ibf, tolerance, correctedCoordinates: !!corrected, reannotated: !!opts.reannotation },
    },
  };
}

/**
 * The matrix as abagen writes it: first column `label` (the atlas region id), one column
 * per gene; NaN (empty regions) as empty cells.
 */
export function ahbaExpressionCsv(expr: AhbaExpression): string {
  const G = expr.genes.length;
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['label', ...expr.genes].map(q).join(',')];
  expr.regions.forEach((r, i) => {
    const cells = [String(r.id)];
    for (let g = 0; g < G; g++) {
      const v = expr.matrix[i * G + g]!;
      cells.push(Number.isNaN(v) ? '' : String(v));
    }
    lines.push(cells.join(','));
  });
  return lines.join('\n') + '\n';
}
