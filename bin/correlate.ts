/**
 * `neuroburst correlate A/tables/<c>_cluster_values.csv B/tables/<c>_cluster_values.csv
 * [--method pearson|spearman|both] [--csv out.csv] [--json]`: each subject's cluster values of
 * two analyses (e.g. a GMV and a ReHo glm job of the same subjects) matched by participant_id
 * and correlated cluster by cluster (shared/stats/cluster-correlation.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { reportError } from './exit-codes.ts';
import { basename, dirname } from 'node:path';
import { InvalidParameter, MissingInput } from '../shared/errors.ts';
import { parseTable, type Table } from '../shared/jobs/table.ts';
import { clusterCorrelations, clusterCorrelationsCsv, type ClusterCorrelationResult, type CorrelationMethod } from '../shared/stats/cluster-correlation.ts';

export interface CorrelateCliOptions {
  method?: string;
  csv?: string;
  json?: boolean;
}

/** A short name of a cluster values file: `<job>/tables/<file>` keeps the job folder, so two jobs' tables differ. */
function shortName(file: string): string {
  const d = dirname(file);
  return basename(d) === 'tables' ? `${basename(dirname(d))}/tables/${basename(file)}` : basename(file);
}

function readTable(file: string, name: string): Table {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new MissingInput(`cannot read ${name}`, name);
  }
  return parseTable(raw, name);
}

function fmtP(p: number): string {
  return p < 0.001 ? p.toExponential(2) : p.toFixed(4);
}

export function runCorrelate(fileA: string, fileB: string, opts: CorrelateCliOptions = {}): { text: string; result: ClusterCorrelationResult } {
  const m = opts.method ?? 'pearson';
  if (m !== 'pearson' && m !== 'spearman' && m !== 'both') throw new InvalidParameter(`--method must be pearson, spearman or both, got "${m}"`, 'method');
  const methods: CorrelationMethod[] = m === 'both' ? ['pearson', 'spearman'] : [m];
  let [na, nb] = [shortName(fileA), shortName(fileB)];
  if (na === nb) [na, nb] = [fileA, fileB];
  const result = clusterCorrelations(readTable(fileA, na), readTable(fileB, nb), [na, nb], methods);
  if (opts.csv) writeFileSync(opts.csv, clusterCorrelationsCsv(result));
  const lines = [
    `cluster values of ${result.a} vs ${result.b}: ${result.shared} shared participant(s)` +
      (result.onlyA || result.onlyB ? ` (${result.onlyA} only in the first, ${result.onlyB} only in the second, left out)` : ''),
    ...result.rows.map((x) => ` ${x.a} vs ${x.b}: ${x.method === 'pearson' ? 'r' : 'ρ'} = ${x.r.toFixed(4)}, t(${x.df}) = ${x.t.toFixed(3)}, p = ${fmtP(x.p)} (n = ${x.n})`),
    `p: ${result.pMethod}`,
  ];
  return { text: opts.json ? JSON.stringify(result, null, 2) : lines.join('\n'), result };
}

export function registerCorrelateCommand(program: Command): void {
  program
    .command('correlate')
    .description('correlate the cluster values of two analyses of the same subjects (e.g. GMV vs ReHo clusters), matched by participant_id')
    .argument('<a>', 'first cluster values table, e.g. gmv/tables/DRE-HC_cluster_values.csv')
    .argument('<b>', 'second cluster values table, e.g. reho/tables/DRE-HC_cluster_values.csv')
    .option('--method <pearson|spearman|both>', 'Pearson r or Spearman ρ (average ranks); p two-sided from t on n − 2 df', 'pearson')
    .option('--csv <file>', 'write the table (e.g. tables/cluster_correlations.csv)')
    .option('--json', 'print JSON')
    .action((a: string, b: string, opts: CorrelateCliOptions) => {
      try {
        console.log(runCorrelate(a, b, opts).text);
      } catch (e) {
        process.exitCode = reportError(e);
      }
    });
}
