/**
 * The cohort parts of a glm job (issue 15): Table 1 from the participants table, the
 * DPABI/xjView cluster × region table and each subject's cluster means, the bundled atlas
 * used when the user gives none, and per-patient deviation maps. The kernels live in
 * shared/stats and shared/volume; this module only chooses their inputs from the job.
 */
import { InvalidJobSpec } from '../../errors.ts';
import type { Table } from '../../jobs/table.ts';
import { demographics, type DemographicsResult } from '../../stats/demographics.ts';
import { TooFewSubjects } from '../../stats/cohort-errors.ts';
import { fContrastModel } from '../../stats/fcontrast.ts';
import { bundledAtlasFor, BUNDLED_GRIDS, type NearestResampler } from '../../volume/atlas-bundle.ts';
import { resampleNearest } from '../../volume/resample.ts';
import type { LabelTable } from '../../volume/atlas-labels.ts';
import { decimalCell, passesFilter, type ModelSpec, type Participant } from './design.ts';
import type { DeviationParams, GlmParams } from './params.ts';

/** Table 1 of the participants in `rows` (null when they form fewer than 2 groups: nothing to compare). */
export function demographicsOf(table: Table, params: GlmParams, mapColumn: string, source: string, groups?: string[]): DemographicsResult | null {
  const present = [...new Set(table.rows.map((r) => r.group ?? ''))].filter((g) => g !== '');
  const use = (groups ?? params.groups ?? present.sort()).filter((g) => present.includes(g));
  if (use.length < 2) return null;
  const d = params.demographics;
  const variables =
    d.variables ??
    // the module's default (every column but the group, participant_id and identifier-like text), minus the map column
    table.columns.filter((c) => c !== 'group' && c !== 'participant_id' && c !== mapColumn && !isIdentifierLike(table, c));
  return demographics(
    table,
    { group: 'group', groups: use, variables, categorical: d.categorical, mannWhitney: d.mannWhitney, kruskal: d.kruskal, fisher: d.fisher },
    source,
  );
}

function isIdentifierLike(table: Table, col: string): boolean {
  const vals = table.rows.map((r) => (r[col] ?? '').trim()).filter((v) => v !== '');
  return vals.length > 1 && vals.every((v) => !Number.isFinite(Number(v))) && new Set(vals).size === vals.length;
}

/** The participants table restricted to some participants (by index), for a subgroup's Table 1. */
export function tableOf(participants: Participant[], columns: string[], subjects: number[]): Table {
  return { columns, rows: subjects.map((i) => participants[i]!.row) } as Table;
}

/** Check every F-contrast is estimable (NonEstimableContrast naming the contrast otherwise). */
export function checkFModels(models: ModelSpec[]): void {
  for (const m of models) {
    if (m.kind !== 'F') continue;
    const where = m.analysis ? `analysis ${m.analysis}, F-contrast ${m.name}` : `params.fContrasts (${m.name})`;
    fContrastModel(Float64Array.from(m.X), m.n, m.p, m.rows!.map((r) => Float64Array.from(r)), where);
  }
}

/** Subjects of a deviation analysis: reference indices and, per patient group, its indices (after the filter). */
export function deviationSubjects(participants: Participant[], dev: DeviationParams): { reference: number[]; patients: { group: string; subjects: number[] }[] } {
  const idx = participants.map((_, i) => i);
  const reference = idx.filter((i) => participants[i]!.group === dev.reference);
  if (reference.length < 3) {
    throw new TooFewSubjects(`the reference group "${dev.reference}" has ${reference.length} subject(s); deviation maps need at least 3`, 'params.deviation.reference');
  }
  const patients = dev.patients.map((g, gi) => {
    if (g === dev.reference) throw new InvalidJobSpec(`params.deviation.patients names the reference group "${g}"`, `params.deviation.patients[${gi}]`);
    const subjects = idx.filter((i) => participants[i]!.group === g && (!dev.filter || passesFilter(participants[i]!.row, dev.filter)));
    if (subjects.length === 0) throw new TooFewSubjects(`patient group "${g}" has no subject${dev.filter ? ' after params.deviation.filter' : ''}`, `params.deviation.patients[${gi}]`);
    return { group: g, subjects };
  });
  if (dev.patients.length > 2) throw new InvalidJobSpec('params.deviation.patients: at most two patient groups (the two are compared)', 'params.deviation.patients');
  if (patients.length === 2 && patients.some((p) => p.subjects.length < 2)) {
    const p = patients.find((q) => q.subjects.length < 2)!;
    throw new TooFewSubjects(`comparing deviation maps needs at least 2 patients per group; "${p.group}" has ${p.subjects.length}`, 'params.deviation.patients');
  }
  return { reference, patients };
}

/** Covariate matrix (rows = subjects, row-major, one column per covariate) for the deviation model. */
export function deviationCovariates(participants: Participant[], subjects: number[], names: string[], source: string): Float64Array | undefined {
  if (names.length === 0) return undefined;
  const out = new Float64Array(subjects.length * names.length);
  subjects.forEach((s, i) =>
    names.forEach((c, j) => {
      const x = decimalCell(participants[s]!.row[c]);
      if (x === undefined) {
        // the cell's text is not quoted back: it is the table's contents
        throw new InvalidJobSpec(`${source} row ${s + 1} (${participants[s]!.id}): column "${c}" is empty, not a decimal number or not finite (params.deviation.covariates)`, 'params.deviation.covariates');
      }
      out[i * names.length + j] = x;
    }),
  );
  return out;
}

export interface RegionAtlas {
  labels: ArrayLike<number>;
  table: LabelTable;
  /** how it is described in the methods text and result.json */
  source: string;
  /** true when the atlas was resampled onto the data grid by nearest neighbour */
  resampled: boolean;
}

/** The grid of an image: spatial dims and the row-major voxel → mm affine. */
export interface ImageGrid {
  dims: readonly number[];
  affine: ArrayLike<number>;
}

export interface RegionAtlasOptions {
  /**
   * The data declare MNI-152 space (sform or qform code 4): the default bundled atlas is then
   * resampled onto any grid; without it the default applies on the bundled grids only.
   */
  mni?: boolean;
  /** nearest-neighbour resampler (default shared/volume/resample.ts's resampleNearest) */
  resample?: NearestResampler;
}

/** True when a header declares MNI-152 space in its sform or qform (NIfTI xform code 4). */
export function declaresMni(h: { sformCode: number; qformCode: number }): boolean {
  return h.sformCode === 4 || h.qformCode === 4;
}

/** resampleNearest as a NearestResampler whose NoGridOverlap names `input`. */
function nearestFor(input: string): NearestResampler {
  return (data, source, target) =>
    resampleNearest(data, { dims: source.dims, affine: Float64Array.from(source.affine) }, { dims: target.dims, affine: Float64Array.from(target.affine) }, { input }).data;
}

const onGrid = (a: ImageGrid, dims: readonly number[], affine: ArrayLike<number>) =>
  [0, 1, 2].every((i) => a.dims[i] === dims[i]) && Array.from({ length: 16 }, (_, i) => i).every((i) => Math.abs(a.affine[i]! - affine[i]!) <= 1e-3);

/**
 * The atlas of the region tables: the user's (inputs.atlas) when given, else the bundled one
 * (params.atlas, default aal). Any atlas not on the data grid is resampled onto it by nearest
 * neighbour through the two affines (both images in one millimetre space, e.g. MNI); when no
 * data voxel falls inside the atlas the spaces cannot be aligned and NoGridOverlap names the
 * atlas field. The default (params.atlas not set) is applied off the bundled grids only when
 * the data declare MNI space (`opts.mni`); otherwise no atlas is used (null, stated in the result).
 */
export function regionAtlas(
  params: GlmParams,
  dims: readonly number[],
  affine: ArrayLike<number>,
  user?: { labels: ArrayLike<number>; table?: LabelTable; grid?: ImageGrid },
  opts: RegionAtlasOptions = {},
): RegionAtlas | null {
  const target = { dims: [dims[0]!, dims[1]!, dims[2]!], affine: Float64Array.from(affine) };
  if (user) {
    const table = user.table ?? new Map();
    if (!user.grid || onGrid(user.grid, dims, affine)) return { labels: user.labels, table, source: 'inputs.atlas', resampled: false };
    const resample = opts.resample ?? nearestFor('inputs.atlas');
    const data = resample(user.labels, { dims: user.grid.dims, affine: Float64Array.from(user.grid.affine) }, target);
    const labels = Int32Array.from(data, (x) => Math.round(x));
    return { labels, table, source: 'inputs.atlas, resampled to the data grid by nearest neighbour', resampled: true };
  }
  const name = params.atlas ?? 'aal';
  if (name === 'none') return null;
  const bundled = Object.values(BUNDLED_GRIDS).some((g) => onGrid(g, dims, affine));
  if (!bundled && params.atlas === undefined && !opts.mni) return null;
  const a = bundledAtlasFor(name, dims, target.affine, 'params.atlas', opts.resample ?? nearestFor('params.atlas'));
  return { labels: a.labels, table: a.table, source: a.citation, resampled: !bundled };
}
