/** Where a describer reads a result's files and a job's inputs from, and small parsing helpers. */
import { createHash } from 'node:crypto';
import { readNifti, type NiftiVolume } from '../nifti/index.ts';
import type { Store } from '../storage/index.ts';
import { readUri, resolveRef } from '../storage/index.ts';
import type { Cell, ReportInput, ReportParameter, ReportTable, ReportTableRow } from './types.ts';

export interface ResultSource {
  /** every file of the result folder, relative to it (e.g. result.outputs) */
  files: string[];
  /** bytes of a result file by its relative path; undefined when absent */
  read(rel: string): Promise<Uint8Array | undefined>;
  /** bytes of a job input by its reference as job.json gives it; undefined when unreadable here */
  readInput?(ref: string): Promise<Uint8Array | undefined>;
}

/**
 * A ResultSource over a storage prefix, for reducers: `files` are the result files written so
 * far (relative), inputs resolve against the job's URI under the same rules as the job's own
 * inputs (allow-list included); an input that cannot be read is left without checksum.
 */
export function storeSource(store: Store, resultsDir: string, files: string[], jobUri?: string): ResultSource {
  // as the pipelines' validators do: refs resolve against the folder holding job.json
  const baseUri = jobUri?.slice(0, jobUri.lastIndexOf('/') + 1);
  return {
    files: [...files],
    read: (rel) => store.get(`${resultsDir}/${rel}`).catch(() => undefined),
    ...(baseUri ? { readInput: async (ref: string) => readUri(resolveRef(ref, baseUri)).catch(() => undefined) } : {}),
  };
}

/** Decoded images of NIfTI bytes a reducer has just written, by the bytes object (so the report does not inflate them again). */
const known = new WeakMap<Uint8Array, NiftiVolume>();

/**
 * Say that `bytes` (a .nii/.nii.gz file's bytes, not to be modified afterwards) read as `volume`:
 * `niftiOf(bytes)` then returns it instead of decoding. The report only reads the values.
 */
export function rememberVolume(bytes: Uint8Array, volume: NiftiVolume): void {
  known.set(bytes, volume);
}

/** The image of NIfTI bytes: the remembered one (rememberVolume), else readNifti. Callers must not modify the values. */
export function niftiOf(bytes: Uint8Array, source: string): NiftiVolume {
  return known.get(bytes) ?? readNifti(bytes, source);
}

export const text = (u: Uint8Array) => new TextDecoder().decode(u);

export async function readText(src: ResultSource, rel: string): Promise<string | undefined> {
  const b = await src.read(rel);
  return b ? text(b) : undefined;
}

/** Split one CSV/TSV line (RFC 4180 quotes). */
export function splitLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === sep) out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** A small delimited table: header and rows of strings (tab-separated when the header has a tab). */
export function parseDelimited(s: string): { header: string[]; rows: string[][] } {
  const lines = s.replace(/\r/g, '').split('\n').filter((l) => l.length > 0);
  if (!lines.length) return { header: [], rows: [] };
  const sep = lines[0]!.includes('\t') ? '\t' : ',';
  return { header: splitLine(lines[0]!, sep), rows: lines.slice(1).map((l) => splitLine(l, sep)) };
}

export const num = (s: string | undefined): Cell => {
  if (s === undefined || s === '') return '';
  const x = Number(s);
  return Number.isFinite(x) && /^[-+0-9.eE]+$/.test(s.trim()) ? x : s;
};

/** A table of a CSV result file with peaks found from (peak_x, peak_y, peak_z[_mm]) or (x, y, z) columns. */
export function genericTable(id: string, title: string, file: string, s: string, map?: string): ReportTable {
  const { header, rows } = parseDelimited(s);
  const col = (...names: string[]) => names.map((n) => header.indexOf(n)).find((i) => i >= 0) ?? -1;
  const xyz = [col('peak_x', 'x'), col('peak_y', 'y'), col('peak_z_mm', 'peak_z', 'z')];
  const hasPeak = xyz.every((i) => i >= 0) && !(header[xyz[2]!] === 'peak_z' && header.includes('peak_z_mm'));
  return {
    id,
    title,
    file,
    columns: header,
    rows: rows.map((r): ReportTableRow => {
      const p = xyz.map((i) => Number(r[i!]));
      return { cells: r.map(num), ...(hasPeak && p.every(Number.isFinite) ? { peakMm: p as [number, number, number], ...(map ? { map } : {}) } : {}) };
    }),
  };
}

/** The input references of a job (string values of job.inputs), each with its SHA-256 when readable. */
export async function describeInputs(job: Record<string, unknown> | undefined, src: ResultSource): Promise<ReportInput[]> {
  const inputs = (job?.inputs ?? {}) as Record<string, unknown>;
  const out: ReportInput[] = [];
  for (const [name, v] of Object.entries(inputs)) {
    if (typeof v !== 'string' || /Column$/.test(name)) continue;
    let bytes: Uint8Array | undefined;
    try {
      bytes = src.readInput ? await src.readInput(v) : undefined;
    } catch {
      bytes = undefined;
    }
    out.push(bytes ? { name, uri: v, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : { name, uri: v, note: src.readInput ? 'not readable from here' : 'not checked' });
  }
  return out;
}

/** Flatten a job's params into dotted names; values equal to `defaults` (same path) are marked. */
export function flattenParams(job: Record<string, unknown> | undefined, given?: Record<string, unknown>): ReportParameter[] {
  const out: ReportParameter[] = [];
  const walk = (prefix: string, v: unknown, g: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x, g && typeof g === 'object' ? (g as Record<string, unknown>)[k] : undefined);
    } else out.push({ name: prefix, value: v, ...(given ? { isDefault: g === undefined } : {}) });
  };
  if (job) {
    walk('params', job.params ?? {}, given ? (given.params ?? {}) : undefined);
    if (job.budget) walk('budget', job.budget, given ? (given.budget ?? {}) : undefined);
  }
  return out;
}
