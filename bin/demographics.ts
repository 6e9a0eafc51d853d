/**
 * `neuroburst demographics participants.tsv --group group [--mann-whitney a,b] [--json]`:
 * the demographics and clinical table of a participants table (shared/stats/demographics.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MissingInput } from '../shared/errors.ts';
import { parseTable } from '../shared/jobs/table.ts';
import {
  demographics,
  demographicsCsv,
  type CategoricalSummary,
  type ContinuousSummary,
  type DemographicsResult,
} from '../shared/stats/demographics.ts';

export interface DemographicsCliOptions {
  group: string;
  groups?: string;
  variables?: string;
  categorical?: string;
  mannWhitney?: string;
  kruskal?: string | boolean;
  fisher?: string | boolean;
  json?: boolean;
  csv?: string;
}

const list = (s: string | undefined): string[] | undefined =>
  s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x !== '');

function p(x: number | null): string {
  return x === null ? '' : x < 0.001 ? x.toExponential(2) : x.toFixed(3);
}

function text(r: DemographicsResult): string {
  const lines: string[] = [];
  for (const v of r.variables) {
    const df = v.df === null ? '' : Array.isArray(v.df) ? `(${v.df.join(', ')})` : `(${v.df})`;
    const stat = v.statistic === null ? '' : ` ${v.statistic.toFixed(3)}`;
    lines.push(`${v.name} [${v.kind}] ${v.test}${df}${stat}${v.p === null ? '' : `, p = ${p(v.p)}`}`);
    for (const g of r.groups) {
      if (v.kind === 'continuous') {
        const s = v.byGroup[g] as ContinuousSummary;
        lines.push(`   ${g}: ${s.n === 0 ? '–' : `${s.mean?.toFixed(2)} ± ${s.sd === null ? '–' : s.sd.toFixed(2)}`} (n = ${s.n})`);
      } else {
        const s = v.byGroup[g] as CategoricalSummary;
        lines.push(`   ${g}: ${Object.entries(s.counts).map(([k, c]) => `${k} ${c} (${s.percent[k].toFixed(1)}%)`).join(', ')}`);
      }
    }
  }
  for (const w of r.pairwise) lines.push(`${w.name} ${w.groups[0]} vs ${w.groups[1]}: ${w.test}, U = ${w.U}, p = ${p(w.p)}`);
  return lines.join('\n');
}

/** Run the table on a file; returns what the command prints (JSON with `json`). */
export function runDemographics(file: string, opts: DemographicsCliOptions): string {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new MissingInput(`cannot read ${basename(file)}`, file);
  }
  const table = parseTable(raw, basename(file));
  const kruskal = opts.kruskal === true ? true : list(typeof opts.kruskal === 'string' ? opts.kruskal : undefined);
  const fisher = opts.fisher === true ? true : opts.fisher === 'auto' ? 'auto' : false;
  const r = demographics(
    table,
    {
      group: opts.group,
      groups: list(opts.groups),
      variables: list(opts.variables),
      categorical: list(opts.categorical),
      mannWhitney: list(opts.mannWhitney),
      kruskal: kruskal ?? false,
      fisher,
    },
    basename(file),
  );
  if (opts.csv) writeFileSync(opts.csv, demographicsCsv(r));
  return opts.json ? JSON.stringify(r, null, 2) : text(r);
}
