/**
 * Compare two result folders of the same jobs (e.g. before and after a refactor):
 * every NIfTI map's header geometry and voxel data bit for bit, every table byte for byte,
 * and every field of result.json except cost and timing fields (numbers compared exactly).
 *
 *   node --import tsx bench/compare-outputs.ts <before-root> <after-root>
 *
 * Each root holds <job>/<jobId>/ folders as written by `neuroburst run --out <root>/<job>`.
 * Exit code 1 when anything differs; every difference is printed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readNifti } from '../shared/nifti/index.ts';

// cost and timing vary run to run; specHash hashes the input URIs (absolute paths), which differ between two checkouts
const IGNORED = new Set(['cost', 'seconds', 'startedAt', 'finishedAt', 'durationMs', 'wallSeconds', 'specHash']);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    if (e === '.work') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out.sort();
}

function jsonDiff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`);
    return;
  }
  if (a && typeof a === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    for (const k of new Set([...ka, ...kb])) {
      if (IGNORED.has(k)) continue;
      jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
    return;
  }
  if (typeof a === 'number' ? !Object.is(a, b) : a !== b) {
    if (path.endsWith('.methods') && typeof a === 'string') out.push(`${path}: text differs`);
    else out.push(`${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`);
  }
}

export function compareRoots(before: string, after: string): { compared: Record<string, number>; diffs: string[] } {
  const diffs: string[] = [];
  const compared: Record<string, number> = { maps: 0, tables: 0, results: 0 };
  for (const job of readdirSync(before).filter((d) => statSync(join(before, d)).isDirectory())) {
    for (const id of readdirSync(join(before, job)).filter((d) => !d.startsWith('.') && statSync(join(before, job, d)).isDirectory())) {
      const A = join(before, job, id);
      const B = join(after, job, id);
      if (!existsSync(B)) {
        diffs.push(`${job}/${id}: missing after`);
        continue;
      }
      const fa = files(A).map((f) => relative(A, f));
      const fb = files(B).map((f) => relative(B, f));
      for (const f of fa.filter((x) => !fb.includes(x))) diffs.push(`${job}/${id}/${f}: missing after`);
      for (const f of fb.filter((x) => !fa.includes(x))) diffs.push(`${job}/${id}/${f}: new after`);
      for (const f of fa.filter((x) => fb.includes(x))) {
        const where = `${job}/${id}/${f}`;
        if (f.endsWith('.nii.gz') || f.endsWith('.nii')) {
          const va = readNifti(readFileSync(join(A, f)), f);
          const vb = readNifti(readFileSync(join(B, f)), f);
          const same =
            va.header.dims.join() === vb.header.dims.join() &&
            Array.from(va.header.affine).join() === Array.from(vb.header.affine).join() &&
            Buffer.from(va.data.buffer, va.data.byteOffset, va.data.byteLength).equals(Buffer.from(vb.data.buffer, vb.data.byteOffset, vb.data.byteLength));
          if (!same) diffs.push(`${where}: voxel data or geometry differ`);
          if (JSON.stringify(va.header.intent) !== JSON.stringify(vb.header.intent)) diffs.push(`${where}: intent ${JSON.stringify(va.header.intent)} vs ${JSON.stringify(vb.header.intent)} (header only)`);
          compared.maps!++;
        } else if (f === 'result.json') {
          jsonDiff(JSON.parse(readFileSync(join(A, f), 'utf8')), JSON.parse(readFileSync(join(B, f), 'utf8')), where, diffs);
          compared.results!++;
        } else if (f.endsWith('.csv') || f.endsWith('.tsv') || f === 'job.json') {
          if (!readFileSync(join(A, f)).equals(readFileSync(join(B, f)))) diffs.push(`${where}: differs`);
          compared.tables!++;
        }
      }
    }
  }
  return { compared, diffs };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [before, after] = process.argv.slice(2);
  if (!before || !after) {
    console.error('usage: node --import tsx bench/compare-outputs.ts <before-root> <after-root>');
    process.exit(2);
  }
  const { compared, diffs } = compareRoots(before, after);
  console.log(`compared ${compared.maps} maps, ${compared.tables} tables/job specs, ${compared.results} result.json files`);
  for (const d of diffs) console.log('DIFF', d);
  process.exitCode = diffs.length ? 1 : 0;
}
