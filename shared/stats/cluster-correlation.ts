/**
 * Correlation of cluster values between two analyses of the same subjects (e.g. each
 * subject's mean GMV in a GMV cluster against their mean ReHo in a ReHo cluster): two
 * `<contrast>_cluster_values.csv` tables (participant_id, cluster_1, …) are matched by
 * participant_id, and every cluster of the first is correlated with every cluster of the
 * second (./correlation.ts: Pearson r, or Spearman ρ on average ranks; two-sided p from the
 * t distribution on n − 2 df, as R's cor.test — for Spearman its asymptotic t
 * approximation, `exact = FALSE`).
 *
 * Subjects present in only one table are left out (counted in the result); an empty cell
 * leaves that subject out of the pairs of its cluster. Fewer than 3 shared subjects (or
 * complete pairs) → TooFewSubjects naming both files.
 */
import { InvalidParameter } from '../errors.ts';
import { csvField } from '../jobs/csv.ts';
import type { Table } from '../jobs/table.ts';
import { PartlyNumericColumn, TooFewSubjects } from './cohort-errors.ts';
import { correlate } from './correlation.ts';

export type CorrelationMethod = 'pearson' | 'spearman';

export interface ClusterCorrelationRow {
  /** cluster column of the first table (e.g. cluster_1) */
  a: string;
  /** cluster column of the second table */
  b: string;
  method: CorrelationMethod;
  /** complete pairs used */
  n: number;
  r: number;
  t: number;
  df: number;
  p: number;
}

export interface ClusterCorrelationResult {
  a: string;
  b: string;
  /** participants in both tables */
  shared: number;
  /** participants only in the first / only in the second table */
  onlyA: number;
  onlyB: number;
  /** how p was computed, for a methods text */
  pMethod: string;
  rows: ClusterCorrelationRow[];
}

const ID = 'participant_id';

interface Values {
  clusters: string[];
  byId: Map<string, Float64Array>;
}

function valuesOf(t: Table, source: string): Values {
  if (!t.columns.includes(ID)) throw new InvalidParameter(`${source} has no ${ID} column (a cluster values table: ${ID},cluster_1,…)`, source);
  const clusters = t.columns.filter((c) => c !== ID);
  if (clusters.length === 0) throw new InvalidParameter(`${source} has no cluster column (no cluster survived in that analysis)`, source);
  const byId = new Map<string, Float64Array>();
  t.rows.forEach((row, r) => {
    const id = (row[ID] ?? '').trim();
    if (id === '') throw new InvalidParameter(`${source} row ${r + 1}: empty ${ID}`, source);
    if (byId.has(id)) throw new InvalidParameter(`${source} row ${r + 1}: the ${ID} of an earlier row appears again`, source);
    const v = new Float64Array(clusters.length);
    clusters.forEach((c, k) => {
      const raw = (row[c] ?? '').trim();
      const x = raw === '' || raw === 'n/a' ? NaN : Number(raw);
      if (raw !== '' && raw !== 'n/a' && !Number.isFinite(x)) {
        throw new PartlyNumericColumn(`${source} row ${r + 1}: column ${c} is not a number`, `${source} ${c}`);
      }
      v[k] = x;
    });
    byId.set(id, v);
  });
  return { clusters, byId };
}

/**
 * Correlate every cluster of table `a` with every cluster of table `b` over the participants
 * both hold (in `a`'s row order). `sources` name the two files in errors and the result.
 */
export function clusterCorrelations(a: Table, b: Table, sources: [string, string], methods: CorrelationMethod[] = ['pearson']): ClusterCorrelationResult {
  const [sa, sb] = sources;
  const A = valuesOf(a, sa);
  const B = valuesOf(b, sb);
  const ids = [...A.byId.keys()].filter((id) => B.byId.has(id));
  if (ids.length < 3) {
    throw new TooFewSubjects(
      ids.length === 0
        ? `${sa} and ${sb} share no ${ID}: the two analyses must be of the same subjects`
        : `${sa} and ${sb} share ${ids.length} ${ID}(s); a correlation needs at least 3`,
      `${sa},${sb}`,
    );
  }
  const rows: ClusterCorrelationRow[] = [];
  for (const method of methods) {
    A.clusters.forEach((ca, i) =>
      B.clusters.forEach((cb, j) => {
        const x: number[] = [];
        const y: number[] = [];
        for (const id of ids) {
          const xa = A.byId.get(id)![i]!;
          const yb = B.byId.get(id)![j]!;
          if (Number.isFinite(xa) && Number.isFinite(yb)) (x.push(xa), y.push(yb));
        }
        if (x.length < 3) {
          throw new TooFewSubjects(`${sa} ${ca} and ${sb} ${cb} have ${x.length} subject(s) with both values; a correlation needs at least 3`, `${sa},${sb}`);
        }
        let c;
        try {
          c = correlate(x, y, method);
        } catch (e) {
          if (e instanceof InvalidParameter) throw new InvalidParameter(`${sa} ${ca} vs ${sb} ${cb}: ${e.message}`, `${sa},${sb}`);
          throw e;
        }
        rows.push({ a: ca, b: cb, method, n: c.n, r: c.r, t: c.t, df: c.df, p: c.p });
      }),
    );
  }
  return {
    a: sa,
    b: sb,
    shared: ids.length,
    onlyA: A.byId.size - ids.length,
    onlyB: B.byId.size - ids.length,
    pMethod:
      'two-sided p from Student t on n − 2 df, t = r√((n − 2)/(1 − r²)) (R cor.test; for Spearman ρ its asymptotic t approximation, exact = FALSE)',
    rows,
  };
}

const num = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(8)) : x > 0 ? 'Inf' : x < 0 ? '-Inf' : '');

/** tables/cluster_correlations.csv: one row per cluster pair and method. */
export function clusterCorrelationsCsv(r: ClusterCorrelationResult): string {
  const lines = ['a_table,a_cluster,b_table,b_cluster,method,n,r,t,df,p'];
  for (const x of r.rows) lines.push([r.a, x.a, r.b, x.b, x.method, x.n, num(x.r), num(x.t), x.df, num(x.p)].map((v) => csvField(v)).join(','));
  return lines.join('\n') + '\n';
}
