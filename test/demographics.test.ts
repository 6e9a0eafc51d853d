import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNamed } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';
import { parseTable } from '../shared/jobs/table.ts';
import { demographics, demographicsCsv, demographicsMethodsText, type ContinuousSummary, type CategoricalSummary } from '../shared/stats/demographics.ts';
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

  it('methods text names each test and its variables', () => {
    expect(demographicsMethodsText(r)).toBe(
      'Group differences across DRE, DSE and HC were tested for age and duration by one-way ANOVA; sex by Pearson\'s χ² test (no continuity correction). ' +
        'duration was compared between each pair of groups by the two-sided Mann–Whitney U test (exact for fewer than 50 subjects per group without ties, ' +
        'otherwise the normal approximation with tie and continuity correction, as R’s wilcox.test).',
    );
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
    expectNamed(() => demographics(bad, { group: 'group' }), 'PartlyNumericColumn', { input: 'age', message: /column "age".*row 6 holds text/ });
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
  const dir = tmpDir('nb-demographics-');

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

describe('the study’s cohort sizes (DRE 22 / DSE 25 / HC 27)', () => {
  // synthetic Table 1: age for all, sex, duration and onset (integer years, many ties) for patients only
  const lines = ['participant_id\tgroup\tage\tsex\tduration\tonset'];
  let s = 1;
  const put = (g: string, n: number, ageBase: number, durBase: number) => {
    for (let i = 0; i < n; i++, s++) {
      const age = ageBase + ((i * 7) % 19) + 0.5 * (i % 3);
      const sex = (i * 5) % 3 === 0 ? 'F' : 'M';
      const dur = g === 'HC' ? 'n/a' : String(durBase + ((i * 3) % 11));
      const onset = g === 'HC' ? 'n/a' : String(8 + ((i * 5) % 13));
      lines.push(`sub-${s}\t${g}\t${age}\t${sex}\t${dur}\t${onset}`);
    }
  };
  put('DRE', 22, 25, 8);
  put('DSE', 25, 27, 4);
  put('HC', 27, 26, 0);
  const r = demographics(parseTable(lines.join('\n'), 'p.tsv'), { group: 'group', mannWhitney: ['duration', 'onset'] });

  it('patients-only variables are compared between the patient groups by the normal approximation (ties)', () => {
    expect(r.pairwise.map((w) => [w.name, w.groups.join('-')])).toEqual([['duration', 'DRE-DSE'], ['onset', 'DRE-DSE']]);
    const rows = lines.slice(1).map((l) => l.split('\t'));
    for (const w of r.pairwise) {
      const col = w.name === 'duration' ? 4 : 5;
      const x = rows.filter((f) => f[1] === 'DRE').map((f) => Number(f[col]));
      const y = rows.filter((f) => f[1] === 'DSE').map((f) => Number(f[col]));
      // plain twin: U by counting pairs (ties ½), tie term from value multiplicities
      let U = 0;
      for (const a of x) for (const b of y) U += a > b ? 1 : a === b ? 0.5 : 0;
      const mult = new Map<number, number>();
      for (const v of [...x, ...y]) mult.set(v, (mult.get(v) ?? 0) + 1);
      let ties = 0;
      for (const t of mult.values()) ties += t ** 3 - t;
      const N = x.length + y.length;
      const sigma = Math.sqrt(((x.length * y.length) / 12) * (N + 1 - ties / (N * (N - 1))));
      const d = U - (x.length * y.length) / 2;
      const z = (d - Math.sign(d) * 0.5) / sigma;
      const p = Math.min(1, 2 * (1 - 0.5 * (1 + erfApprox(Math.abs(z) / Math.SQRT2))));
      expect(w.test).toBe('Mann-Whitney U (normal, tie and continuity corrected)');
      expect(w.U).toBe(U);
      expect(w.p).toBeCloseTo(p, 6);
    }
  });

  it('age by ANOVA on (2, 71) df and sex by χ² on 2 df', () => {
    expect(r.variables.find((v) => v.name === 'age')?.df).toEqual([2, 71]);
    expect(r.variables.find((v) => v.name === 'sex')?.df).toBe(2);
    expect(r.variables.find((v) => v.name === 'onset')?.df).toEqual([1, 45]);
  });
});

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): an independent twin of the normal CDF. */
function erfApprox(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return y;
}
