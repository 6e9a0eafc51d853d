/**
 * The demographics and clinical table of a cohort ("Table 1"): every variable of the
 * participants table summarised per group and tested across the groups.
 *
 * - A column is **continuous** when every non-missing value is a number, **categorical**
 *   when none is (or when named in `categorical`, e.g. sex coded 0/1). A column with both
 *   → PartlyNumericColumn naming the column and the first row whose value disagrees with
 *   the column's majority kind. Missing values ('', NA, n/a, NaN, '.', and `missing`)
 *   are left out per variable; `byGroup[g].n` counts what was used.
 * - Continuous: mean ± SD (n − 1) per group; one-way ANOVA (F, df [k − 1, N − k], p), or
 *   Kruskal–Wallis (H, df k − 1, p) for the variables in `kruskal` (true = all).
 * - Categorical: counts and percent per group; Pearson χ² (no continuity correction), or
 *   Fisher's exact test when `fisher` is true, or when it is 'auto' and some expected
 *   count is below 5 (Cochran's rule).
 * - Tests run over the groups that have at least one value (a clinical variable recorded
 *   for patients only is compared between the patient groups); with fewer than 2 such
 *   groups the variable is summarised and its test is 'none'.
 * - `pairwise`: Mann–Whitney U (R's wilcox.test) for each variable in `mannWhitney` and
 *   each pair of groups (in group order) that both have values.
 *
 * The result is JSON as reported by a job's `result.json` and by
 * `neuroburst demographics --json`; `demographicsCsv` writes `tables/demographics.csv`.
 */
import { InvalidParameter, InvalidParticipants } from '../errors.ts';
import { csvField } from '../jobs/csv.ts';
import type { Table } from '../jobs/table.ts';
import { oneWayAnova } from './anova.ts';
import { PartlyNumericColumn } from './cohort-errors.ts';
import { chiSquareTest, fisherExact } from './contingency.ts';
import { kruskalWallis, mannWhitney } from './rank-tests.ts';

export interface DemographicsOptions {
  /** Column holding each participant's group. */
  group: string;
  /** Group order (default: sorted names); rows of other groups are left out. */
  groups?: string[];
  /** Variables in order (default: every column but the group, `participant_id` and identifier-like text columns). */
  variables?: string[];
  /** Columns to treat as categorical although their values are numbers. */
  categorical?: string[];
  /** Variables tested pairwise by Mann–Whitney U. */
  mannWhitney?: string[];
  /** Continuous variables tested by Kruskal–Wallis instead of ANOVA (true = all). */
  kruskal?: string[] | boolean;
  /** Fisher's exact test for categorical variables: always (true), never (false, default), or when an expected count is < 5. */
  fisher?: boolean | 'auto';
  /** Further values that mean "missing". */
  missing?: string[];
}

export type TestName =
  | 'one-way ANOVA'
  | 'Kruskal-Wallis'
  | 'Pearson chi-squared'
  | 'Fisher exact'
  | 'none';

export interface ContinuousSummary {
  n: number;
  mean: number | null;
  sd: number | null;
}
export interface CategoricalSummary {
  n: number;
  counts: Record<string, number>;
  percent: Record<string, number>;
}

export interface DemographicsVariable {
  name: string;
  kind: 'continuous' | 'categorical';
  test: TestName;
  /** F, H or χ²; null for Fisher's exact test and 'none'. */
  statistic: number | null;
  /** [k − 1, N − k] for ANOVA, a number for Kruskal–Wallis and χ², null otherwise. */
  df: number | [number, number] | null;
  p: number | null;
  byGroup: Record<string, ContinuousSummary | CategoricalSummary>;
}

export interface DemographicsPairwise {
  name: string;
  groups: [string, string];
  test: 'Mann-Whitney U (exact)' | 'Mann-Whitney U (normal, tie and continuity corrected)';
  /** R's W: U of groups[0]. */
  U: number;
  p: number;
}

export interface DemographicsResult {
  groups: string[];
  variables: DemographicsVariable[];
  pairwise: DemographicsPairwise[];
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', '.', 'null', 'none']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether a table cell is a number (plain decimal or exponent notation). */
export function isNumberCell(s: string): boolean {
  return NUMBER.test(s.trim());
}

/**
 * Kind of a column: continuous (all present values numbers), categorical (none), or
 * PartlyNumericColumn naming the first row (1-based data row) of the minority kind.
 */
export function classifyColumn(name: string, values: (string | null)[], source = 'participants'): 'continuous' | 'categorical' {
  let num = 0;
  let text = 0;
  for (const v of values) {
    if (v === null) continue;
    if (isNumberCell(v)) num++;
    else text++;
  }
  if (num > 0 && text > 0) {
    const minorityIsText = text <= num;
    const row = values.findIndex((v) => v !== null && isNumberCell(v) !== minorityIsText);
    throw new PartlyNumericColumn(
      `${source}: column "${name}" is partly numeric: ${num} numeric and ${text} non-numeric values; ` +
        `row ${row + 1} holds ${minorityIsText ? 'text' : 'a number'} where the others hold ${minorityIsText ? 'numbers' : 'text'}`,
      name,
    );
  }
  return num > 0 ? 'continuous' : 'categorical';
}

function mean(x: number[]): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}
function sd(x: number[]): number {
  const m = mean(x);
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return Math.sqrt(s / (x.length - 1));
}

/** Identifier-like text column: every present value distinct and not a number (ids, file paths). */
function identifierLike(values: (string | null)[]): boolean {
  const present = values.filter((v): v is string => v !== null);
  return present.length > 1 && present.every((v) => !isNumberCell(v)) && new Set(present).size === present.length;
}

export function demographics(table: Table, opts: DemographicsOptions, source = 'participants'): DemographicsResult {
  const { group } = opts;
  if (!table.columns.includes(group)) throw new InvalidParameter(`${source} has no group column "${group}"`, 'group');
  const missing = new Set([...MISSING, ...(opts.missing ?? []).map((m) => m.trim().toLowerCase())]);
  const cell = (row: Record<string, string>, col: string): string | null => {
    const v = (row[col] ?? '').trim();
    return missing.has(v.toLowerCase()) ? null : v;
  };
  table.rows.forEach((row, i) => {
    if (cell(row, group) === null) throw new InvalidParticipants(`${source} row ${i + 1}: no value in the group column "${group}"`, group);
  });
  const present = [...new Set(table.rows.map((r) => cell(r, group) as string))].sort();
  const groups = opts.groups ?? present;
  if (groups.length < 2) throw new InvalidParameter(`demographics needs at least 2 groups, got ${groups.length}`, 'groups');
  for (const g of groups) {
    if (!present.includes(g)) throw new InvalidParameter(`group "${g}" has no participants`, 'groups');
  }
  const rows = table.rows.filter((r) => groups.includes(cell(r, group) as string));
  const groupOf = rows.map((r) => cell(r, group) as string);

  const column = (name: string): (string | null)[] => rows.map((r) => cell(r, name));
  const allRows = (name: string): (string | null)[] => table.rows.map((r) => cell(r, name));
  const categorical = new Set(opts.categorical ?? []);
  const mw = opts.mannWhitney ?? [];
  const kw = opts.kruskal ?? false;
  let variables: string[];
  if (opts.variables) {
    variables = opts.variables;
  } else {
    variables = table.columns.filter((c) => c !== group && c !== 'participant_id' && !identifierLike(column(c)));
  }
  for (const v of [...variables, ...mw, ...categorical]) {
    if (!table.columns.includes(v)) throw new InvalidParameter(`${source} has no column "${v}"`, v);
  }

  const out: DemographicsVariable[] = [];
  const kinds = new Map<string, 'continuous' | 'categorical'>();
  for (const name of variables) {
    const values = column(name);
    // classified over every row of the table, so that the row named in an error is the file's data row
    const kind = categorical.has(name) ? 'categorical' : classifyColumn(name, allRows(name), source);
    kinds.set(name, kind);
    if (kind === 'continuous') {
      const byGroup: Record<string, ContinuousSummary> = {};
      const samples: number[][] = [];
      for (const g of groups) {
        const x = values.flatMap((v, i) => (v !== null && groupOf[i] === g ? [Number(v)] : []));
        byGroup[g] = { n: x.length, mean: x.length ? mean(x) : null, sd: x.length > 1 ? sd(x) : null };
        if (x.length > 0) samples.push(x);
      }
      const useKw = kw === true || (Array.isArray(kw) && kw.includes(name));
      const N = samples.reduce((s, x) => s + x.length, 0);
      if (samples.length < 2 || (!useKw && N - samples.length < 1)) {
        out.push({ name, kind, test: 'none', statistic: null, df: null, p: null, byGroup });
      } else if (useKw) {
        const r = kruskalWallis(samples);
        out.push({ name, kind, test: 'Kruskal-Wallis', statistic: r.H, df: r.df, p: r.p, byGroup });
      } else {
        const r = oneWayAnova(samples);
        out.push({ name, kind, test: 'one-way ANOVA', statistic: r.F, df: r.df, p: r.p, byGroup });
      }
    } else {
      const levels = [...new Set(values.filter((v): v is string => v !== null))].sort();
      const byGroup: Record<string, CategoricalSummary> = {};
      const tableCounts: number[][] = levels.map(() => groups.map(() => 0));
      groups.forEach((g, gj) => {
        const counts: Record<string, number> = {};
        const percent: Record<string, number> = {};
        let n = 0;
        levels.forEach((lv, li) => {
          const k = values.reduce((s, v, i) => s + (v === lv && groupOf[i] === g ? 1 : 0), 0);
          counts[lv] = k;
          tableCounts[li][gj] = k;
          n += k;
        });
        for (const lv of levels) percent[lv] = n > 0 ? (100 * counts[lv]) / n : 0;
        byGroup[g] = { n, counts, percent };
      });
      const nonEmptyGroups = groups.filter((g) => byGroup[g].n > 0).length;
      if (levels.length < 2 || nonEmptyGroups < 2) {
        out.push({ name, kind, test: 'none', statistic: null, df: null, p: null, byGroup });
        continue;
      }
      const chi = chiSquareTest(tableCounts);
      const useFisher = opts.fisher === true || (opts.fisher === 'auto' && chi.minExpected < 5);
      if (useFisher) {
        const f = fisherExact(tableCounts);
        out.push({ name, kind, test: 'Fisher exact', statistic: null, df: null, p: f.p, byGroup });
      } else {
        out.push({ name, kind, test: 'Pearson chi-squared', statistic: chi.chi2, df: chi.df, p: chi.p, byGroup });
      }
    }
  }

  const pairwise: DemographicsPairwise[] = [];
  for (const name of mw) {
    const values = column(name);
    const kind = kinds.get(name) ?? (categorical.has(name) ? 'categorical' : classifyColumn(name, allRows(name), source));
    if (kind !== 'continuous') throw new InvalidParameter(`Mann–Whitney U needs a numeric column; "${name}" is categorical`, name);
    const sample = (g: string): number[] => values.flatMap((v, i) => (v !== null && groupOf[i] === g ? [Number(v)] : []));
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        const x = sample(groups[a]);
        const y = sample(groups[b]);
        if (x.length === 0 || y.length === 0) continue;
        const r = mannWhitney(x, y);
        pairwise.push({
          name,
          groups: [groups[a], groups[b]],
          test: r.method === 'exact' ? 'Mann-Whitney U (exact)' : 'Mann-Whitney U (normal, tie and continuity corrected)',
          U: r.U,
          p: r.p,
        });
      }
    }
  }
  return { groups, variables: out, pairwise };
}

function fmt(x: number | null, digits = 2): string {
  return x === null || !Number.isFinite(x) ? (x === null ? '' : String(x)) : x.toFixed(digits);
}
function fmtP(p: number | null): string {
  if (p === null) return '';
  return p < 0.001 ? p.toExponential(2) : p.toFixed(3);
}
function fmtDf(df: DemographicsVariable['df']): string {
  return df === null ? '' : Array.isArray(df) ? `${df[0]}, ${df[1]}` : String(df);
}

/**
 * `tables/demographics.csv`: one row per continuous variable ("mean ± SD (n)" per group),
 * one row per level of a categorical variable ("count (percent%)"), the test and its
 * statistic/df/p on the variable's first row; then one row per pairwise Mann–Whitney U
 * (level = "A vs B", statistic = U).
 */
export function demographicsCsv(r: DemographicsResult): string {
  const head = ['variable', 'kind', 'level', ...r.groups, 'test', 'statistic', 'df', 'p'];
  const lines = [head.map(csvField).join(',')];
  for (const v of r.variables) {
    const stats = [v.test, fmt(v.statistic, 3), fmtDf(v.df), fmtP(v.p)];
    if (v.kind === 'continuous') {
      const cells = r.groups.map((g) => {
        const s = v.byGroup[g] as ContinuousSummary;
        return s.n === 0 ? '' : `${fmt(s.mean)} ± ${fmt(s.sd)} (${s.n})`;
      });
      lines.push([v.name, v.kind, '', ...cells, ...stats].map(csvField).join(','));
    } else {
      const levels = Object.keys((v.byGroup[r.groups[0]] as CategoricalSummary).counts);
      levels.forEach((lv, li) => {
        const cells = r.groups.map((g) => {
          const s = v.byGroup[g] as CategoricalSummary;
          return `${s.counts[lv]} (${fmt(s.percent[lv], 1)}%)`;
        });
        lines.push([v.name, v.kind, lv, ...cells, ...(li === 0 ? stats : ['', '', '', ''])].map(csvField).join(','));
      });
    }
  }
  for (const w of r.pairwise) {
    lines.push([w.name, 'pairwise', `${w.groups[0]} vs ${w.groups[1]}`, ...r.groups.map(() => ''), w.test, fmt(w.U, 1), '', fmtP(w.p)].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * One paragraph for a report's methods section: which test was used for which variables
 * (e.g. "Age was compared across DRE, DSE and HC by one-way ANOVA; sex by Pearson's χ² test
 * (no continuity correction); duration between each pair of groups by the Mann–Whitney U test …").
 */
export function demographicsMethodsText(r: DemographicsResult): string {
  const by = new Map<TestName, string[]>();
  for (const v of r.variables) {
    if (v.test === 'none') continue;
    by.set(v.test, [...(by.get(v.test) ?? []), v.name]);
  }
  const names = (xs: string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  const phrase: Record<Exclude<TestName, 'none'>, string> = {
    'one-way ANOVA': 'one-way ANOVA',
    'Kruskal-Wallis': 'the Kruskal–Wallis test (tie corrected)',
    'Pearson chi-squared': "Pearson's χ² test (no continuity correction)",
    'Fisher exact': "Fisher's exact test",
  };
  const parts = [...by.entries()].map(([t, vs]) => `${names(vs)} by ${phrase[t as Exclude<TestName, 'none'>]}`);
  const out: string[] = [];
  if (parts.length) out.push(`Group differences across ${names(r.groups)} were tested for ${parts.join('; ')}.`);
  const mw = [...new Set(r.pairwise.map((w) => w.name))];
  if (mw.length) {
    out.push(
      `${names(mw)} ${mw.length > 1 ? 'were' : 'was'} compared between each pair of groups by the two-sided Mann–Whitney U test ` +
        '(exact for fewer than 50 subjects per group without ties, otherwise the normal approximation with tie and continuity correction, as R’s wilcox.test).',
    );
  }
  return out.join(' ');
}
