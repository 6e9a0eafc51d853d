/** Named point tables (`label,x,y,z` in mm), e.g. the 10–20 EEG electrode positions. */
import { InvalidCoordinates } from '../errors.ts';

export interface NamedPoint {
  label: string;
  mm: [number, number, number];
}

/**
 * Parse an electrode (or any point) table `label,x,y,z` in mm: header row with columns
 * label, x, y, z (any order, case-insensitive; comma or tab separated), blank lines and
 * '#' comments ignored. Throws InvalidCoordinates naming the line for a missing column,
 * a short row, a non-numeric coordinate or a duplicate label.
 */
export function parsePointTable(text: string, source = 'points'): NamedPoint[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const rows = lines.map((l, i) => ({ l: l.trim(), no: i + 1 })).filter((r) => r.l !== '' && !r.l.startsWith('#'));
  if (rows.length === 0) throw new InvalidCoordinates(`${source} is empty`, source);
  const delim = rows[0]!.l.includes('\t') ? '\t' : ',';
  const head = rows[0]!.l.split(delim).map((h) => h.trim().toLowerCase());
  const col = (name: string) => {
    const c = head.indexOf(name);
    if (c < 0) throw new InvalidCoordinates(`${source} line ${rows[0]!.no}: no "${name}" column (need label,x,y,z)`, source);
    return c;
  };
  const cl = col('label');
  const cx = col('x');
  const cy = col('y');
  const cz = col('z');
  const seen = new Set<string>();
  const out: NamedPoint[] = [];
  for (const r of rows.slice(1)) {
    const f = r.l.split(delim).map((s) => s.trim());
    if (f.length < head.length) throw new InvalidCoordinates(`${source} line ${r.no}: ${f.length} fields, the header has ${head.length}`, source);
    const label = f[cl]!;
    if (label === '') throw new InvalidCoordinates(`${source} line ${r.no}: empty label`, source);
    if (seen.has(label)) throw new InvalidCoordinates(`${source} line ${r.no}: its label appears on an earlier line too`, source);
    seen.add(label);
    const mm = [f[cx]!, f[cy]!, f[cz]!].map((s) => (s === '' ? NaN : Number(s)));
    if (!mm.every(Number.isFinite)) throw new InvalidCoordinates(`${source} line ${r.no}: x, y or z is not a finite number`, source);
    out.push({ label, mm: mm as [number, number, number] });
  }
  if (out.length === 0) throw new InvalidCoordinates(`${source} has a header but no rows`, source);
  return out;
}
