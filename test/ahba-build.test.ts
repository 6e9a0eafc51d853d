import { describe, expect, it } from 'vitest';
import {
  type AhbaDonorFiles,
  ahbaExpressionCsv,
  type AtlasInfoRow,
  assignLabel,
  averageRanks,
  buildAhbaExpression,
  buildAtlasIndex,
  differentialStability,
  InvalidAhbaData,
  type LabelVolume,
  matchSample,
  parseAtlasInfo,
  parseDecimal,
  parseProbeMatrix,
  parseProbes,
  scaledRobustSigmoid,
  selectProbes,
  structureClass,
} from '../shared/transcriptomics/ahba/index.ts';
import { rng } from './helpers/rng.ts';

// ---------- a small synthetic atlas: 12 × 8 × 6 voxels of 1 mm, x = i − 6, y = j − 4, z = k − 3 ----------
// region 1: x ≤ −1, y < 0 (L cortex); 2: x ≤ −1, y ≥ 0 (L cortex); 3: x ≥ 1, y < 0 (R cortex);
// 4: x ≥ 1, y ≥ 0 (R subcortex); the plane x = 0 is background; region 5 is in the info but has no voxel.
const DIMS = [12, 8, 6];
const AFFINE = Float64Array.from([1, 0, 0, -6, 0, 1, 0, -4, 0, 0, 1, -3, 0, 0, 0, 1]);
function atlasVolume(): LabelVolume {
  const data = new Int16Array(12 * 8 * 6);
  for (let k = 0; k < 6; k++)
    for (let j = 0; j < 8; j++)
      for (let i = 0; i < 12; i++) {
        const x = i - 6;
        const y = j - 4;
        data[i + 12 * (j + 8 * k)] = x < 0 ? (y < 0 ? 1 : 2) : x > 0 ? (y < 0 ? 3 : 4) : 0;
      }
  return { dims: DIMS, affine: AFFINE, data };
}
const INFO_CSV = 'id,label,hemisphere,structure\n1,L_a,L,cortex\n2,L_b,L,cortex\n3,R_a,R,cortex\n4,R_sub,R,subcortex/brainstem\n5,L_none,L,cortex\n';

// ontology: two structure ids per region (100+2r, 101+2r)
const REGION_ONTO: Record<number, { hemi: string; path: string }> = {
  1: { hemi: 'L', path: '/4005/4006/4007/4008/' },
  2: { hemi: 'L', path: '/4005/4006/4007/4008/' },
  3: { hemi: 'R', path: '/4005/4006/4007/4008/' },
  4: { hemi: 'R', path: '/4005/4006/4007/4275/' },
};
function ontologyCsv(): string {
  const lines = ['id,acronym,name,parent_structure_id,hemisphere,graph_order,structure_id_path,color_hex_triplet'];
  for (let r = 1; r <= 4; r++)
    for (const s of [100 + 2 * r, 101 + 2 * r]) lines.push(`${s},S${s},"structure ${s}, part",4008,${REGION_ONTO[r]!.hemi},${s},${REGION_ONTO[r]!.path}${s}/,FFFFFF`);
  return lines.join('\n') + '\n';
}

// probes: gene → probe ids; pattern(structure) is what a "stable" probe follows in every donor
const PROBES: { id: number; name: string; gene: string; entrez: string; kind: 'stable' | 'noise' | 'lowpa' | 'const' }[] = [
  { id: 1001, name: 'A_1', gene: 'GA', entrez: '11', kind: 'stable' },
  { id: 1002, name: 'A_2', gene: 'GA', entrez: '11', kind: 'noise' },
  { id: 1003, name: 'B_1', gene: 'GB', entrez: '12', kind: 'stable' },
  { id: 1004, name: 'C_1', gene: 'GC', entrez: '13', kind: 'noise' },
  { id: 1005, name: 'C_2', gene: 'GC', entrez: '13', kind: 'stable' },
  { id: 1006, name: 'D_1', gene: 'GD', entrez: '14', kind: 'lowpa' },
  { id: 1007, name: 'E_1', gene: 'GE', entrez: '15', kind: 'const' },
  { id: 1008, name: 'F_1', gene: 'GF', entrez: '16', kind: 'stable' },
  { id: 1009, name: 'G_1', gene: 'GG', entrez: '17', kind: 'stable' },
  { id: 1010, name: 'H_1', gene: 'GH', entrez: '', kind: 'stable' }, // no Entrez id → not annotated
];
const probesCsv =
  '"probe_id","probe_name","gene_id","gene_symbol","gene_name","entrez_id","chromosome"\n' +
  PROBES.map((p) => `${p.id},"${p.name}",${p.id},"${p.gene}","${p.gene} protein, isoform 1",${p.entrez},1`).join('\n') +
  '\n';

interface Sample {
  structureId: number;
  well: number;
  x: number;
  y: number;
  z: number;
  /** expected region (0 = unmatched, −1 = dropped by the hemisphere check) */
  expect: number;
}

function donor(d: number): { files: AhbaDonorFiles; samples: Sample[]; expr: Map<number, number[]> } {
  const r = rng(100 + d);
  const samples: Sample[] = [];
  let well = d * 1000;
  const box: Record<number, [number, number, number, number]> = { 1: [-6, -1, -4, -1], 2: [-6, -1, 0, 3], 3: [1, 5, -4, -1], 4: [1, 5, 0, 3] };
  for (let reg = 1; reg <= 4; reg++) {
    const [x0, x1, y0, y1] = box[reg]!;
    for (let n = 0; n < 5; n++) {
      const x = x0 + Math.floor(r.u() * (x1 - x0 + 1)) + r.u() * 0.9;
      const y = y0 + Math.floor(r.u() * (y1 - y0 + 1)) + r.u() * 0.9;
      const z = -3 + Math.floor(r.u() * 6) + r.u() * 0.9;
      samples.push({ structureId: 100 + 2 * reg + (n % 2), well: well++, x: Math.min(x, x1 + 0.9), y, z, expect: reg });
    }
  }
  // above the atlas by 1 mm after snapping (z 3.4 → 3; top voxel plane z = 2): matched at r = 1
  samples.push({ structureId: 102, well: well++, x: -3.2, y: -2.7, z: 3.4, expect: 1 });
  // far away: unmatched
  samples.push({ structureId: 102, well: well++, x: -3, y: -3, z: 9.5, expect: 0 });
  // left ontology but x > 0: dropped by the hemisphere check
  samples.push({ structureId: 104, well: well++, x: 2.5, y: 1.5, z: 0.5, expect: -1 });
  // right cortex ontology inside the right subcortex region, 1 mm from region 3: the structure check
  // rejects region 4 at r = 0; at r = 1 the only consistent voxel is (3, −1, 0) → region 3
  samples.push({ structureId: 106, well: well++, x: 3.2, y: 0.1, z: 0.3, expect: 3 });
  const nS = samples.length;
  const pattern = (s: number, p: number) => Math.sin(0.7 * s + p) * 2 + 0.3 * ((s * 7 + p) % 5);
  const expr = new Map<number, number[]>();
  const pa = new Map<number, number[]>();
  for (const p of PROBES) {
    const v: number[] = [];
    const a: number[] = [];
    samples.forEach((s, j) => {
      const base =
        p.kind === 'stable'
          ? 6 + pattern(s.structureId, p.id) + 0.05 * r.z()
          : p.kind === 'noise'
            ? 6 + 2 * r.z()
            : p.kind === 'const'
              ? 5
              : 4 + r.z();
      v.push(Math.round(base * 1e6) / 1e6);
      a.push(p.kind === 'lowpa' ? (j % 3 === 0 ? 1 : 0) : j % 7 === 3 ? 0 : 1);
    });
    expr.set(p.id, v);
    pa.set(p.id, a);
  }
  const matrix = (m: Map<number, number[]>) => PROBES.map((p) => `${p.id},${m.get(p.id)!.join(',')}`).join('\n') + '\n';
  const annot =
    'structure_id,slab_num,well_id,slab_type,structure_acronym,structure_name,polygon_id,mri_voxel_x,mri_voxel_y,mri_voxel_z,mni_x,mni_y,mni_z\n' +
    samples.map((s) => `${s.structureId},1,${s.well},CX,S${s.structureId},"structure ${s.structureId}, part",1,0,0,0,${s.x},${s.y},${s.z}`).join('\n') +
    '\n';
  return {
    files: { name: `D${d}`, microarray: matrix(expr), pacall: matrix(pa), probes: probesCsv, annotation: annot, ontology: ontologyCsv() },
    samples,
    expr,
  };
}

describe('AHBA helpers', () => {
  it('fast decimal parsing is bit-identical to Number()', () => {
    const r = rng(9);
    const cases = ['0', '-0', '12', '4.123456', '-3.5e-3', '1e21', '.5', '5.', '+7.25', ' 3.25 ', '123456789012345678', '0.1234567890123456789012345', 'abc', '', '1.2.3'];
    for (let n = 0; n < 2000; n++) cases.push((r.z() * 10 ** Math.floor(r.u() * 8 - 3)).toFixed(Math.floor(r.u() * 12)));
    for (const c of cases) {
      const t = `x,${c},y`;
      const want = c.trim() === '' ? NaN : Number(c);
      expect(Object.is(parseDecimal(t, 2, 2 + c.length), want) || (Number.isNaN(want) && Number.isNaN(parseDecimal(t, 2, 2 + c.length))), c).toBe(true);
    }
  });

  it('average ranks and differential stability by hand', () => {
    expect(Array.from(averageRanks([3, 1, 3, 2]))).toEqual([3.5, 1, 3.5, 2]);
    // donor 1 structure means [1, 2, 3], donor 2 [3, 5, 4] → ranks [1,2,3] vs [1,3,2] → Spearman 0.5
    const ds = differentialStability(
      [
        { values: Float64Array.from([1, 2, 3]), nSamples: 3, structureIds: [7, 8, 9] },
        { values: Float64Array.from([3, 5, 4, 4]), nSamples: 4, structureIds: [7, 8, 9, 9] },
      ],
      1,
    );
    expect(ds[0]).toBeCloseTo(0.5, 14);
    // highest score per gene, ties to the first probe, NaN never wins, genes sorted
    expect(selectProbes(['B', 'A', 'A', 'C'], [0.1, 0.4, 0.4, NaN])).toEqual({ genes: ['A', 'B'], probe: [1, 0] });
  });

  it('ontology paths map to abagen structure classes', () => {
    expect(structureClass('/4005/4006/4007/4008/4084/')).toBe('cortex');
    expect(structureClass('/4005/4006/4007/4275/4276/')).toBe('subcortex/brainstem');
    expect(structureClass('/4005/4006/4833/4696/')).toBe('cerebellum');
    expect(structureClass('/1/2/')).toBeUndefined();
    // quoted fields with commas
    expect(parseProbes(probesCsv, 'Probes.csv')[0]).toEqual({ probeId: 1001, probeName: 'A_1', geneSymbol: 'GA', entrezId: 11 });
  });

  it('tie for the most frequent label → nearest centroid among the candidates', () => {
    // 1-D strip of 5 voxels along x (x = 0..4): labels [1, 1, 0, 2, 2, 2, 2] with a long region 2
    const data = Int16Array.from([1, 1, 0, 2, 2, 2, 2]);
    const vol: LabelVolume = { dims: [7, 1, 1], affine: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), data };
    const idx = buildAtlasIndex(vol);
    // centroids: label 1 at x = 0.5, label 2 at x = 4.5
    expect(idx.centroids.get(1)).toEqual([0.5, 0, 0]);
    expect(idx.centroids.get(2)).toEqual([4.5, 0, 0]);
    // sample at x = 2 (background): r = 0 nothing; r = 1 → voxels x = 1 (label 1) and x = 3 (label 2): a tie;
    // nearest centroid is label 1 (distance 1.5 vs 2.5)
    expect(matchSample(idx, { x: 2, y: 0, z: 0 }, 2)).toBe(1);
    // most frequent wins without a tie
    expect(assignLabel(idx, [2, 2, 1], { x: 0, y: 0, z: 0 })).toBe(2);
    // nothing within 2 mm → 0
    expect(matchSample(idx, { x: 2, y: 5, z: 0 }, 2)).toBe(0);
  });
});

describe('AHBA builder on synthetic donor folders', () => {
  const donors = [donor(1), donor(2), donor(3)];
  const info: AtlasInfoRow[] = parseAtlasInfo(INFO_CSV, 'info.csv');
  const out = buildAhbaExpression(
    donors.map((d) => d.files),
    atlasVolume(),
    info,
  );

  it('report counts follow the construction', () => {
    const perDonor = donors[0]!.samples.length; // 24
    expect(out.report.samplesTotal).toBe(3 * perDonor);
    expect(out.report.samplesHemisphereMismatch).toBe(3);
    expect(out.report.samplesDropped).toBe(3); // the far sample of each donor
    expect(out.report.samplesMatched).toBe(3 * (perDonor - 2));
    expect(out.report.probesTotal).toBe(10);
    expect(out.report.probesAnnotated).toBe(9); // H_1 has no Entrez id
    expect(out.report.probesKept).toBe(8); // D_1 has PA = 1 in a third of the samples
    // GE's only probe is constant → DS undefined → no probe; GA, GB, GC, GF, GG remain
    expect(out.genes).toEqual(['GA', 'GB', 'GC', 'GF', 'GG']);
    expect(out.report.genesSelected).toBe(5);
    expect(out.report.genesDropped).toBe(0);
    expect(out.report.emptyRegions).toEqual([5]);
    expect(out.regions.map((r) => [r.id, r.label, r.donors])).toEqual([
      [1, 'L_a', 3],
      [2, 'L_b', 3],
      [3, 'R_a', 3],
      [4, 'R_sub', 3],
      [5, 'L_none', 0],
    ]);
    // region 1: 5 + the 1-mm sample per donor; region 3: 5 + the structure-checked sample
    expect(out.regions.map((r) => r.samples)).toEqual([18, 15, 18, 15, 0]);
  });

  it('matrix equals a straightforward recomputation from the known labels and stable probes', () => {
    // chosen probes: stable ones (A_1 over noisy A_2, C_2 over noisy C_1)
    const chosen = [1001, 1003, 1005, 1008, 1009];
    const R = 5;
    const G = chosen.length;
    const acc = Array.from({ length: R * G }, () => [] as number[]);
    for (const d of donors) {
      const matched = d.samples.map((s, j) => ({ s, j })).filter(({ s }) => s.expect > 0);
      // SRS of each sample across the chosen genes
      const m = matched.map(({ j }) => Array.from(scaledRobustSigmoid(chosen.map((p) => d.expr.get(p)![j]!))));
      // SRS of each gene across the donor's matched samples
      for (let g = 0; g < G; g++) {
        const col = scaledRobustSigmoid(m.map((row) => row[g]!));
        m.forEach((row, i) => (row[g] = col[i]!));
      }
      for (let reg = 1; reg <= 4; reg++) {
        const rows = m.filter((_, i) => matched[i]!.s.expect === reg);
        for (let g = 0; g < G; g++) acc[(reg - 1) * G + g]!.push(rows.reduce((a, row) => a + row[g]!, 0) / rows.length);
      }
    }
    for (let reg = 1; reg <= 4; reg++)
      for (let g = 0; g < G; g++) {
        const v = acc[(reg - 1) * G + g]!;
        expect(out.matrix[(reg - 1) * G + g]).toBeCloseTo(v.reduce((a, b) => a + b, 0) / v.length, 12);
      }
    for (let g = 0; g < G; g++) expect(Number.isNaN(out.matrix[4 * G + g]!)).toBe(true);
  });

  it('CSV as abagen writes it: label = region id, empty cells for NaN', () => {
    const lines = ahbaExpressionCsv(out).trim().split('\n');
    expect(lines[0]).toBe('label,GA,GB,GC,GF,GG');
    expect(lines[1]!.split(',').map(Number)).toEqual([1, ...Array.from(out.matrix.subarray(0, 5))]);
    expect(lines[5]).toBe('5,,,,,');
  });

  it('named errors: one donor, mismatched columns, unknown structure', () => {
    expect(() => buildAhbaExpression([donors[0]!.files], atlasVolume(), info)).toThrow(InvalidAhbaData);
    expect(() => buildAhbaExpression([donors[0]!.files], atlasVolume(), info)).toThrow(/at least 2 donors/);
    const bad = { ...donors[1]!.files, annotation: donors[1]!.files.annotation.split('\n').slice(0, -2).join('\n') + '\n' };
    expect(() => buildAhbaExpression([donors[0]!.files, bad], atlasVolume(), info)).toThrow(/D2: MicroarrayExpression\.csv has 24/);
    const badOnto = { ...donors[1]!.files, ontology: ontologyCsv().replace(/\n102,[^\n]*/, '') };
    expect(() => buildAhbaExpression([donors[0]!.files, badOnto], atlasVolume(), info)).toThrow(/structure id not in Ontology\.csv/);
    const shortPa = { ...donors[1]!.files, pacall: donors[1]!.files.pacall.split('\n').slice(1).join('\n') };
    expect(() => buildAhbaExpression([donors[0]!.files, shortPa], atlasVolume(), info)).toThrow(/D2: 1 probe\(s\) of Probes\.csv have no row/);
    expect(() => parseProbeMatrix('1,2,3\n2,5\n', 'PACall.csv')).toThrow(/PACall\.csv row 2: 1 sample columns, expected 2/);
    expect(() => parseProbeMatrix('1,2,3\n2,5,6,7\n', 'PACall.csv')).toThrow(/row 2: 3 sample columns, expected 2/);
    expect(() => parseProbeMatrix('1,2,x\n', 'm.csv')).toThrow(/m\.csv row 1: column 3 is not a number/);
    expect(() => parseAtlasInfo('id,label,hemisphere\n1,a,L\n', 'info.csv')).toThrow(/info\.csv: no column "structure"/);
    expect(() => parseAtlasInfo('id,label,hemisphere,structure\n1,a,X,cortex\n', 'info.csv')).toThrow(/row 2: hemisphere/);
  });
});
