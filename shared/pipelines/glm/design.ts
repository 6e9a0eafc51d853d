import { InvalidJobSpec, InvalidParticipants } from '../../errors.ts';
import type { Table } from '../../jobs/table.ts';
import { TooFewSubjects } from '../../stats/cohort-errors.ts';
import type { AnalysisParams, FContrastParams, GlmParams } from './params.ts';

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
  /** 'F' for an F-contrast: `rows` are its contrast rows and `contrast` is the first row (default 't') */
  kind?: 't' | 'F';
  rows?: number[][];
  /** the subgroup analysis (params.analyses) this model belongs to; outputs go under analyses/<name>/ */
  analysis?: string;
}

/** Output folder prefix of a model: '' for the main analysis, 'analyses/<name>/' for a subgroup analysis. */
export function outputPrefix(m: { analysis?: string }): string {
  return m.analysis ? `analyses/${m.analysis}/` : '';
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

/**
 * A group name names output files and folders (maps/<A-B>_t.nii.gz, contrast names): it must
 * be one safe path component — no "/" or "\\", no control characters, not "." or "..", not
 * starting with a dot.
 */
export function unsafeGroupName(g: string): string | undefined {
  if (/[/\\]/.test(g)) return 'holds "/" or "\\"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(g)) return 'holds a control character';
  if (g.startsWith('.')) return 'starts with a dot';
  return undefined;
}

/** Decimal numbers only: "12", "-3.5", ".5", "1e3" (not "0x5f0", "0b1", "Infinity", "1_000", ""). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Largest covariate magnitude accepted: beyond it squares and cross-products lose the design (rescale the column). */
export const MAX_COVARIATE_MAGNITUDE = 1e12;

/** A cell parsed as a decimal number, or undefined when it is not one or not finite. */
export function decimalCell(v: string | undefined): number | undefined {
  const t = (v ?? '').trim();
  if (!DECIMAL.test(t)) return undefined;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
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
    const unsafe = unsafeGroupName(row.group);
    if (unsafe) throw new InvalidParticipants(`${where} (${id}): the group name ${unsafe}; group names name output files, so they must be one safe path component`, source);
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
  model = 'the model',
): { names: string[]; cols: number[][] } {
  const names: string[] = [];
  const cols: number[][] = [];
  for (const [ci, cov] of covs.entries()) {
    const raw = subjects.map((s) => participants[s]!.row[cov.name]);
    if (raw.some((v) => v === undefined)) {
      throw new InvalidParticipants(`covariate "${cov.name}" is not a column of ${source}`, `params.covariates`);
    }
    const rowOf = (k: number) => {
      const p = participants[subjects[k]!]!;
      return `${source} row ${participants.indexOf(p) + 1} (${p.id})`;
    };
    if (cov.type === 'continuous') {
      // the cell's text is not quoted back: it is the table's contents
      const vals = raw.map((v, k) => {
        const x = decimalCell(v);
        if (x === undefined) {
          throw new InvalidParticipants(`${rowOf(k)}: covariate column "${cov.name}" is empty, not a decimal number (e.g. hexadecimal or text) or not finite`, source);
        }
        if (Math.abs(x) > MAX_COVARIATE_MAGNITUDE) {
          throw new InvalidParticipants(`${rowOf(k)}: covariate column "${cov.name}" holds a value of magnitude above ${MAX_COVARIATE_MAGNITUDE} (an absurd scale for a covariate; rescale the column, e.g. to other units)`, source);
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
      if (levels.length < 2) {
        throw new InvalidParticipants(
          `categorical covariate "${cov.name}" has only one level among the ${subjects.length} subjects of ${model}; it would be dropped from the design (remove it from params.covariates or give it a second level)`,
          `params.covariates[${ci}]`,
        );
      }
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
  const { names, cols } = covariateColumns(participants, subjects, covs, source, `contrast "${name}"`);
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

type FilterValue = string | number | (string | number)[];

/** Whether a participant's row passes a filter (column → value or list of values; all must hold). */
export function passesFilter(row: Record<string, string>, filter: Record<string, FilterValue>): boolean {
  return Object.entries(filter).every(([col, want]) => {
    const cell = (row[col] ?? '').trim();
    const list = Array.isArray(want) ? want : [want];
    return list.some((w) => (typeof w === 'number' ? decimalCell(cell) === w : cell === w.trim()));
  });
}

interface ModelSet {
  contrasts: GlmParams['contrasts'];
  fContrasts: FContrastParams[];
}

/**
 * Models of one analysis over the participants in `pool` (indices into participants).
 * `where` names the analysis in errors ('' for the main one).
 */
function modelsOf(
  participants: Participant[],
  pool: number[],
  groups: string[],
  set: ModelSet,
  params: GlmParams,
  source: string,
  field: string,
  analysis?: string,
): ModelSpec[] {
  const count = (g: string) => pool.filter((i) => participants[i]!.group === g).length;
  const where = analysis ? `analysis "${analysis}": ` : '';
  const needTwo = (g: string, f: string) => {
    const c = count(g);
    if (c >= 2) return;
    if (analysis) throw new TooFewSubjects(`${where}group "${g}" has ${c} subject(s) after the filter; a group needs at least 2`, `${field}.filter`);
    throw new InvalidParticipants(`group "${g}" has ${c} subject(s); a group needs at least 2`, f);
  };
  const covs = covariateSpecs(params);
  const poolGroups = groups.filter((g) => count(g) > 0);
  const tModels = set.contrasts.map((c, ci): ModelSpec => {
    const f = `${field}.contrasts[${ci}]`;
    if (typeof c === 'string') {
      const [a, b] = c.split('-') as [string, string];
      for (const g of [a, b]) {
        if (!groups.includes(g)) throw new InvalidJobSpec(`${where}contrast "${c}" names group "${g}"; groups are ${groups.join(', ')}`, f);
        needTwo(g, f);
      }
      if (a === b) throw new InvalidJobSpec(`${where}contrast "${c}" compares a group with itself`, f);
      const useGroups = params.model === 'pairwise' ? [a, b] : poolGroups;
      const subjects = params.model === 'pairwise' ? pool.filter((i) => participants[i]!.group === a || participants[i]!.group === b) : pool;
      return { ...buildModel(c, participants, useGroups, subjects, covs, (cols) => cols.map((n) => (n === a ? 1 : n === b ? -1 : 0)), source), ...(analysis ? { analysis } : {}) };
    }
    const model = buildModel(c.name, participants, poolGroups, pool, covs, (cols) => {
      if (c.vector.length !== cols.length) {
        throw new InvalidJobSpec(
          `${where}contrast "${c.name}" has ${c.vector.length} weights but the pooled design has ${cols.length} columns (${cols.join(', ')})`,
          f,
        );
      }
      return c.vector;
    }, source);
    if (model.contrast.every((w) => w === 0)) throw new InvalidJobSpec(`${where}contrast "${c.name}" is all zeros`, f);
    return { ...model, ...(analysis ? { analysis } : {}) };
  });
  const fModels = set.fContrasts.map((c, ci): ModelSpec => {
    const f = `${field}.fContrasts[${ci}]`;
    let rows: number[][];
    let model: ModelSpec;
    if ('groups' in c) {
      for (const g of c.groups) {
        if (!groups.includes(g)) throw new InvalidJobSpec(`${where}F-contrast "${c.name}" names group "${g}"; groups are ${groups.join(', ')}`, f);
        needTwo(g, f);
      }
      if (new Set(c.groups).size !== c.groups.length) throw new InvalidJobSpec(`${where}F-contrast "${c.name}" lists a group twice`, f);
      const useGroups = groups.filter((g) => c.groups.includes(g));
      const subjects = pool.filter((i) => useGroups.includes(participants[i]!.group));
      model = buildModel(c.name, participants, useGroups, subjects, covs, (cols) => cols.map(() => 0), source);
      rows = useGroups.slice(0, -1).map((g, k) => model.columns.map((col) => (col === g ? 1 : col === useGroups[k + 1] ? -1 : 0)));
    } else {
      model = buildModel(c.name, participants, poolGroups, pool, covs, (cols) => cols.map(() => 0), source);
      for (const [ri, r] of c.rows.entries()) {
        if (r.length !== model.columns.length) {
          throw new InvalidJobSpec(
            `${where}F-contrast "${c.name}" row ${ri + 1} has ${r.length} weights but the pooled design has ${model.columns.length} columns (${model.columns.join(', ')})`,
            `${f}.rows[${ri}]`,
          );
        }
      }
      rows = c.rows;
    }
    return { ...model, contrast: rows.find((r) => r.some((w) => w !== 0)) ?? rows[0]!, kind: 'F', rows, ...(analysis ? { analysis } : {}) };
  });
  const models = [...tModels, ...fModels];
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.name)) throw new InvalidJobSpec(`${where}two contrasts are named "${m.name}"`, field ? `${field}.contrasts` : 'params.contrasts');
    names.add(m.name);
  }
  return models;
}

/**
 * Design of every contrast. Groups are coded as cell means (one indicator column per
 * group, no constant), covariates follow in the order given. For a group difference
 * this gives the same t and DOF as DPABI's [label, 1, covariates] coding.
 * Subgroup analyses (params.analyses) add models over the participants their filter keeps
 * (plus their reference groups, kept whole).
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
  const all = participants.map((_, i) => i);
  const models = modelsOf(participants, all, groups, { contrasts: params.contrasts, fContrasts: params.fContrasts }, params, source, 'params');
  const analysisNames = new Set<string>();
  params.analyses.forEach((a: AnalysisParams, ai) => {
    const field = `params.analyses[${ai}]`;
    if (analysisNames.has(a.name)) throw new InvalidJobSpec(`two analyses are named "${a.name}"`, `${field}.name`);
    analysisNames.add(a.name);
    if (a.contrasts.length + a.fContrasts.length === 0) throw new InvalidJobSpec(`analysis "${a.name}" has no contrast`, `${field}.contrasts`);
    for (const col of Object.keys(a.filter)) {
      if (!participants.some((p) => col in p.row)) throw new InvalidJobSpec(`analysis "${a.name}" filters on "${col}", which is not a column of ${source}`, `${field}.filter`);
    }
    const keep = a.referenceGroups ?? [];
    for (const g of keep) if (!groups.includes(g)) throw new InvalidJobSpec(`analysis "${a.name}" keeps group "${g}"; groups are ${groups.join(', ')}`, `${field}.referenceGroups`);
    const pool = all.filter((i) => keep.includes(participants[i]!.group) || passesFilter(participants[i]!.row, a.filter));
    models.push(...modelsOf(participants, pool, groups, a, params, source, field, a.name));
  });
  if (models.length === 0) throw new InvalidJobSpec('no contrast: give params.contrasts, params.fContrasts or params.analyses', 'params.contrasts');
  return { groups, participants, models };
}
