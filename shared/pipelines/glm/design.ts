import { InvalidJobSpec, InvalidParticipants } from '../../errors.ts';
import type { Table } from '../../jobs/table.ts';
import type { GlmParams } from './params.ts';

export interface Participant {
  id: string;
  group: string;
  /** The map reference as written in the table (resolved later). */
  mapRef: string;
  row: Record<string, string>;
}

/** One fitted model: which subjects, the design matrix (row-major n×p) and one contrast. */
export interface ModelSpec {
  name: string;
  subjects: number[];
  columns: string[];
  X: number[];
  n: number;
  p: number;
  contrast: number[];
}

export interface GlmDesign {
  groups: string[];
  participants: Participant[];
  models: ModelSpec[];
}

interface CovariateSpec {
  name: string;
  type: 'continuous' | 'categorical';
  centre: boolean;
}

function covariateSpecs(params: GlmParams): CovariateSpec[] {
  return params.covariates.map((c) =>
    typeof c === 'string' ? { name: c, type: 'continuous' as const, centre: false } : { name: c.name, type: c.type, centre: c.centre },
  );
}

/** Read participants (id, group, map) out of the table; names the row of any problem. */
export function readParticipants(table: Table, mapColumn: string, source: string): Participant[] {
  for (const col of ['participant_id', 'group', mapColumn]) {
    if (!table.columns.includes(col)) {
      throw new InvalidParticipants(`${source} has no column "${col}" (columns: ${table.columns.join(', ')})`, source);
    }
  }
  const ids = new Set<string>();
  return table.rows.map((row, i) => {
    const id = row.participant_id!;
    const where = `${source} row ${i + 1}`;
    if (!id) throw new InvalidParticipants(`${where}: empty participant_id`, source);
    if (ids.has(id)) throw new InvalidParticipants(`${where}: participant_id "${id}" appears twice`, source);
    ids.add(id);
    if (!row.group) throw new InvalidParticipants(`${where} (${id}): empty group`, source);
    if (!row[mapColumn]) throw new InvalidParticipants(`${where} (${id}): empty ${mapColumn}`, source);
    return { id, group: row.group!, mapRef: row[mapColumn]!, row };
  });
}

/** Covariate columns for the given subjects: continuous as numbers (optionally centred), categorical dummy-coded against the first level (sorted). */
function covariateColumns(
  participants: Participant[],
  subjects: number[],
  covs: CovariateSpec[],
  source: string,
): { names: string[]; cols: number[][] } {
  const names: string[] = [];
  const cols: number[][] = [];
  for (const cov of covs) {
    const raw = subjects.map((s) => participants[s]!.row[cov.name]);
    if (raw.some((v) => v === undefined)) {
      throw new InvalidParticipants(`covariate "${cov.name}" is not a column of ${source}`, `params.covariates`);
    }
    if (cov.type === 'continuous') {
      const vals = raw.map((v, k) => {
        const x = Number(v);
        if (v!.trim() === '' || !Number.isFinite(x)) {
          const p = participants[subjects[k]!]!;
          throw new InvalidParticipants(`${source}: participant ${p.id} has a non-numeric or missing ${cov.name} ("${v}")`, source);
        }
        return x;
      });
      if (cov.centre) {
        const m = vals.reduce((a, b) => a + b, 0) / vals.length;
        for (let k = 0; k < vals.length; k++) vals[k]! -= m;
      }
      names.push(cov.name);
      cols.push(vals);
    } else {
      const levels = [...new Set(raw as string[])].sort();
      for (const level of levels.slice(1)) {
        names.push(`${cov.name}[${level}]`);
        cols.push((raw as string[]).map((v) => (v === level ? 1 : 0)));
      }
    }
  }
  return { names, cols };
}

function buildModel(
  name: string,
  participants: Participant[],
  groups: string[],
  subjects: number[],
  covs: CovariateSpec[],
  contrastOf: (columns: string[]) => number[],
  source: string,
): ModelSpec {
  const { names, cols } = covariateColumns(participants, subjects, covs, source);
  const columns = [...groups, ...names];
  const n = subjects.length;
  const p = columns.length;
  const X = new Array<number>(n * p).fill(0);
  subjects.forEach((s, i) => {
    X[i * p + groups.indexOf(participants[s]!.group)] = 1;
    cols.forEach((c, j) => (X[i * p + groups.length + j] = c[i]!));
  });
  return { name, subjects, columns, X, n, p, contrast: contrastOf(columns) };
}

/**
 * Design of every contrast. Groups are coded as cell means (one indicator column per
 * group, no constant), covariates follow in the order given. For a group difference
 * this gives the same t and DOF as DPABI's [label, 1, covariates] coding.
 */
export function buildDesign(participants: Participant[], params: GlmParams, source: string): GlmDesign {
  const present = [...new Set(participants.map((p) => p.group))].sort();
  const groups = params.groups ?? present;
  for (const g of present) {
    if (!groups.includes(g)) throw new InvalidJobSpec(`group "${g}" of ${source} is not listed in params.groups`, 'params.groups');
  }
  for (const g of groups) {
    if (!present.includes(g)) throw new InvalidJobSpec(`params.groups names "${g}", which no participant belongs to`, 'params.groups');
  }
  const count = (g: string) => participants.filter((p) => p.group === g).length;
  const covs = covariateSpecs(params);
  const all = participants.map((_, i) => i);
  const models = params.contrasts.map((c, ci): ModelSpec => {
    const field = `params.contrasts[${ci}]`;
    if (typeof c === 'string') {
      const [a, b] = c.split('-') as [string, string];
      for (const g of [a, b]) {
        if (!groups.includes(g)) throw new InvalidJobSpec(`contrast "${c}" names group "${g}"; groups are ${groups.join(', ')}`, field);
        if (count(g) < 2) throw new InvalidParticipants(`group "${g}" has ${count(g)} subject(s); a group needs at least 2`, field);
      }
      if (a === b) throw new InvalidJobSpec(`contrast "${c}" compares a group with itself`, field);
      const useGroups = params.model === 'pairwise' ? [a, b] : groups;
      const subjects = params.model === 'pairwise' ? all.filter((i) => participants[i]!.group === a || participants[i]!.group === b) : all;
      return buildModel(c, participants, useGroups, subjects, covs, (cols) => cols.map((n) => (n === a ? 1 : n === b ? -1 : 0)), source);
    }
    const model = buildModel(c.name, participants, groups, all, covs, (cols) => {
      if (c.vector.length !== cols.length) {
        throw new InvalidJobSpec(
          `contrast "${c.name}" has ${c.vector.length} weights but the pooled design has ${cols.length} columns (${cols.join(', ')})`,
          field,
        );
      }
      return c.vector;
    }, source);
    if (model.contrast.every((w) => w === 0)) throw new InvalidJobSpec(`contrast "${c.name}" is all zeros`, field);
    return model;
  });
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.name)) throw new InvalidJobSpec(`two contrasts are named "${m.name}"`, 'params.contrasts');
    names.add(m.name);
  }
  return { groups, participants, models };
}
