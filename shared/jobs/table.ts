import { InvalidParticipants } from '../errors.ts';

export interface Table {
  columns: string[];
  rows: Record<string, string>[];
}

/** Split one delimited line, honouring double-quoted fields ("" is a literal quote). */
function splitLine(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (ch === delim) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/**
 * Parse a participants table: TSV (tab in the header line) or CSV, header row first,
 * `\n`, `\r\n` or `\r` line ends, blank lines ignored. Every row must have as many
 * fields as the header; the error names the line.
 */
export function parseTable(text: string, source: string): Table {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const firstIdx = lines.findIndex((l) => l.trim() !== '');
  if (firstIdx < 0) throw new InvalidParticipants(`${source} is empty`, source);
  const header = lines[firstIdx]!;
  // the header decides the delimiter; a header with neither (one column, or names split by spaces) follows the first row
  const firstRow = lines.slice(firstIdx + 1).find((l) => l.trim() !== '') ?? '';
  const delim = header.includes('\t') ? '\t' : header.includes(',') ? ',' : firstRow.includes('\t') ? '\t' : ',';
  const columns = splitLine(header, delim);
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === '') throw new InvalidParticipants(`${source} line ${firstIdx + 1}: empty column name in the header`, source);
    if (seen.has(c)) throw new InvalidParticipants(`${source} line ${firstIdx + 1}: column "${c}" appears twice`, source);
    seen.add(c);
  }
  const rows: Record<string, string>[] = [];
  const split: [number, string[]][] = [];
  for (let i = firstIdx + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    split.push([i, splitLine(line, delim)]);
  }
  // every row agrees with the others but not with the header: the header is at fault (e.g. a
  // header written with spaces in a tab-separated table), so the error names the header's line
  const counts = new Set(split.map(([, f]) => f.length));
  if (split.length > 0 && counts.size === 1 && !counts.has(columns.length)) {
    const [k] = counts;
    throw new InvalidParticipants(
      `${source} line ${firstIdx + 1} (the header): ${columns.length} column name(s), but every row has ${k} fields (${delim === '\t' ? 'tab' : 'comma'}-separated; ` +
        `${delim === '\t' ? 'is the header tab-separated like the rows?' : 'a tab-separated table needs tabs in its header line'})`,
      source,
    );
  }
  for (const [i, fields] of split) {
    if (fields.length !== columns.length) {
      throw new InvalidParticipants(
        `${source} line ${i + 1}: ${fields.length} fields, but the header has ${columns.length} (${delim === '\t' ? 'tab' : 'comma'}-separated)`,
        source,
      );
    }
    const row: Record<string, string> = {};
    columns.forEach((c, j) => (row[c] = fields[j]!));
    rows.push(row);
  }
  return { columns, rows };
}
