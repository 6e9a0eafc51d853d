import { describe, expect, it } from 'vitest';
import { parseTable } from '../shared/jobs/table.ts';
import { parseJob } from '../shared/jobs/parse.ts';
import { buildDesign, readParticipants } from '../shared/pipelines/glm/design.ts';
import { glmParamsSchema } from '../shared/pipelines/glm/params.ts';

const tsv = ['participant_id\tgroup\tage\tsex\tmap', 'a\tDRE\t30\tF\ta.nii', 'b\tDRE\t40\tM\tb.nii', 'c\tHC\t35\tF\tc.nii', 'd\tHC\t50\tM\td.nii', 'e\tDSE\t20\tM\te.nii', 'f\tDSE\t22\tF\tf.nii'].join('\r\n');

describe('participants table', () => {
  it('parses TSV and CSV with quotes and any line ending', () => {
    expect(parseTable(tsv, 'p.tsv').rows[2]).toEqual({ participant_id: 'c', group: 'HC', age: '35', sex: 'F', map: 'c.nii' });
    const csv = 'participant_id,group,note\r"x",G,"a, ""b"""\ry,G,plain\n';
    const t = parseTable(csv, 'p.csv');
    expect(t.rows).toEqual([
      { participant_id: 'x', group: 'G', note: 'a, "b"' },
      { participant_id: 'y', group: 'G', note: 'plain' },
    ]);
  });

  it('names the line of a ragged row and the missing column', () => {
    expect(() => parseTable('a,b\n1,2\n3\n', 'p.csv')).toThrow(/p\.csv line 3: 1 fields, but the header has 2/);
    const t = parseTable('participant_id,group\nx,G\n', 'p.csv');
    expect(() => readParticipants(t, 'map', 'p.csv')).toThrow(/no column "map"/);
    expect(() => readParticipants(parseTable('participant_id,group,map\nx,G,a\nx,G,b\n', 'p.csv'), 'map', 'p.csv')).toThrow(/appears twice/);
  });
});

describe('design', () => {
  const parts = readParticipants(parseTable(tsv, 'p.tsv'), 'map', 'p.tsv');
  const params = (p: object) => glmParamsSchema.parse({ contrasts: ['DRE-HC'], ...p });

  it('pairwise: cell means of the two groups, then covariates; contrast +1/-1', () => {
    const d = buildDesign(parts, params({ covariates: ['age'] }), 'p.tsv');
    const m = d.models[0]!;
    expect(m.subjects).toEqual([0, 1, 2, 3]);
    expect(m.columns).toEqual(['DRE', 'HC', 'age']);
    expect(m.contrast).toEqual([1, -1, 0]);
    expect(m.X).toEqual([1, 0, 30, 1, 0, 40, 0, 1, 35, 0, 1, 50]);
  });

  it('pooled: every group, categorical covariates dummy-coded against the first level, centring', () => {
    const d = buildDesign(parts, params({ model: 'pooled', covariates: [{ name: 'sex', type: 'categorical' }, { name: 'age', centre: true }] }), 'p.tsv');
    const m = d.models[0]!;
    expect(m.columns).toEqual(['DRE', 'DSE', 'HC', 'sex[M]', 'age']);
    expect(m.contrast).toEqual([1, 0, -1, 0, 0]);
    const ages = [30, 40, 35, 50, 20, 22];
    const mean = ages.reduce((a, b) => a + b) / 6;
    expect(m.X.filter((_, i) => i % 5 === 4)).toEqual(ages.map((a) => a - mean));
    expect(m.X.filter((_, i) => i % 5 === 3)).toEqual([0, 1, 0, 1, 1, 0]);
  });

  it('explicit contrast vectors must match the pooled columns', () => {
    const ok = buildDesign(parts, params({ contrasts: [{ name: 'patients-hc', vector: [0.5, 0.5, -1] }] }), 'p.tsv');
    expect(ok.models[0]!.n).toBe(6);
    expect(() => buildDesign(parts, params({ contrasts: [{ name: 'x', vector: [1, -1] }] }), 'p.tsv')).toThrow(/2 weights but the pooled design has 3 columns/);
  });

  it('names unknown groups, tiny groups and non-numeric covariates', () => {
    expect(() => buildDesign(parts, params({ contrasts: ['DRE-XX'] }), 'p.tsv')).toThrow(/names group "XX"/);
    const small = readParticipants(parseTable('participant_id\tgroup\tmap\na\tA\tx\nb\tB\ty\nc\tB\tz\n', 's.tsv'), 'map', 's.tsv');
    expect(() => buildDesign(small, params({ contrasts: ['A-B'] }), 's.tsv')).toThrow(/group "A" has 1 subject/);
    const bad = readParticipants(parseTable('participant_id\tgroup\tage\tmap\na\tA\t1\tx\nb\tA\tn/a\ty\nc\tB\t3\tz\nd\tB\t4\tw\n', 'b.tsv'), 'map', 'b.tsv');
    expect(() => buildDesign(bad, params({ contrasts: ['A-B'], covariates: ['age'] }), 'b.tsv')).toThrow(/b\.tsv row 2 \(b\): covariate column "age" is empty, not a decimal number/);
  });
});

describe('job spec', () => {
  const base = { jobId: 'j1', pipeline: 'glm', inputs: { participants: 'p.tsv' }, params: { contrasts: ['A-B'] } };
  it('fills documented defaults', () => {
    const j = parseJob(base) as any;
    expect(j.params.inference.grf).toEqual({ voxelP: 0.005, clusterP: 0.05, twoTailed: true, connectivity: 26 });
    expect(j.params.smoothFwhmMm).toBe(0);
    expect(j.params.smoothnessDof).toBe('dpabi');
    expect(j.inputs.mapColumn).toBe('map');
    expect(j.budget).toEqual({ maxUsd: 5, maxConcurrency: 200 });
    expect(j.seed).toBe(1);
  });
  it('rejects absurd parameters and unknown fields with the field path', () => {
    expect(() => parseJob({ ...base, params: { contrasts: ['A-B'], inference: { grf: { voxelP: 2 } } } })).toThrow(/params\.inference\.grf\.voxelP/);
    expect(() => parseJob({ ...base, params: { contrasts: ['A-B'], smoothFwhmMm: -1 } })).toThrow(/params\.smoothFwhmMm/);
    expect(() => parseJob({ ...base, jobId: '../x' })).toThrow(/jobId/);
    expect(() => parseJob({ ...base, params: { contrasts: ['A-B'], bogus: 1 } })).toThrow(/bogus/);
    expect(() => parseJob({ ...base, pipeline: 'nope' })).toThrow(/pipeline "nope" is not available/);
  });
});
