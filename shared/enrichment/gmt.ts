/**
 * GMT gene-set libraries (the Broad/MSigDB and Enrichr text format): one set per line,
 * tab-separated `name<TAB>description<TAB>gene1<TAB>gene2…`. Blank lines are skipped;
 * trailing empty fields are ignored; duplicate genes within a set count once.
 * A line with fewer than three fields, an empty name, no gene or a set name already
 * used in the library is malformed: `InvalidGeneSets` names the line number (the
 * line's content is never echoed).
 */
import { InvalidGeneSets } from './errors.ts';

export interface GeneSet {
  name: string;
  description: string;
  /** unique gene symbols, in file order (upper-cased unless `caseSensitive`) */
  genes: string[];
}

export interface GeneSetLibrary {
  /** library name (e.g. the file name: "GO_Biological_Process_2023") */
  name: string;
  sets: GeneSet[];
}

export interface GmtOptions {
  /** keep gene symbols' case as written (default false: upper-case, as human HGNC symbols) */
  caseSensitive?: boolean;
}

/** Normalise one gene symbol the way libraries and lists are compared. */
export function normaliseGene(g: string, caseSensitive = false): string {
  const t = g.trim();
  return caseSensitive ? t : t.toUpperCase();
}

/**
 * Parse GMT text into a library. `source` (the file name) goes into error messages and
 * the error's `input` field; `name` defaults to it.
 */
export function parseGmt(text: string, source: string, opts: GmtOptions & { name?: string } = {}): GeneSetLibrary {
  const sets: GeneSet[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const lineNo = li + 1;
    const fields = line.split('\t');
    while (fields.length > 0 && fields[fields.length - 1]!.trim() === '') fields.pop();
    if (fields.length < 3) {
      throw new InvalidGeneSets(
        `${source} line ${lineNo}: expected name, description and at least one gene separated by tabs (found ${fields.length} field${fields.length === 1 ? '' : 's'})`,
        source,
      );
    }
    const name = fields[0]!.trim();
    if (name === '') throw new InvalidGeneSets(`${source} line ${lineNo}: empty gene-set name`, source);
    if (seen.has(name)) throw new InvalidGeneSets(`${source} line ${lineNo}: gene-set name repeats an earlier line`, source);
    seen.add(name);
    const genes: string[] = [];
    const inSet = new Set<string>();
    for (let f = 2; f < fields.length; f++) {
      const g = normaliseGene(fields[f]!, opts.caseSensitive);
      if (g === '' || inSet.has(g)) continue;
      inSet.add(g);
      genes.push(g);
    }
    if (genes.length === 0) throw new InvalidGeneSets(`${source} line ${lineNo}: gene set has no genes`, source);
    sets.push({ name, description: fields[1]!.trim(), genes });
  }
  if (sets.length === 0) throw new InvalidGeneSets(`${source}: no gene sets`, source);
  return { name: opts.name ?? source, sets };
}
