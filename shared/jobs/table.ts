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
  const delim = header.includes('\t') ? '\t' : ',';
  const columns = splitLine(header, delim);
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === '') throw new InvalidParticipants(`${source} line ${firstIdx + 1}: empty column name in the header`, source);
    if (seen.has(c)) throw new InvalidParticipants(`${source} line ${firstIdx + 1}: column "${c}" appears twice`, source);
    seen.add(c);
  }
  const rows: Record<string, string>[] = [];
  for (let i = firstIdx + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = splitLine(line, delim);
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
