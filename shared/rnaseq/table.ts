/**
 * Count and sample tables (CSV or TSV text, I/O-free).
 * Counts: header row `gene,<sample1>,<sample2>,…` (first header cell free), one row per
 * gene. Samples: a header with a sample column and a group column. The delimiter is a
 * tab when the header line holds one, else a comma; fields may be double-quoted.
 */
import { InvalidCounts, InvalidSampleGroups } from './errors.ts';

/** Split one delimited line; double quotes group a field and "" escapes a quote. */
export function splitDelimited(line: string, delim: string): string[] {
  if (!line.includes('"')) return line.split(delim);
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === delim) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

export interface CountTable {
  genes: string[];
  samples: string[];
  /** genes × samples, row-major, non-negative integers */
  counts: Float64Array;
}

/**
 * Parse a gene × sample count table. Refuses (InvalidCounts, naming row and column):
 * a negative, non-integer or non-numeric count, a row of the wrong length, a repeated
 * gene or sample name, no samples or no genes. Row numbers are file lines (header = 1).
 */
export function parseCountTable(text: string, source: string): CountTable {
  const ls = lines(text);
  let h = 0;
  while (h < ls.length && ls[h]!.trim() === '') h++;
  if (h === ls.length) throw new InvalidCounts(`${source}: empty count table`, source);
  const delim = ls[h]!.includes('\t') ? '\t' : ',';
  const header = splitDelimited(ls[h]!, delim).map((s) => s.trim());
  const samples = header.slice(1);
  if (samples.length === 0) throw new InvalidCounts(`${source}: no sample columns`, source);
  const seenS = new Set<string>();
  samples.forEach((s, j) => {
    if (s === '') throw new InvalidCounts(`${source} column ${j + 2}: empty sample name`, source);
    if (seenS.has(s)) throw new InvalidCounts(`${source} column ${j + 2}: sample name repeats an earlier column`, source);
    seenS.add(s);
  });
  const genes: string[] = [];
  const vals: number[] = [];
  const seenG = new Set<string>();
  for (let li = h + 1; li < ls.length; li++) {
    if (ls[li]!.trim() === '') continue;
    const f = splitDelimited(ls[li]!, delim);
    const row = li + 1;
    if (f.length !== header.length) {
      throw new InvalidCounts(`${source} row ${row}: ${f.length} fields, header has ${header.length}`, source);
    }
    const g = f[0]!.trim();
    if (g === '') throw new InvalidCounts(`${source} row ${row}: empty gene name`, source);
    if (seenG.has(g)) throw new InvalidCounts(`${source} row ${row}: gene name repeats an earlier row`, source);
    seenG.add(g);
    genes.push(g);
    for (let j = 1; j < f.length; j++) {
      const t = f[j]!.trim();
      const v = t === '' ? NaN : Number(t);
      if (!Number.isFinite(v)) {
        throw new InvalidCounts(`${source} row ${row}, column ${j + 1}: count is not a number`, source);
      }
      if (v < 0) throw new InvalidCounts(`${source} row ${row}, column ${j + 1}: negative count`, source);
      if (!Number.isInteger(v)) {
        throw new InvalidCounts(`${source} row ${row}, column ${j + 1}: count is not an integer`, source);
      }
      vals.push(v);
    }
  }
  if (genes.length === 0) throw new InvalidCounts(`${source}: no gene rows`, source);
  return { genes, samples, counts: Float64Array.from(vals) };
}

/**
 * Parse a sample table into sample → group. Columns default to `sample` and `group`
 * (case-insensitive header match).
 */
export function parseSampleTable(
  text: string,
  source: string,
  opts: { sampleColumn?: string; groupColumn?: string } = {},
): Map<string, string> {
  const ls = lines(text);
  let h = 0;
  while (h < ls.length && ls[h]!.trim() === '') h++;
  if (h === ls.length) throw new InvalidSampleGroups(`${source}: empty sample table`, source);
  const delim = ls[h]!.includes('\t') ? '\t' : ',';
  const header = splitDelimited(ls[h]!, delim).map((s) => s.trim().toLowerCase());
  const sc = (opts.sampleColumn ?? 'sample').toLowerCase();
  const gc = (opts.groupColumn ?? 'group').toLowerCase();
  const si = header.indexOf(sc);
  const gi = header.indexOf(gc);
  if (si < 0) throw new InvalidSampleGroups(`${source}: no column named "${sc}"`, source);
  if (gi < 0) throw new InvalidSampleGroups(`${source}: no column named "${gc}"`, source);
  const out = new Map<string, string>();
  for (let li = h + 1; li < ls.length; li++) {
    if (ls[li]!.trim() === '') continue;
    const f = splitDelimited(ls[li]!, delim).map((s) => s.trim());
    const s = f[si] ?? '';
    const g = f[gi] ?? '';
    if (s === '' || g === '') throw new InvalidSampleGroups(`${source} row ${li + 1}: empty sample or group`, source);
    if (out.has(s)) throw new InvalidSampleGroups(`${source} row ${li + 1}: sample repeats an earlier row`, source);
    out.set(s, g);
  }
  return out;
}
