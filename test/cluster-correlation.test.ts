/**
 * Correlating cluster values between two analyses of the same subjects: Pearson against a
 * hand case and R's cor.test on a published data set, Spearman against the Pearson r of
 * ranks computed here, p against jstat's Student t, the join by participant_id, the CSV
 * table and `neuroburst correlate`, and the named errors for bad input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTable, type Table } from '../shared/jobs/table.ts';
import { clusterCorrelations, clusterCorrelationsCsv } from '../shared/stats/cluster-correlation.ts';
import { runCorrelate } from '../bin/correlate.ts';
import { expectNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';
import { tmpDir } from './helpers/tmp.ts';

// jstat: an independent Student t (no type declarations: loaded through require)
const jStat = createRequire(import.meta.url)('jstat') as { studentt: { cdf(t: number, df: number): number } };
const twoSided = (t: number, df: number) => 2 * jStat.studentt.cdf(-Math.abs(t), df);

/** A cluster values table (participant_id, cluster_1, …) as text. */
function valuesCsv(ids: string[], cols: number[][]): string {
  return ['participant_id,' + cols.map((_, k) => `cluster_${k + 1}`).join(','), ...ids.map((id, i) => [id, ...cols.map((c) => (Number.isFinite(c[i]!) ? String(c[i]) : ''))].join(','))].join('\n') + '\n';
}
const table = (ids: string[], cols: number[][]): Table => parseTable(valuesCsv(ids, cols), 'x.csv');

/** Plain Pearson r, straight from the definition. */
function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks with ties given the mean of the positions they share, by counting (no sorting). */
function ranks(x: number[]): number[] {
  return x.map((v) => {
    const below = x.filter((u) => u < v).length;
    const equal = x.filter((u) => u === v).length;
    return below + (equal + 1) / 2;
  });
}

// mtcars (R datasets): mpg and wt of the 32 cars
const MPG = [21, 21, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26, 30.4, 15.8, 19.7, 15, 21.4];
const WT = [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424, 5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78];
const cars = MPG.map((_, i) => `car${i + 1}`);

describe('cluster value correlations', () => {
  it('Pearson by hand: x = 1…5, y = (2, 4, 5, 4, 5) → r = √0.6, t = r√(3/0.4), p from jstat', () => {
    const r = clusterCorrelations(table(['a', 'b', 'c', 'd', 'e'], [[1, 2, 3, 4, 5]]), table(['a', 'b', 'c', 'd', 'e'], [[2, 4, 5, 4, 5]]), ['gmv.csv', 'reho.csv']);
    const row = r.rows[0]!;
    expect(row).toMatchObject({ a: 'cluster_1', b: 'cluster_1', method: 'pearson', n: 5, df: 3 });
    expect(row.r).toBeCloseTo(Math.sqrt(0.6), 14);
    expect(row.t).toBeCloseTo(Math.sqrt(0.6 * 7.5), 12);
    expect(row.p).toBeCloseTo(twoSided(Math.sqrt(4.5), 3), 7);
  });

  it('Spearman by hand with ties: ρ = 7/√90 (ranks of y are 1, 2.5, 4.5, 2.5, 4.5)', () => {
    const r = clusterCorrelations(table(['a', 'b', 'c', 'd', 'e'], [[1, 2, 3, 4, 5]]), table(['a', 'b', 'c', 'd', 'e'], [[2, 4, 5, 4, 5]]), ['a.csv', 'b.csv'], ['spearman']);
    const rho = 7 / Math.sqrt(90);
    expect(r.rows[0]!.r).toBeCloseTo(rho, 14);
    expect(r.rows[0]!.p).toBeCloseTo(twoSided(rho * Math.sqrt(3 / (1 - rho * rho)), 3), 7);
  });

  it("R's cor.test on mtcars mpg ~ wt: r = −0.8676594, t = −9.559, p = 1.294e-10; Spearman ρ = −0.886422 (ties: t approximation)", () => {
    const r = clusterCorrelations(table(cars, [MPG]), table(cars, [WT]), ['mpg.csv', 'wt.csv'], ['pearson', 'spearman']);
    const [p, s] = r.rows as [(typeof r.rows)[0], (typeof r.rows)[0]];
    expect(p.r).toBeCloseTo(-0.8676594, 7);
    expect(p.t).toBeCloseTo(-9.559, 3);
    expect(p.df).toBe(30);
    expect(Math.abs(p.p - 1.294e-10) / 1.294e-10).toBeLessThan(1e-3);
    expect(s.method).toBe('spearman');
    expect(s.r).toBeCloseTo(-0.886422, 6);
    // R: S = 10292, p-value = 1.488e-11 (asymptotic t: ties prevent the exact test)
    expect(Math.abs(s.p - 1.488e-11) / 1.488e-11).toBeLessThan(1e-3);
    expect(Math.abs(s.p - twoSided(s.t, 30)) / s.p).toBeLessThan(1e-6);
  });

  it('matches subjects by participant_id (order and extra subjects), every cluster pair, against plain twins', () => {
    const g = rng(11);
    const n = 40;
    const ids = Array.from({ length: n }, (_, i) => `sub-${String(i + 1).padStart(2, '0')}`);
    // first table: 3 clusters; second: 2 clusters, correlated with the first, rows shuffled, 5 subjects missing, 4 extra
    const a = [0, 1, 2].map(() => ids.map(() => g.z()));
    const b = [0, 1].map((k) => ids.map((_, i) => 0.8 * a[k]![i]! + 0.6 * g.z()));
    // some ties in b's second cluster (rounded), to exercise average ranks
    b[1] = b[1]!.map((x) => Math.round(x * 2) / 2);
    const keep = ids.map((_, i) => i).filter((i) => i % 8 !== 3);
    const order = [...keep].sort((x, y) => ((x * 7919) % 41) - ((y * 7919) % 41));
    const bIds = [...order.map((i) => ids[i]!), 'sub-x1', 'sub-x2', 'sub-x3', 'sub-x4'];
    const bCols = b.map((c) => [...order.map((i) => c[i]!), 9, 8, 7, 6]);
    // an empty cell: that subject is left out of the pairs of its cluster only
    bCols[0]![0] = NaN;
    const r = clusterCorrelations(table(ids, a), table(bIds, bCols), ['gmv/tables/DRE-HC_cluster_values.csv', 'reho/tables/DRE-HC_cluster_values.csv'], ['pearson', 'spearman']);
    expect(r).toMatchObject({ shared: keep.length, onlyA: n - keep.length, onlyB: 4 });
    expect(r.rows).toHaveLength(2 * 3 * 2);
    for (const row of r.rows) {
      const i = Number(row.a.split('_')[1]) - 1;
      const j = Number(row.b.split('_')[1]) - 1;
      const pairs = keep.filter((s) => !(j === 0 && s === order[0]));
      const x = pairs.map((s) => a[i]![s]!);
      const y = pairs.map((s) => b[j]![s]!);
      const want = row.method === 'pearson' ? pearson(x, y) : pearson(ranks(x), ranks(y));
      expect(row.n).toBe(pairs.length);
      expect(row.r, `${row.method} ${row.a} ${row.b}`).toBeCloseTo(want, 12);
      const t = want * Math.sqrt((pairs.length - 2) / (1 - want * want));
      expect(row.t).toBeCloseTo(t, 9);
      expect(Math.abs(row.p - twoSided(t, pairs.length - 2)) / row.p).toBeLessThan(1e-6);
    }
    // the correlated pairs are found, the others are not
    const at = (m: string, ca: string, cb: string) => r.rows.find((x) => x.method === m && x.a === ca && x.b === cb)!;
    expect(at('pearson', 'cluster_1', 'cluster_1').p).toBeLessThan(0.01);
    expect(at('pearson', 'cluster_2', 'cluster_2').p).toBeLessThan(0.01);
    expect(at('pearson', 'cluster_3', 'cluster_1').r).not.toBeCloseTo(at('pearson', 'cluster_1', 'cluster_1').r, 2);
  });

  it('CSV: one row per cluster pair and method', () => {
    const r = clusterCorrelations(table(cars, [MPG, WT]), table(cars, [WT]), ['A.csv', 'B.csv'], ['pearson', 'spearman']);
    const lines = clusterCorrelationsCsv(r).trim().split('\n');
    expect(lines[0]).toBe('a_table,a_cluster,b_table,b_cluster,method,n,r,t,df,p');
    expect(lines).toHaveLength(1 + 4);
    const f = lines[1]!.split(',');
    expect(f.slice(0, 6)).toEqual(['A.csv', 'cluster_1', 'B.csv', 'cluster_1', 'pearson', '32']);
    expect(Number(f[6])).toBeCloseTo(-0.8676594, 7);
    // cluster_2 of A is wt itself: r = 1, t infinite, p = 0
    expect(lines[2]!.split(',').slice(6)).toEqual(['1', 'Inf', '30', '0']);
  });
});

describe('cluster value correlations: bad input', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];
  it('no shared participant_id names both files', () => {
    expectNamed(() => clusterCorrelations(table(five, [[1, 2, 3, 4, 5]]), table(['v', 'w', 'x', 'y', 'z'], [[1, 2, 3, 4, 5]]), ['gmv.csv', 'reho.csv']), 'TooFewSubjects', {
      input: 'gmv.csv,reho.csv',
      message: /gmv\.csv and reho\.csv share no participant_id/,
    });
  });
  it('fewer than 3 shared subjects, or fewer than 3 complete pairs', () => {
    expectNamed(() => clusterCorrelations(table(five, [[1, 2, 3, 4, 5]]), table(['a', 'b', 'x'], [[1, 2, 3]]), ['gmv.csv', 'reho.csv']), 'TooFewSubjects', {
      input: 'gmv.csv,reho.csv',
      message: /share 2 participant_id\(s\); a correlation needs at least 3/,
    });
    expectNamed(() => clusterCorrelations(table(five, [[1, 2, 3, 4, 5]]), table(five, [[1, NaN, NaN, NaN, 5]]), ['gmv.csv', 'reho.csv']), 'TooFewSubjects', {
      input: 'gmv.csv,reho.csv',
      message: /gmv\.csv cluster_1 and reho\.csv cluster_1 have 2 subject/,
    });
  });
  it('a constant cluster, a non-numeric cell, no participant_id, no cluster column, a repeated participant', () => {
    expectNamed(() => clusterCorrelations(table(five, [[1, 2, 3, 4, 5]]), table(five, [[2, 2, 2, 2, 2]]), ['gmv.csv', 'reho.csv']), 'InvalidParameter', { input: 'gmv.csv,reho.csv', message: /constant/ });
    const bad = parseTable('participant_id,cluster_1\na,1\nb,two\nc,3\n', 'reho.csv');
    expectNamed(() => clusterCorrelations(table(five, [[1, 2, 3, 4, 5]]), bad, ['gmv.csv', 'reho.csv']), 'PartlyNumericColumn', { input: 'reho.csv cluster_1', message: /row 2/ });
    expectNamed(() => clusterCorrelations(parseTable('id,cluster_1\na,1\n', 'g'), bad, ['gmv.csv', 'reho.csv']), 'InvalidParameter', { input: 'gmv.csv', message: /no participant_id column/ });
    expectNamed(() => clusterCorrelations(parseTable('participant_id\na\nb\nc\n', 'g'), bad, ['gmv.csv', 'reho.csv']), 'InvalidParameter', { input: 'gmv.csv', message: /no cluster column/ });
    expectNamed(() => clusterCorrelations(parseTable('participant_id,cluster_1\na,1\nb,2\na,3\n', 'g'), bad, ['gmv.csv', 'reho.csv']), 'InvalidParameter', { input: 'gmv.csv', message: /row 3/ });
  });
});

describe('neuroburst correlate (command function)', () => {
  const dir = tmpDir('nb-correlate-');
  it('reads two jobs’ cluster values tables, prints text or JSON and writes tables/cluster_correlations.csv', () => {
    for (const [job, col] of [['gmv', MPG], ['reho', WT]] as const) {
      const d = join(dir, job, 'tables');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'DRE-HC_cluster_values.csv'), valuesCsv(cars, [col]));
    }
    const fa = join(dir, 'gmv', 'tables', 'DRE-HC_cluster_values.csv');
    const fb = join(dir, 'reho', 'tables', 'DRE-HC_cluster_values.csv');
    const csv = join(dir, 'cluster_correlations.csv');
    const { text, result } = runCorrelate(fa, fb, { method: 'both', csv });
    expect(result.a).toBe('gmv/tables/DRE-HC_cluster_values.csv');
    expect(text).toMatch(/32 shared participant/);
    expect(text).toMatch(/r = -0\.8677, t\(30\) = -9\.559/);
    expect(text).toMatch(/ρ = -0\.8864/);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]!.startsWith('gmv/tables/DRE-HC_cluster_values.csv,cluster_1,reho/tables/DRE-HC_cluster_values.csv,cluster_1,pearson,32,')).toBe(true);
    const json = JSON.parse(runCorrelate(fa, fb, { json: true }).text);
    expect(json.rows).toHaveLength(1);
    expect(json.rows[0].r).toBeCloseTo(-0.8676594, 7);
    expectNamed(() => runCorrelate(fa, fb, { method: 'kendall' }), 'InvalidParameter', { input: 'method' });
    expectNamed(() => runCorrelate(fa, join(dir, 'nope.csv')), 'MissingInput', { input: 'nope.csv' });
  });
});
