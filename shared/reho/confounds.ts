import { InvalidParticipants } from '../errors.ts';

/** Motion (T × 6, mm and radians) plus optional WM and CSF mean signals of one run. */
export interface Confounds {
  T: number;
  rp: Float64Array;
  wm?: Float64Array;
  csf?: Float64Array;
  format: 'fmriprep' | 'spm';
}

const FMRIPREP_MOTION = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'];

function numericRows(text: string, source: string, minCols: number): number[][] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines.map((l, i) => {
    const f = l.split(/[\s,]+/).map(Number);
    if (f.length < minCols || f.some((x) => !Number.isFinite(x))) {
      throw new InvalidParticipants(`${source} line ${i + 1}: expected at least ${minCols} numbers, got "${l.slice(0, 80)}"`, source);
    }
    return f;
  });
}

/** SPM rp_*.txt (or any whitespace/comma separated numbers, first 6 columns = x, y, z mm, pitch, roll, yaw rad). */
export function parseMotionText(text: string, source: string): { T: number; rp: Float64Array } {
  const rows = numericRows(text, source, 6);
  if (rows.length === 0) throw new InvalidParticipants(`${source} holds no motion parameters`, source);
  const rp = new Float64Array(rows.length * 6);
  rows.forEach((r, t) => {
    for (let c = 0; c < 6; c++) rp[t * 6 + c] = r[c]!;
  });
  return { T: rows.length, rp };
}

/** Two numeric columns (WM, CSF mean signal), one row per volume. */
export function parseWmCsfText(text: string, source: string): { wm: Float64Array; csf: Float64Array } {
  const rows = numericRows(text, source, 2);
  return { wm: Float64Array.from(rows, (r) => r[0]!), csf: Float64Array.from(rows, (r) => r[1]!) };
}

/**
 * Read a confounds file: an fMRIPrep confounds TSV (header with trans_x … rot_z and, when
 * present, white_matter and csf; "n/a" only allowed outside those columns) or an SPM-style
 * 6-column motion file. An optional separate WM/CSF text (2 columns) overrides the TSV columns.
 */
export function parseConfounds(text: string, source: string, wmCsf?: { text: string; source: string }): Confounds {
  const first = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).find((l) => l.trim() !== '') ?? '';
  let out: Confounds;
  if (/[A-Za-z_]/.test(first.replace(/e[+-]?\d/gi, ''))) {
    const delim = first.includes('\t') ? '\t' : ',';
    const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
    const cols = lines[0]!.split(delim).map((c) => c.trim());
    const idx = (name: string) => cols.indexOf(name);
    for (const c of FMRIPREP_MOTION) {
      if (idx(c) < 0) throw new InvalidParticipants(`${source}: confounds table has no column "${c}" (columns: ${cols.slice(0, 12).join(', ')}${cols.length > 12 ? ', …' : ''})`, source);
    }
    const T = lines.length - 1;
    const rp = new Float64Array(T * 6);
    const wmI = idx('white_matter');
    const csfI = idx('csf');
    const wm = wmI >= 0 ? new Float64Array(T) : undefined;
    const csf = csfI >= 0 ? new Float64Array(T) : undefined;
    const num = (f: string[], i: number, line: number, name: string) => {
      const x = Number(f[i]);
      if (f[i] === undefined || f[i]!.trim() === '' || !Number.isFinite(x)) {
        throw new InvalidParticipants(`${source} line ${line}: column ${name} is "${f[i] ?? ''}", not a number`, source);
      }
      return x;
    };
    for (let t = 0; t < T; t++) {
      const f = lines[t + 1]!.split(delim).map((s) => s.trim());
      FMRIPREP_MOTION.forEach((c, k) => (rp[t * 6 + k] = num(f, idx(c), t + 2, c)));
      if (wm) wm[t] = num(f, wmI, t + 2, 'white_matter');
      if (csf) csf[t] = num(f, csfI, t + 2, 'csf');
    }
    out = { T, rp, wm, csf, format: 'fmriprep' };
  } else {
    const m = parseMotionText(text, source);
    out = { ...m, format: 'spm' };
  }
  if (wmCsf) {
    const s = parseWmCsfText(wmCsf.text, wmCsf.source);
    if (s.wm.length !== out.T) {
      throw new InvalidParticipants(`${wmCsf.source} has ${s.wm.length} rows but ${source} has ${out.T}`, wmCsf.source);
    }
    out.wm = s.wm;
    out.csf = s.csf;
  }
  return out;
}
