import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTable } from '../shared/jobs/table.ts';
import { demographics, demographicsCsv, type ContinuousSummary, type CategoricalSummary } from '../shared/stats/demographics.ts';
import { oneWayAnova } from '../shared/stats/anova.ts';
import { chiSquareTest } from '../shared/stats/contingency.ts';
import { mannWhitney } from '../shared/stats/rank-tests.ts';
import { runDemographics } from '../bin/demographics.ts';

const TSV = [
  'participant_id\tgroup\tage\tsex\tduration\tmap',
  'sub-01\tDRE\t30\tF\t10\tm/01.nii.gz',
  'sub-02\tDRE\t34\tM\t12\tm/02.nii.gz',
  'sub-03\tDRE\t29\tF\t15\tm/03.nii.gz',
  'sub-04\tDRE\t41\tM\t20\tm/04.nii.gz',
  'sub-05\tDSE\t25\tF\t3\tm/05.nii.gz',
  'sub-06\tDSE\t27\tF\t5\tm/06.nii.gz',
  'sub-07\tDSE\t33\tM\t4\tm/07.nii.gz',
  'sub-08\tHC\t28\tM\tn/a\tm/08.nii.gz',
  'sub-09\tHC\t31\tF\tn/a\tm/09.nii.gz',
  'sub-10\tHC\t26\tM\t\tm/10.nii.gz',
  'sub-11\tHC\t35\tF\tn/a\tm/11.nii.gz',
].join('\n');

describe('demographics table', () => {
  const table = parseTable(TSV, 'participants.tsv');
  const r = demographics(table, { group: 'group', mannWhitney: ['duration'] });

  it('has the JSON shape of the issue and skips the id and the map column', () => {
    expect(Object.keys(r)).toEqual(['groups', 'variables', 'pairwise']);
    expect(r.groups).toEqual(['DRE', 'DSE', 'HC']);
    expect(r.variables.map((v) => v.name)).toEqual(['age', 'sex', 'duration']);
    for (const v of r.variables) expect(Object.keys(v)).toEqual(['name', 'kind', 'test', 'statistic', 'df', 'p', 'byGroup']);
    for (const w of r.pairwise) expect(Object.keys(w)).toEqual(['name', 'groups', 'test', 'U', 'p']);
  });

  it('age: mean ± SD per group and ANOVA equal to a direct computation', () => {
    const age = r.variables[0];
    expect(age.kind).toBe('continuous');
    expect(age.test).toBe('one-way ANOVA');
    const dre = age.byGroup.DRE as ContinuousSummary;
    expect(dre.n).toBe(4);
    expect(dre.mean).toBeCloseTo(33.5, 12);
    // deviations −3.5, 0.5, −4.5, 7.5 → SS = 12.25 + 0.25 + 20.25 + 56.25 = 89; SD = √(89/3)
    expect(dre.sd).toBeCloseTo(Math.sqrt(89 / 3), 12);
    const ref = oneWayAnova([[30, 34, 29, 41], [25, 27, 33], [28, 31, 26, 35]]);
    expect(age.statistic).toBeCloseTo(ref.F, 12);
    expect(age.df).toEqual([2, 8]);
    expect(age.p).toBeCloseTo(ref.p, 12);
  });

  it('sex: counts, percent and Pearson χ² of the 2 × 3 table', () => {
    const sex = r.variables[1];
    expect(sex.kind).toBe('categorical');
    expect(sex.test).toBe('Pearson chi-squared');
    expect((sex.byGroup.DSE as CategoricalSummary).counts).toEqual({ F: 2, M: 1 });
    expect((sex.byGroup.DSE as CategoricalSummary).percent.F).toBeCloseTo(200 / 3, 12);
    const ref = chiSquareTest([[2, 2, 2], [2, 1, 2]]);
    expect(sex.statistic).toBeCloseTo(ref.chi2, 13);
    expect(sex.df).toBe(2);
  });

  it('duration (patients only): ANOVA over the groups with values, missing counted out, pairwise Mann–Whitney', () => {
    const d = r.variables[2];
    expect((d.byGroup.HC as ContinuousSummary).n).toBe(0);
    expect((d.byGroup.HC as ContinuousSummary).mean).toBeNull();
    expect(d.df).toEqual([1, 5]);
    expect(r.pairwise).toHaveLength(1);
    const w = r.pairwise[0];
    expect(w.groups).toEqual(['DRE', 'DSE']);
    const ref = mannWhitney([10, 12, 15, 20], [3, 5, 4]);
    expect(w.U).toBe(12);
    expect(w.test).toBe('Mann-Whitney U (exact)');
    // U = 12 = n_x·n_y, the most extreme split: p = 2/C(7,3) = 2/35
    expect(w.p).toBeCloseTo(2 / 35, 14);
    expect(w.p).toBe(ref.p);
  });

  it('Kruskal–Wallis and Fisher when asked', () => {
    const k = demographics(table, { group: 'group', kruskal: ['age'], fisher: true });
    expect(k.variables[0].test).toBe('Kruskal-Wallis');
    expect(k.variables[0].df).toBe(2);
    expect(k.variables[1].test).toBe('Fisher exact');
    expect(k.variables[1].statistic).toBeNull();
    const auto = demographics(table, { group: 'group', fisher: 'auto' });
    expect(auto.variables[1].test).toBe('Fisher exact'); // expected counts < 5
  });

  it('a partly numeric column is a named error naming the column and the row', () => {
    const bad = parseTable(TSV.replace('sub-06\tDSE\t27', 'sub-06\tDSE\tabout 27'), 'participants.tsv');
    let err: unknown;
    try {
      demographics(bad, { group: 'group' });
    } catch (e) {
      err = e;
    }
    expect((err as Error).name).toBe('PartlyNumericColumn');
    expect((err as Error).message).toMatch(/column "age".*row 6/);
    expect((err as { input: string }).input).toBe('age');
  });

  it('numeric codes can be declared categorical', () => {
    const coded = parseTable(TSV.replace(/\tF\t/g, '\t0\t').replace(/\tM\t/g, '\t1\t'), 'p.tsv');
    const c = demographics(coded, { group: 'group', categorical: ['sex'] });
    expect(c.variables[1].kind).toBe('categorical');
    expect(c.variables[1].statistic).toBeCloseTo(r.variables[1].statistic as number, 13);
  });

  it('CSV: one row per continuous variable, one per level, the pairwise rows', () => {
    const csv = demographicsCsv(r).trim().split('\n');
    expect(csv[0]).toBe('variable,kind,level,DRE,DSE,HC,test,statistic,df,p');
    expect(csv[1]).toMatch(/^age,continuous,,33\.50 ± 5\.45 \(4\),/);
    expect(csv[1]).toContain('one-way ANOVA');
    expect(csv[2]).toMatch(/^sex,categorical,F,2 \(50\.0%\),2 \(66\.7%\),2 \(50\.0%\),Pearson chi-squared/);
    expect(csv[3]).toMatch(/^sex,categorical,M,.*,,,,$/);
    expect(csv[5]).toMatch(/^duration,pairwise,DRE vs DSE,,,,Mann-Whitney U \(exact\),12\.0,,0\.057$/);
  });
});

describe('neuroburst demographics (CLI function)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-demographics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints JSON and writes the CSV', () => {
    const file = join(dir, 'participants.tsv');
    writeFileSync(file, TSV);
    const out = join(dir, 'demographics.csv');
    const json = runDemographics(file, { group: 'group', mannWhitney: 'duration', json: true, csv: out });
    const parsed = JSON.parse(json);
    expect(parsed.groups).toEqual(['DRE', 'DSE', 'HC']);
    expect(parsed.pairwise[0].U).toBe(12);
    expect(readFileSync(out, 'utf8')).toContain('Mann-Whitney U (exact)');
    const text = runDemographics(file, { group: 'group' });
    expect(text).toContain('one-way ANOVA');
  });
});
