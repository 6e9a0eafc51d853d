/**
 * The plain description of a result that a report is built from. Every field is data (no
 * functions), so a reducer can assemble it from what it has in memory and
 * `describeResultFolder` from what a result folder holds.
 */

/**
 * What a map's values are; decides its colour map and default display threshold:
 * - `t`, `z`: signed statistics (warm positive, cool negative; threshold = the z/t used for inference)
 * - `p`: uncorrected p (shown as −log10 p, threshold p < 0.001)
 * - `oneMinusP`: 1 − p maps as FSL randomise / PALM write them (`_fwep`, `_uncp`, `_fdrp`; threshold 0.95)
 * - `logp`: −log10 p (threshold 1.3 = p 0.05)
 * - `ale`: ALE values (positive, threshold from the description, else the 95th percentile of non-zero values)
 * - `overlap`: signed fraction of studies (−1 … 1; threshold 0.5)
 * - `tfce`, `value`: positive values without a natural threshold (robust range of non-zero values)
 * - `reho`: ReHo / zReHo maps (signed, robust range)
 * - `cluster`: thresholded statistic (non-zero where a cluster survived)
 * - `mask`: 0/1 images
 */
export type MapKind = 't' | 'z' | 'p' | 'oneMinusP' | 'logp' | 'ale' | 'overlap' | 'tfce' | 'value' | 'reho' | 'cluster' | 'mask';

export interface ReportMap {
  /** unique within the report (letters, digits, _ - .) */
  id: string;
  label: string;
  kind: MapKind;
  /** the NIfTI bytes (.nii or .nii.gz) as written to the result folder */
  nifti: Uint8Array;
  /** path relative to the result folder, for the link */
  file?: string;
  /** display threshold on the map's own scale (|value| for signed kinds; p for `p`) */
  threshold?: number;
  /** text shown under the viewer when the map is selected */
  legend?: string;
  /** draw a static slice mosaic of it (the main maps; default false) */
  mosaic?: boolean;
  /** what the displayed numbers are, when the kind's default unit does not say it (e.g. "regional mean") */
  unit?: string;
  /** id of the report section (ReportDescription.sections) its mosaic is shown in; the main Maps otherwise */
  section?: string;
  /** where the mosaic's orthogonal slices cross (MNI mm); default the map's largest |value| */
  centreMm?: [number, number, number];
}

export type Cell = string | number | null | undefined;

export interface ReportTableRow {
  cells: Cell[];
  /** marked as surviving inference (bold, a ✓ column) */
  survives?: boolean;
  /** MNI mm of the row's peak: clicking the row moves the viewer's crosshair there */
  peakMm?: [number, number, number];
  /** id of the map to show when the row is clicked */
  map?: string;
}

export interface ReportTable {
  id: string;
  title: string;
  columns: string[];
  rows: ReportTableRow[];
  /** the file the table comes from, relative to the result folder */
  file?: string;
  note?: string;
  /** text of the survivors column (default "survives"); omitted when no row says */
  survivorLabel?: string;
  /** id of the report section (ReportDescription.sections) it is shown in; the main Tables otherwise */
  section?: string;
}

/** A titled part of the report (a subgroup analysis, the deviation maps) holding the mosaics and tables that name it. */
export interface ReportSection {
  id: string;
  title: string;
  note?: string;
}

export interface Marker {
  label: string;
  value: number;
}

/** A null distribution (permutation / Monte-Carlo maxima): histogram with the observed value and thresholds. */
export interface NullPlot {
  type: 'null';
  id: string;
  title: string;
  xLabel: string;
  /** the null values (any numeric array); when absent (only quantiles known) the markers are drawn on an axis alone */
  values?: ArrayLike<number>;
  observed?: Marker[];
  thresholds?: Marker[];
  note?: string;
}

/** Line traces over an index (framewise displacement per volume), excluded series drawn red. */
export interface TracePlot {
  type: 'traces';
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: { label: string; values: number[]; excluded?: boolean }[];
  thresholds?: Marker[];
  note?: string;
}

/** A design matrix as an image (rows subjects, columns regressors) with the contrasts below it. */
export interface MatrixPlot {
  type: 'matrix';
  id: string;
  title: string;
  columns: string[];
  values: number[][];
  rowLabels?: string[];
  contrasts?: { name: string; vector: number[] }[];
  note?: string;
}

/** Bar chart of counts (studies, foci, subjects, voxels). */
export interface BarPlot {
  type: 'bars';
  id: string;
  title: string;
  yLabel: string;
  bars: { label: string; value: number; highlight?: boolean }[];
  note?: string;
}

export type ReportPlot = NullPlot | TracePlot | MatrixPlot | BarPlot;

export interface ReportInput {
  name: string;
  /** the URI or path as the job gave it */
  uri: string;
  sha256?: string;
  bytes?: number;
  /** why there is no checksum (unreadable here, a folder, too many files) */
  note?: string;
}

export interface ReportParameter {
  name: string;
  value: unknown;
  /** true when the value is the documented default (the job did not set it) */
  isDefault?: boolean;
}

export interface StageCost {
  stage: string;
  shards?: number;
  billedSeconds?: number;
  usd?: number;
}

export interface ReportDescription {
  pipeline: string;
  jobId: string;
  title?: string;
  /** one-line findings, first is the headline */
  summary: string[];
  inputs: ReportInput[];
  parameters: ReportParameter[];
  seed?: number;
  version: string;
  /** when the report was made and how long the job ran (seconds), when known */
  generatedAt?: string;
  runSeconds?: number;
  cost?: { estimatedUsd?: number; actualUsd?: number; lambdaGbSeconds?: number; stages: StageCost[] };
  maps: ReportMap[];
  tables: ReportTable[];
  plots: ReportPlot[];
  /** sections after the main tables, in order (each with the mosaics and tables naming it) */
  sections?: ReportSection[];
  methods: string;
  warnings: string[];
  /** every output file, relative to the result folder (linked) */
  files?: string[];
  /** what the background template is, said under the images */
  templateNote?: string;
}
