/**
 * Tests of independence on an r × c contingency table of counts (rows = levels of the
 * variable, columns = groups):
 *
 * - Pearson χ²: Σ (O − E)²/E with E = row·col/N, df = (r − 1)(c − 1), p from χ². No
 *   continuity correction by default (SPSS's "Pearson Chi-Square"); `yates: true` applies
 *   Yates' correction to a 2 × 2 table as R's `chisq.test` does by default
 *   (|O − E| − min(½, |O − E|)).
 * - Fisher's exact test (R's `fisher.test`, two-sided): every table with the observed
 *   margins is enumerated; its probability under independence is
 *   Π row! Π col! / (N! Π cell!), and p is the sum over tables no more probable than the
 *   observed one (relative tolerance 1e-7, as R). For r × c beyond 2 × 2 the enumeration
 *   runs cell by cell with the remaining margins (Mehta & Patel's network counts the same
 *   tables without listing them; listing is enough for the small tables where the exact
 *   test matters). More than `maxTables` tables → ExactTestTooLarge.
 *
 * Rows or columns whose margin is 0 are dropped first (they carry no information).
 */
import { InvalidParameter } from '../errors.ts';
import { ExactTestTooLarge } from './cohort-errors.ts';
import { gammaLn } from './distributions.ts';
import { chiSquareTail } from './fdist.ts';

export type CountTable = number[][];

function checkTable(t: CountTable): void {
  if (t.length < 1 || t[0].length < 1) throw new InvalidParameter('contingency table is empty');
  const c = t[0].length;
  t.forEach((row, i) => {
    if (row.length !== c) throw new InvalidParameter(`contingency table row ${i} has ${row.length} cells; row 0 has ${c}`);
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) throw new InvalidParameter(`contingency table cell [${i}][${j}] = ${v} is not a count`);
    });
  });
}

/** The table without all-zero rows and columns. */
export function dropEmpty(t: CountTable): CountTable {
  checkTable(t);
  const colSum = t[0].map((_, j) => t.reduce((s, r) => s + r[j], 0));
  return t.filter((r) => r.some((v) => v > 0)).map((r) => r.filter((_, j) => colSum[j] > 0));
}

export interface ChiSquareResult {
  chi2: number;
  df: number;
  p: number;
  /** Expected counts under independence. */
  expected: number[][];
  /** The smallest expected count (Cochran's rule asks for ≥ 5). */
  minExpected: number;
}

export function chiSquareTest(table: CountTable, opts: { yates?: boolean } = {}): ChiSquareResult {
  const t = dropEmpty(table);
  const r = t.length;
  const c = r > 0 ? t[0].length : 0;
  if (r < 2 || c < 2) throw new InvalidParameter(`χ² needs at least 2 non-empty rows and columns, got ${r} × ${c}`);
  const rowSum = t.map((row) => row.reduce((a, b) => a + b, 0));
  const colSum = t[0].map((_, j) => t.reduce((s, row) => s + row[j], 0));
  const N = rowSum.reduce((a, b) => a + b, 0);
  const yates = opts.yates === true && r === 2 && c === 2;
  let chi2 = 0;
  let minExpected = Infinity;
  const expected = t.map((row, i) =>
    row.map((o, j) => {
      const e = (rowSum[i] * colSum[j]) / N;
      minExpected = Math.min(minExpected, e);
      let d = Math.abs(o - e);
      if (yates) d -= Math.min(0.5, d);
      chi2 += (d * d) / e;
      return e;
    }),
  );
  const df = (r - 1) * (c - 1);
  return { chi2, df, p: chiSquareTail(chi2, df), expected, minExpected };
}

export interface FisherResult {
  p: number;
  /** Number of tables with the observed margins. */
  tables: number;
}

const lfact = (n: number): number => gammaLn(n + 1);

export function fisherExact(table: CountTable, opts: { maxTables?: number } = {}): FisherResult {
  const t = dropEmpty(table);
  const r = t.length;
  const c = r > 0 ? t[0].length : 0;
  if (r < 2 || c < 2) return { p: 1, tables: 1 }; // one non-empty row or column: nothing to test
  const maxTables = opts.maxTables ?? 2_000_000;
  const rowSum = t.map((row) => row.reduce((a, b) => a + b, 0));
  const colSum = t[0].map((_, j) => t.reduce((s, row) => s + row[j], 0));
  const N = rowSum.reduce((a, b) => a + b, 0);
  let constant = -lfact(N);
  for (const v of rowSum) constant += lfact(v);
  for (const v of colSum) constant += lfact(v);
  let obsCells = 0;
  for (const row of t) for (const v of row) obsCells += lfact(v);
  const logObs = constant - obsCells;

  // Fill column by column, top to bottom; the last row of each column and the whole last
  // column are determined by the margins.
  const rowLeft = rowSum.slice();
  let count = 0;
  let pSum = 0;
  const threshold = logObs + Math.log1p(1e-7);
  const walk = (j: number, i: number, colLeft: number, logCells: number): void => {
    if (j === c - 1) {
      // last column takes what every row has left; it must match its margin
      let s = 0;
      let lc = logCells;
      for (let a = 0; a < r; a++) {
        s += rowLeft[a];
        lc += lfact(rowLeft[a]);
      }
      if (s !== colSum[j]) return;
      if (++count > maxTables) {
        throw new ExactTestTooLarge(`Fisher's exact test: more than ${maxTables} tables share these margins; use the χ² test`, 'fisher');
      }
      const lp = constant - lc;
      if (lp <= threshold) pSum += Math.exp(lp);
      return;
    }
    if (i === r - 1) {
      const v = colLeft;
      if (v > rowLeft[i]) return;
      rowLeft[i] -= v;
      walk(j + 1, 0, colSum[j + 1], logCells + lfact(v));
      rowLeft[i] += v;
      return;
    }
    // rows below i can hold at most Σ rowLeft[i+1…]
    let below = 0;
    for (let a = i + 1; a < r; a++) below += rowLeft[a];
    const lo = Math.max(0, colLeft - below);
    const hi = Math.min(rowLeft[i], colLeft);
    for (let v = lo; v <= hi; v++) {
      rowLeft[i] -= v;
      walk(j, i + 1, colLeft - v, logCells + lfact(v));
      rowLeft[i] += v;
    }
  };
  walk(0, 0, colSum[0], 0);
  return { p: Math.min(1, pSum), tables: count };
}
