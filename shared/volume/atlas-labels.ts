/**
 * Atlas label tables: integer label value → region name.
 *
 * Formats recognised by {@link parseLabelTable} (auto-detected from the first
 * non-blank, non-'#' line; every later line must fit the same format):
 * - delimited (',' or tab) with a header naming an index-like column
 *   (index, idx, id, label id, roi, label, value, number, code …, whose values
 *   are all integers) and a name-like column (name, label name, roi name,
 *   region, structure, label, roi, abbrev, description …); quoted CSV fields are
 *   honoured. E.g. `index,name`, `label,name`, `ROI,Label`, AAL116_labels.csv,
 *   BN_Atlas_246_labels.csv.
 * - FieldTrip's AAL `ROI_MNI_V4.txt`: `short <tab> long <tab> code`
 *   (e.g. `FAG	Precentral_L	2001`). The key is the gray-level code (2001…),
 *   which matches the SPM8 code volume, not the 1…116 index volumes.
 * - index first, headerless: `index name [numbers…]` — FreeSurfer-style LUT
 *   `index name R G B A` (BN_Atlas_246_LUT.txt), MRIcron `index name code`,
 *   plain `index name` (whitespace, tab or comma separated). With whitespace
 *   separation the trailing numeric fields are dropped and the remaining
 *   words form the name.
 *
 * Label 0 is background and is not stored. Duplicate labels are refused.
 */
import { InvalidParameter } from '../errors.ts';

export type LabelTable = Map<number, string>;

const INDEX_COLUMNS = [
  'index', 'idx', 'id', 'labelid', 'labelindex', 'labelvalue', 'labelnumber', 'roiid', 'roiindex',
  'roinumber', 'roi', 'label', 'value', 'number', 'num', 'no', 'intensity', 'code',
];
const NAME_COLUMNS = [
  'name', 'labelname', 'roiname', 'regionname', 'region', 'structure', 'structurename', 'label',
  'roi', 'abbreviation', 'abbrev', 'description',
];

type Split = 'csv' | 'tab' | 'ws';

function isIntegerToken(s: string): boolean {
  return /^[+-]?\d+(\.0*)?$/.test(s);
}
function isNumericToken(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

/** Split one CSV line, honouring double quotes ("" inside quotes = a quote). */
function splitCsv(line: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQ) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQ = false;
      } else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      inQ = true;
      cur = '';
    } else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (inQ) return null; // unterminated quote
  out.push(cur.trim());
  return out;
}

function splitLine(line: string, mode: Split): string[] | null {
  if (mode === 'csv') return splitCsv(line);
  if (mode === 'tab') return line.split('\t').map((s) => s.trim());
  return line.trim().split(/\s+/);
}

function normHeader(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Parse a label table; `source` (a file name or key) is used in error messages and as the error input. */
export function parseLabelTable(text: string, source: string): LabelTable {
  const rawLines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const lines: Array<{ no: number; text: string }> = [];
  rawLines.forEach((t, k) => {
    const s = t.trim();
    if (s !== '' && !s.startsWith('#')) lines.push({ no: k + 1, text: t });
  });
  const fail = (no: number, why: string): never => {
    throw new InvalidParameter(`${source} line ${no}: ${why}`, source);
  };
  if (lines.length === 0) throw new InvalidParameter(`${source}: label table is empty`, source);

  const first = lines[0];
  const mode: Split = first.text.includes(',') ? 'csv' : first.text.includes('\t') ? 'tab' : 'ws';
  const split = (l: { no: number; text: string }): string[] => {
    const f = splitLine(l.text, mode);
    if (!f) return fail(l.no, 'unterminated quoted field');
    return f;
  };
  const f0 = split(first);

  const table: LabelTable = new Map();
  const add = (no: number, key: number, name: string): void => {
    if (name === '') fail(no, `label ${key} has an empty name`);
    if (key === 0) return; // background
    if (table.has(key)) fail(no, `label ${key} appears twice`);
    table.set(key, name);
  };

  if (isIntegerToken(f0[0] ?? '')) {
    // Headerless, index first.
    for (const l of lines) {
      const f = split(l);
      if (f.length < 2 || !isIntegerToken(f[0])) {
        fail(l.no, `expected "index name …", got ${JSON.stringify(l.text.trim())}`);
      }
      let name: string;
      if (mode === 'ws') {
        let end = f.length;
        while (end > 2 && isNumericToken(f[end - 1])) end--;
        name = f.slice(1, end).join(' ');
      } else {
        name = f[1];
      }
      if (isNumericToken(name)) fail(l.no, `expected a region name, got ${JSON.stringify(name)}`);
      add(l.no, Math.round(Number(f[0])), name);
    }
  } else if (
    f0.length === 3 &&
    !isNumericToken(f0[0]) &&
    !isNumericToken(f0[1]) &&
    isIntegerToken(f0[2])
  ) {
    // AAL ROI_MNI_V4.txt: short name, long name, code.
    for (const l of lines) {
      const f = split(l);
      if (f.length !== 3 || isNumericToken(f[1]) || !isIntegerToken(f[2])) {
        fail(l.no, `expected "short<TAB>name<TAB>code", got ${JSON.stringify(l.text.trim())}`);
      }
      add(l.no, Math.round(Number(f[2])), f[1]);
    }
  } else {
    // Header row.
    if (mode === 'ws') {
      fail(first.no, `unrecognised label table format (expected a ',' or tab separated header, "index name …" or "short<TAB>name<TAB>code"), got ${JSON.stringify(first.text.trim())}`);
    }
    const header = f0.map(normHeader);
    const rows = lines.slice(1).map((l) => ({ no: l.no, f: split(l) }));
    if (rows.length === 0) fail(first.no, 'header without any label rows');
    for (const r of rows) {
      if (r.f.length !== header.length) {
        fail(r.no, `has ${r.f.length} fields; the header has ${header.length}`);
      }
    }
    let idxCol = -1;
    for (const cand of INDEX_COLUMNS) {
      const c = header.indexOf(cand);
      if (c >= 0 && rows.every((r) => isIntegerToken(r.f[c]))) {
        idxCol = c;
        break;
      }
    }
    if (idxCol < 0) {
      fail(first.no, `no index column with integer values in header ${JSON.stringify(f0.join(','))}`);
    }
    let nameCol = -1;
    for (const cand of NAME_COLUMNS) {
      const c = header.indexOf(cand);
      if (c >= 0 && c !== idxCol) {
        nameCol = c;
        break;
      }
    }
    if (nameCol < 0) fail(first.no, `no name column in header ${JSON.stringify(f0.join(','))}`);
    for (const r of rows) add(r.no, Math.round(Number(r.f[idxCol])), r.f[nameCol]);
  }
  if (table.size === 0) throw new InvalidParameter(`${source}: label table holds no non-zero labels`, source);
  return table;
}

/**
 * Region name at voxel `index` of an atlas volume. Float atlas values are
 * rounded to the nearest integer (atlases stored as float32, e.g. the
 * Brainnetome MPM). Returns '' for background (0), non-finite values and
 * labels missing from the table. Throws InvalidParameter for an index outside
 * the volume.
 */
export function labelAtVoxel(atlas: ArrayLike<number>, table: LabelTable, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= atlas.length) {
    throw new InvalidParameter(`voxel index ${index} outside the atlas (0..${atlas.length - 1})`);
  }
  const v = atlas[index];
  if (!Number.isFinite(v)) return '';
  const l = Math.round(v);
  if (l === 0) return '';
  return table.get(l) ?? '';
}
