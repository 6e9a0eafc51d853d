/**
 * Small synthetic inputs for the bad-input corpus: a tiny glm job (16 float32 maps of
 * 10×10×8, a participants table, job.json) and a tiny reho job (3 subjects, 6×6×5×24 float32
 * series with SPM-style motion parameters), each with hooks to break one piece.
 *
 *   const job = tinyGlm(dir, { spec: (j) => { j.params.groups = ['A', '../../HC']; } });
 *   const job = tinyReho(dir, { func: (s, d) => (s === 0 ? d.fill(NaN) : d) });
 *
 * Every builder writes into `dir` only and returns the job.json path. Data are drawn from
 * `test/helpers/rng.ts` with fixed seeds, so a case is the same every run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNifti } from '../../shared/nifti/index.ts';
import { rng } from './rng.ts';

type Json = Record<string, any>;

export const GLM_DIMS: [number, number, number] = [10, 10, 8];
export const GLM_AFFINE = Float64Array.from([-4, 0, 0, 18, 0, 4, 0, -18, 0, 0, 4, -14, 0, 0, 0, 1]);
export const GLM_VOXELS = 800;

/** Write a float32 NIfTI (gzip unless the name ends in .nii). */
export function writeMap(path: string, dims: number[], data: Float32Array, affine: Float64Array = GLM_AFFINE, opts: { tr?: number } = {}): void {
  const gzip = !path.endsWith('.nii');
  writeFileSync(path, writeNifti({ dims, affine, data, ...(opts.tr ? { tr: opts.tr } : {}) }, { datatype: 'float32', gzip }));
}

/** A 3-D mask on the glm grid: 1 inside, 0 on the outer shell. */
export function glmMask(): Float32Array {
  const [nx, ny, nz] = GLM_DIMS;
  const m = new Float32Array(GLM_VOXELS);
  for (let k = 1; k < nz - 1; k++) for (let j = 1; j < ny - 1; j++) for (let i = 1; i < nx - 1; i++) m[i + nx * (j + ny * k)] = 1;
  return m;
}

export interface TinyGlmOptions {
  /** subjects (default 16, groups A and B alternating) */
  n?: number;
  /** edit the job spec before it is written */
  spec?: (job: Json) => void;
  /** edit the table rows (header first) before they are written */
  rows?: (rows: string[][]) => void;
  /** replace the table text altogether */
  table?: string;
  /** change subject s's data (return a new array or edit in place) */
  map?: (s: number, data: Float32Array) => Float32Array | void;
  /** extra files: called after everything else is written */
  extra?: (dir: string) => void;
}

/**
 * A glm job: participants.tsv with participant_id, group (A/B), age, tiv, sex, site and map
 * columns; maps/s<k>.nii.gz; contrast A-B with the age covariate.
 */
export function tinyGlm(dir: string, opts: TinyGlmOptions = {}): string {
  mkdirSync(join(dir, 'maps'), { recursive: true });
  const n = opts.n ?? 16;
  const r = rng(11);
  const rows: string[][] = [['participant_id', 'group', 'age', 'tiv', 'sex', 'site', 'map']];
  for (let s = 0; s < n; s++) {
    let data: Float32Array = Float32Array.from({ length: GLM_VOXELS }, () => 0.5 + 0.05 * r.z());
    data = (opts.map?.(s, data) as Float32Array | undefined) ?? data;
    writeMap(join(dir, `maps/s${s}.nii.gz`), GLM_DIMS, data);
    rows.push([`s${s}`, s % 2 ? 'A' : 'B', String(20 + s), String(1400 + 10 * ((s * 7) % 11)), s % 3 ? 'F' : 'M', s % 4 < 2 ? 'x' : 'y', `maps/s${s}.nii.gz`]);
  }
  opts.rows?.(rows);
  writeFileSync(join(dir, 'participants.tsv'), opts.table ?? rows.map((row) => row.join('\t')).join('\n') + '\n');
  const spec: Json = {
    jobId: 'tiny-glm',
    pipeline: 'glm',
    inputs: { participants: 'participants.tsv', mapColumn: 'map' },
    params: { contrasts: ['A-B'], covariates: ['age'], smoothFwhmMm: 0 },
  };
  opts.spec?.(spec);
  writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
  opts.extra?.(dir);
  return join(dir, 'job.json');
}

export const REHO_DIMS: [number, number, number] = [6, 6, 5];
export const REHO_VOLUMES = 24;
export const REHO_AFFINE = Float64Array.from([3, 0, 0, -9, 0, 3, 0, -9, 0, 0, 3, -6, 0, 0, 0, 1]);
const REHO_VOXELS = REHO_DIMS[0] * REHO_DIMS[1] * REHO_DIMS[2];

/** One subject's series: a shared slow signal per voxel neighbourhood plus noise (voxel fastest, volumes back to back). */
function rehoSeries(seed: number, T = REHO_VOLUMES): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(REHO_VOXELS * T);
  const [nx, ny] = REHO_DIMS;
  for (let t = 0; t < T; t++) {
    const slow = [Math.sin(t / 3), Math.cos(t / 4)];
    for (let v = 0; v < REHO_VOXELS; v++) {
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      out[t * REHO_VOXELS + v] = 100 + 5 * slow[(i + j) % 2]! + r.z();
    }
  }
  return out;
}

/** SPM-style motion parameters (3 translations in mm, 3 rotations in rad), one line per volume; `shiftMm` moves x by that much halfway through. */
export function motionText(seed: number, T = REHO_VOLUMES, shiftMm = 0): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let t = 0; t < T; t++) {
    const v = [0.01 * r.z(), 0.01 * r.z(), 0.01 * r.z(), 1e-4 * r.z(), 1e-4 * r.z(), 1e-4 * r.z()];
    if (t >= T / 2) v[0]! += shiftMm;
    lines.push(v.map((x) => x.toFixed(6)).join('  '));
  }
  return lines.join('\n') + '\n';
}

/** A 3-D brain mask on the reho grid: 1 inside, 0 on the outer shell in x and y. */
export function rehoMask(): Float32Array {
  const [nx, ny, nz] = REHO_DIMS;
  const m = new Float32Array(REHO_VOXELS);
  for (let k = 0; k < nz; k++) for (let j = 1; j < ny - 1; j++) for (let i = 1; i < nx - 1; i++) m[i + nx * (j + ny * k)] = 1;
  return m;
}

export interface TinyRehoOptions {
  /** subjects (default 3); groups A/B alternate */
  n?: number;
  /** volumes per series (default 24) */
  volumes?: number;
  /** repetition time written in each header (default 2 s) */
  tr?: number;
  /** write func files as uncompressed .nii (read by ranged reads) instead of .nii.gz */
  raw?: boolean;
  /** edit the job spec before it is written */
  spec?: (job: Json) => void;
  /** edit the table rows (header first) */
  rows?: (rows: string[][]) => void;
  /** change subject s's series (return a new array or edit in place) */
  func?: (s: number, data: Float32Array) => Float32Array | void;
  /** motion-parameter text of subject s (default: small random motion) */
  motion?: (s: number) => string;
  /** the brain mask's data (default rehoMask()); null: no inputs.mask */
  mask?: Float32Array | null;
  /** extra files: called after everything else is written */
  extra?: (dir: string) => void;
}

/**
 * A reho job: func/sub-<k>.nii.gz (6×6×5×24, TR 2 s), motion/sub-<k>.txt, mask.nii.gz and
 * participants.tsv (participant_id, group, age, func, confounds). Preprocessing: drop 2
 * volumes, band-pass 0.01–0.08 Hz, motion QC; no nuisance regression (no WM/CSF signals).
 */
export function tinyReho(dir: string, opts: TinyRehoOptions = {}): string {
  mkdirSync(join(dir, 'func'), { recursive: true });
  mkdirSync(join(dir, 'motion'), { recursive: true });
  const n = opts.n ?? 3;
  const T = opts.volumes ?? REHO_VOLUMES;
  const ext = opts.raw ? 'nii' : 'nii.gz';
  const rows: string[][] = [['participant_id', 'group', 'age', 'func', 'confounds']];
  for (let s = 0; s < n; s++) {
    let data: Float32Array = rehoSeries(100 + s, T);
    data = (opts.func?.(s, data) as Float32Array | undefined) ?? data;
    writeMap(join(dir, `func/sub-${s}.${ext}`), [...REHO_DIMS, T], data, REHO_AFFINE, { tr: opts.tr ?? 2 });
    writeFileSync(join(dir, `motion/sub-${s}.txt`), opts.motion?.(s) ?? motionText(200 + s, T));
    rows.push([`sub-${s}`, s % 2 ? 'A' : 'B', String(30 + s), `func/sub-${s}.${ext}`, `motion/sub-${s}.txt`]);
  }
  opts.rows?.(rows);
  writeFileSync(join(dir, 'participants.tsv'), rows.map((row) => row.join('\t')).join('\n') + '\n');
  const inputs: Json = { participants: 'participants.tsv' };
  if (opts.mask !== null) {
    writeMap(join(dir, 'mask.nii.gz'), REHO_DIMS, opts.mask ?? rehoMask(), REHO_AFFINE);
    inputs.mask = 'mask.nii.gz';
  }
  const spec: Json = {
    jobId: 'tiny-reho',
    pipeline: 'reho',
    inputs,
    params: { preprocess: { dropVolumes: true, nuisance: false, bandpass: true, exclusion: true }, dropVolumes: 2, smoothFwhmMm: 0 },
  };
  opts.spec?.(spec);
  writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
  opts.extra?.(dir);
  return join(dir, 'job.json');
}
