/**
 * Region tables of the transcriptomics pipeline, parsed from text (no file system here):
 * - an expression matrix as abagen writes it: first column `label`, one column per gene, values
 *   numeric or empty/NaN;
 * - region values: CSV or TSV with a region column and a value column;
 * - centroids: `label`, `hemi` (0/1, L/R, left/right) and coordinate columns.
 * Errors name the file and the row (1-based line number) and never echo cell contents beyond the
 * column name.
 */
import { NeuroburstError } from '../errors.ts';

/** A region table is malformed; `input` names the file. */
export class InvalidRegionTable extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidRegionTable', message, input);
  }
}

function splitLine(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep).map((s) => s.trim());
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

interface Parsed {
  header: string[];
  rows: { line: number; cells: string[] }[];
}

export function parseDelimited(text: string, source: string): Parsed {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h]!.trim() === '') h++;
  if (h >= lines.length) throw new InvalidRegionTable(`${source} is empty`, source);
  const first = lines[h]!;
  const sep = first.includes('\t') ? '\t' : ',';
  const header = splitLine(first, sep);
  const rows: Parsed['rows'] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const cells = splitLine(l, sep);
    if (cells.length !== header.length) {
      throw new InvalidRegionTable(`${source} line ${i + 1}: ${cells.length} fields, the header has ${header.length}`, source);
    }
    rows.push({ line: i + 1, cells });
  }
  return { header, rows };
}

function num(cell: string): number {
  const s = cell.trim();
  if (s === '' || /^(nan|na|n\/a|null)$/i.test(s)) return Number.NaN;
  const v = Number(s);
  return v;
}

export interface ExpressionMatrix {
  regions: string[];
  genes: string[];
  /** regions × genes, row-major; NaN where missing. */
  values: Float64Array;
}

export function parseExpression(text: string, source: string): ExpressionMatrix {
  const { header, rows } = parseDelimited(text, source);
  if (header.length < 2) throw new InvalidRegionTable(`${source}: an expression matrix needs a label column and at least one gene column`, source);
  const genes = header.slice(1);
  const seen = new Set<string>();
  for (const g of genes) {
    if (g === '') throw new InvalidRegionTable(`${source}: a gene column has an empty name`, source);
    if (seen.has(g)) throw new InvalidRegionTable(`${source}: gene column ${g} appears twice`, source);
    seen.add(g);
  }
  const p = genes.length;
  const values = new Float64Array(rows.length * p);
  const regions: string[] = [];
  const rseen = new Set<string>();
  rows.forEach((r, i) => {
    const name = r.cells[0]!;
    if (name === '') throw new InvalidRegionTable(`${source} line ${r.line}: empty region label`, source);
    if (rseen.has(name)) throw new InvalidRegionTable(`${source} line ${r.line}: region ${name} appears twice`, source);
    rseen.add(name);
    regions.push(name);
    for (let g = 0; g < p; g++) {
      const v = num(r.cells[g + 1]!);
      if (Number.isNaN(v) && !/^(|nan|na|n\/a|null)$/i.test(r.cells[g + 1]!.trim())) {
        throw new InvalidRegionTable(`${source} line ${r.line}, column ${genes[g]}: not a number`, source);
      }
      values[i * p + g] = v;
    }
  });
  if (regions.length === 0) throw new InvalidRegionTable(`${source} holds no region row`, source);
  return { regions, genes, values };
}

/** Region → value from a CSV/TSV; empty or NaN cells give NaN (dropped later and reported). */
export function parseRegionValues(text: string, source: string, regionColumn: string, valueColumn: string): Map<string, number> {
  const { header, rows } = parseDelimited(text, source);
  const ri = header.indexOf(regionColumn);
  if (ri < 0) throw new InvalidRegionTable(`${source} has no column ${regionColumn} (the region column)`, source);
  const vi = header.indexOf(valueColumn);
  if (vi < 0) throw new InvalidRegionTable(`${source} has no column ${valueColumn} (the value column)`, source);
  const out = new Map<string, number>();
  for (const r of rows) {
    const name = r.cells[ri]!;
    if (name === '') throw new InvalidRegionTable(`${source} line ${r.line}: empty region`, source);
    if (out.has(name)) throw new InvalidRegionTable(`${source} line ${r.line}: region ${name} appears twice`, source);
    const cell = r.cells[vi]!;
    const v = num(cell);
    if (Number.isNaN(v) && !/^(|nan|na|n\/a|null)$/i.test(cell.trim())) {
      throw new InvalidRegionTable(`${source} line ${r.line}, column ${valueColumn}: not a number`, source);
    }
    out.set(name, v);
  }
  return out;
}

export interface Centroid {
  hemi: 0 | 1;
  xyz: [number, number, number];
}

export function parseCentroids(text: string, source: string, columns: readonly string[] = ['x', 'y', 'z'], labelColumn = 'label'): Map<string, Centroid> {
  const { header, rows } = parseDelimited(text, source);
  if (columns.length !== 3) throw new InvalidRegionTable(`centroid columns must name 3 coordinates, got ${columns.length}`, source);
  const li = header.indexOf(labelColumn);
  if (li < 0) throw new InvalidRegionTable(`${source} has no column ${labelColumn}`, source);
  const hi = header.indexOf('hemi');
  if (hi < 0) throw new InvalidRegionTable(`${source} has no column hemi`, source);
  const ci = columns.map((c) => {
    const k = header.indexOf(c);
    if (k < 0) throw new InvalidRegionTable(`${source} has no coordinate column ${c}`, source);
    return k;
  });
  const out = new Map<string, Centroid>();
  for (const r of rows) {
    const name = r.cells[li]!;
    if (out.has(name)) throw new InvalidRegionTable(`${source} line ${r.line}: region ${name} appears twice`, source);
    const h = r.cells[hi]!.trim().toLowerCase();
    const hemi = h === '0' || h === 'l' || h === 'left' || h === 'lh' ? 0 : h === '1' || h === 'r' || h === 'right' || h === 'rh' ? 1 : -1;
    if (hemi < 0) throw new InvalidRegionTable(`${source} line ${r.line}, column hemi: expected 0/1 or L/R`, source);
    const xyz = ci.map((k, d) => {
      const v = Number(r.cells[k]!);
      if (!Number.isFinite(v) || r.cells[k]!.trim() === '') throw new InvalidRegionTable(`${source} line ${r.line}, column ${columns[d]}: not a finite number`, source);
      return v;
    }) as [number, number, number];
    out.set(name, { hemi: hemi as 0 | 1, xyz });
  }
  return out;
}
