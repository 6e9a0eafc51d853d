/**
 * Parsers for the Allen Human Brain Atlas microarray donor files (Hawrylycz et al. 2012)
 * and the tables the builder needs beside them. I/O-free: each takes the file's text.
 *
 * - `MicroarrayExpression.csv`, `PACall.csv`: no header; each row `probe_id, v_1 … v_S`
 *   with one column per sample in `SampleAnnot.csv` order.
 * - `Probes.csv`: header with `probe_id, probe_name, gene_symbol, entrez_id` (others ignored).
 * - `SampleAnnot.csv`: header with `structure_id, well_id, mni_x, mni_y, mni_z`.
 * - `Ontology.csv`: header with `id, hemisphere, structure_id_path`.
 * - atlas info: `id, label, hemisphere (L/R/B), structure` (abagen's format).
 * - corrected coordinates: `well_id, corrected_mni_x, corrected_mni_y, corrected_mni_z`
 *   (the non-linear "alleninf" MNI coordinates abagen uses by default).
 */
import { InvalidAhbaData } from './errors.ts';

/** Split CSV text into rows of fields (RFC 4180 quotes; CRLF or LF; blank lines dropped). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  const t = text.replace(/^\uFEFF/, '');
  if (!t.includes('"')) {
    for (const line of t.split(/\r?\n/)) if (line.trim() !== '') rows.push(line.split(','));
    return rows;
  }
  let row: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (q) {
      if (c === '"') {
        if (t[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cur);
      cur = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && t[i + 1] === '\n') i++;
      row.push(cur);
      cur = '';
      if (row.length > 1 || row[0]!.trim() !== '') rows.push(row);
      row = [];
    } else cur += c;
  }
  row.push(cur);
  if (row.length > 1 || row[0]!.trim() !== '') rows.push(row);
  return rows;
}

function headerIndex(header: string[], names: string[], source: string): number[] {
  const h = header.map((s) => s.trim().toLowerCase());
  return names.map((n) => {
    const i = h.indexOf(n);
    if (i < 0) throw new InvalidAhbaData(`${source}: no column "${n}"`, source);
    return i;
  });
}

function num(v: string | undefined, source: string, row: number, col: string): number {
  const x = Number((v ?? '').trim());
  if ((v ?? '').trim() === '' || !Number.isFinite(x)) throw new InvalidAhbaData(`${source} row ${row}: ${col} is not a number`, source);
  return x;
}

/** A probes × samples matrix keyed by probe id (rows in file order). */
export interface ProbeMatrix {
  probeIds: number[];
  nSamples: number;
  /** probes × samples, row-major */
  values: Float64Array;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parse the decimal number in text[start, end) exactly as `Number()` would: a fast path
 * for plain decimals whose digits fit in 2^53 with at most 22 fraction digits (one
 * correctly rounded division, Clinger 1990), `Number()` otherwise. NaN when not a number.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  let e = end;
  while (e > i && text.charCodeAt(e - 1) === 32) e--;
  if (i === e) return NaN;
  let neg = false;
  const c0 = text.charCodeAt(i);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  let j = i;
  for (; j < e; j++) {
    const c = text.charCodeAt(j);
    if (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) dot = true;
    else break;
  }
  if (j === e && digits > 0 && digits <= 15 && frac <= 22) {
    const v = frac > 0 ? mant / POW10[frac]! : mant;
    return neg ? -v : v;
  }
  const v = Number(text.slice(start, end).trim());
  return text.slice(start, end).trim() === '' ? NaN : v;
}

/** Parse `MicroarrayExpression.csv` or `PACall.csv` (no header), straight into a typed array. */
export function parseProbeMatrix(text: string, source: string): ProbeMatrix {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: number[] = [];
  for (let li = 0; li < lines.length; li++) if (lines[li]!.trim() !== '') rows.push(li);
  if (rows.length === 0) throw new InvalidAhbaData(`${source}: no rows`, source);
  const nSamples = lines[rows[0]!]!.split(',').length - 1;
  if (nSamples < 1) throw new InvalidAhbaData(`${source} row ${rows[0]! + 1}: no sample columns`, source);
  const probeIds: number[] = new Array(rows.length);
  const values = new Float64Array(rows.length * nSamples);
  rows.forEach((li, r) => {
    const line = lines[li]!;
    let pos = 0;
    let col = 0;
    const off = r * nSamples;
    while (pos <= line.length) {
      let next = line.indexOf(',', pos);
      if (next < 0) next = line.length;
      if (col <= nSamples) {
        const v = parseDecimal(line, pos, next);
        if (!Number.isFinite(v)) {
          throw new InvalidAhbaData(`${source} row ${li + 1}: ${col === 0 ? 'probe_id' : `column ${col + 1}`} is not a number`, source);
        }
        if (col === 0) probeIds[r] = v;
        else values[off + col - 1] = v;
      }
      col++;
      pos = next + 1;
    }
    if (col - 1 !== nSamples) {
      throw new InvalidAhbaData(`${source} row ${li + 1}: ${col - 1} sample columns, expected ${nSamples}`, source);
    }
  });
  return { probeIds, nSamples, values };
}

export interface ProbeInfo {
  probeId: number;
  probeName: string;
  geneSymbol: string;
  /** NaN when missing */
  entrezId: number;
}

/** Parse `Probes.csv`. */
export function parseProbes(text: string, source: string): ProbeInfo[] {
  const rows = parseCsvRows(text);
  if (rows.length < 2) throw new InvalidAhbaData(`${source}: no probes`, source);
  const [pi, pn, gs, ez] = headerIndex(rows[0]!, ['probe_id', 'probe_name', 'gene_symbol', 'entrez_id'], source);
  return rows.slice(1).map((r, i) => {
    const e = (r[ez!] ?? '').trim();
    return {
      probeId: num(r[pi!], source, i + 2, 'probe_id'),
      probeName: (r[pn!] ?? '').trim(),
      geneSymbol: (r[gs!] ?? '').trim(),
      entrezId: e === '' ? NaN : Number(e),
    };
  });
}

export interface SampleInfo {
  structureId: number;
  wellId: number;
  x: number;
  y: number;
  z: number;
}

/** Parse `SampleAnnot.csv`. */
export function parseSampleAnnot(text: string, source: string): SampleInfo[] {
  const rows = parseCsvRows(text);
  if (rows.length < 2) throw new InvalidAhbaData(`${source}: no samples`, source);
  const [si, wi, xi, yi, zi] = headerIndex(rows[0]!, ['structure_id', 'well_id', 'mni_x', 'mni_y', 'mni_z'], source);
  return rows.slice(1).map((r, i) => ({
    structureId: num(r[si!], source, i + 2, 'structure_id'),
    wellId: num(r[wi!], source, i + 2, 'well_id'),
    x: num(r[xi!], source, i + 2, 'mni_x'),
    y: num(r[yi!], source, i + 2, 'mni_y'),
    z: num(r[zi!], source, i + 2, 'mni_z'),
  }));
}

/** AHBA ontology structure ids that define abagen's broad structural classes. */
export const ONTOLOGY_CLASSES: ReadonlyMap<string, string> = new Map([
  ['4008', 'cortex'],
  ['4249', 'subcortex/brainstem'],
  ['4275', 'subcortex/brainstem'],
  ['4391', 'subcortex/brainstem'],
  ['4696', 'cerebellum'],
  ['9001', 'subcortex/brainstem'],
  ['9131', 'subcortex/brainstem'],
  ['9218', 'white matter'],
  ['9352', 'other'],
  ['9512', 'subcortex/brainstem'],
]);

/**
 * Broad structure of an ontology `structure_id_path` (e.g. "/4005/4006/4007/4008/…"):
 * the class of the deepest id of the path that is one of `ONTOLOGY_CLASSES` (abagen
 * `_get_struct`); undefined when none is.
 */
export function structureClass(path: string): string | undefined {
  const ids = path.split('/').filter((s) => s !== '');
  let found: string | undefined;
  for (const id of ids) {
    const c = ONTOLOGY_CLASSES.get(id);
    if (c !== undefined) found = c;
  }
  return found;
}

export interface OntologyEntry {
  /** "L", "R" or "B" (blank in the file = bilateral/midline) */
  hemisphere: 'L' | 'R' | 'B';
  structure: string | undefined;
}

/** Parse `Ontology.csv` into id → hemisphere and broad structure. */
export function parseOntology(text: string, source: string): Map<number, OntologyEntry> {
  const rows = parseCsvRows(text);
  if (rows.length < 2) throw new InvalidAhbaData(`${source}: no structures`, source);
  const [ii, hi, pi] = headerIndex(rows[0]!, ['id', 'hemisphere', 'structure_id_path'], source);
  const out = new Map<number, OntologyEntry>();
  rows.slice(1).forEach((r, i) => {
    const h = (r[hi!] ?? '').trim().toUpperCase();
    out.set(num(r[ii!], source, i + 2, 'id'), {
      hemisphere: h === 'L' || h === 'R' ? h : 'B',
      structure: structureClass(r[pi!] ?? ''),
    });
  });
  return out;
}

export interface AtlasInfoRow {
  id: number;
  label: string;
  hemisphere: 'L' | 'R' | 'B';
  structure: string;
}

/** Parse an atlas info table (`id,label,hemisphere,structure`). */
export function parseAtlasInfo(text: string, source: string): AtlasInfoRow[] {
  const rows = parseCsvRows(text);
  if (rows.length < 2) throw new InvalidAhbaData(`${source}: no regions`, source);
  const [ii, li, hi, si] = headerIndex(rows[0]!, ['id', 'label', 'hemisphere', 'structure'], source);
  return rows.slice(1).map((r, i) => {
    const h = (r[hi!] ?? '').trim().toUpperCase();
    if (h !== 'L' && h !== 'R' && h !== 'B') throw new InvalidAhbaData(`${source} row ${i + 2}: hemisphere must be L, R or B`, source);
    return { id: num(r[ii!], source, i + 2, 'id'), label: (r[li!] ?? '').trim(), hemisphere: h, structure: (r[si!] ?? '').trim() };
  });
}

/** Parse the corrected MNI coordinate table into well_id → [x, y, z]. */
export function parseCorrectedCoordinates(text: string, source: string): Map<number, [number, number, number]> {
  const rows = parseCsvRows(text);
  if (rows.length < 2) throw new InvalidAhbaData(`${source}: no coordinates`, source);
  const [wi, xi, yi, zi] = headerIndex(rows[0]!, ['well_id', 'corrected_mni_x', 'corrected_mni_y', 'corrected_mni_z'], source);
  const out = new Map<number, [number, number, number]>();
  rows.slice(1).forEach((r, i) => {
    out.set(num(r[wi!], source, i + 2, 'well_id'), [
      num(r[xi!], source, i + 2, 'corrected_mni_x'),
      num(r[yi!], source, i + 2, 'corrected_mni_y'),
      num(r[zi!], source, i + 2, 'corrected_mni_z'),
    ]);
  });
  return out;
}
