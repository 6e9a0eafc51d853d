/**
 * Coordinate sets for ALE: Sleuth / GingerALE text files and NiMARE dataset JSON
 * (plus the NIMADS studyset layout). Every focus is returned in MNI mm; Talairach
 * foci are converted with the inverse of Lancaster's icbm2tal ("other" templates).
 */
import { InvalidCoordinates } from '../errors.ts';

export type Space = 'MNI' | 'TAL';

export interface Experiment {
  /** unique id: NiMARE "<study>-<contrast>", or the Sleuth header lines */
  id: string;
  sampleSize: number;
  /** MNI mm, x y z per focus */
  foci: number[][];
  /** the space the file gave the foci in */
  space: Space;
}

export interface CoordinateSet {
  format: 'sleuth' | 'nimare-dataset' | 'nimads-studyset';
  experiments: Experiment[];
  /** notes that do not stop the analysis (e.g. a second Reference line that was ignored) */
  warnings: string[];
}

/** Lancaster et al. (2007) icbm2tal for templates other than SPM/FSL, row-major 3x4. */
const ICBM_OTHER_TO_TAL = [0.9357, 0.0029, -0.0072, -1.0423, -0.0065, 0.9396, -0.0726, -1.394, 0.0103, 0.0752, 0.8967, 3.6475];

const TAL_TO_MNI = (() => {
  const m = ICBM_OTHER_TO_TAL;
  const [a, b, c, d, e, f, g, h, i] = [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const inv = [
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ];
  const t = [m[3]!, m[7]!, m[11]!];
  const ti = [0, 1, 2].map((r) => -(inv[r * 3]! * t[0]! + inv[r * 3 + 1]! * t[1]! + inv[r * 3 + 2]! * t[2]!));
  return { inv, ti };
})();

/** Talairach -> MNI (inverse of icbm_other2tal). */
export function talToMni(x: number, y: number, z: number): [number, number, number] {
  const { inv, ti } = TAL_TO_MNI;
  return [0, 1, 2].map((r) => inv[r * 3]! * x + inv[r * 3 + 1]! * y + inv[r * 3 + 2]! * z + ti[r]!) as [number, number, number];
}

/** MNI -> Talairach (icbm_other2tal), for tests and reports. */
export function mniToTal(x: number, y: number, z: number): [number, number, number] {
  const m = ICBM_OTHER_TO_TAL;
  return [0, 1, 2].map((r) => m[r * 4]! * x + m[r * 4 + 1]! * y + m[r * 4 + 2]! * z + m[r * 4 + 3]!) as [number, number, number];
}

function spaceOf(value: string): Space | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'mni' || v.startsWith('mni')) return 'MNI';
  if (v === 'tal' || v === 'talairach' || v === 'tal2icbm' || v === 'talairach_other') return 'TAL';
  return undefined;
}

function toMni(space: Space, xyz: number[]): number[] {
  return space === 'TAL' ? talToMni(xyz[0]!, xyz[1]!, xyz[2]!) : xyz;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Sleuth / GingerALE text: `// Reference=MNI|Talairach` first, then experiments of
 * `// Study: Experiment` lines, `// Subjects=N` and one `x y z` row per focus (tabs,
 * spaces or commas); blank lines separate experiments; any line ending.
 */
export function parseSleuth(text: string, source: string): CoordinateSet {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const fail = (line: number, why: string): never => {
    throw new InvalidCoordinates(`${source} line ${line}: ${why}`, source);
  };
  const warnings: string[] = [];
  let space: Space | undefined;
  const experiments: Experiment[] = [];
  let names: string[] = [];
  let subjects: number | undefined;
  let subjectsLine = 0;
  let foci: number[][] = [];
  let startLine = 0;
  const lineOf: number[] = [];
  const close = (line: number) => {
    if (names.length === 0 && subjects === undefined && foci.length === 0) return;
    if (subjects === undefined) fail(startLine, `experiment "${names.join(' / ') || '(unnamed)'}" has no "// Subjects=N" line before its foci`);
    if (foci.length === 0) fail(subjectsLine, `experiment "${names.join(' / ') || '(unnamed)'}" has no foci (ends at line ${line})`);
    experiments.push({ id: names.join(' / ') || `experiment ${experiments.length + 1}`, sampleSize: subjects!, foci, space: space! });
    lineOf.push(startLine);
    names = [];
    subjects = undefined;
    foci = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '') {
      close(ln);
      continue;
    }
    if (raw.startsWith('//')) {
      const body = raw.slice(2).trim();
      const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(body);
      const key = kv?.[1]!.toLowerCase();
      if (kv && key === 'reference') {
        const s = spaceOf(kv[2]!);
        if (!s) fail(ln, `unknown reference space "${kv[2]!.trim()}" (expected MNI or Talairach)`);
        if (space === undefined) space = s;
        else if (s !== space) warnings.push(`${source} line ${ln}: a second Reference line (${kv[2]!.trim()}) was ignored; the first one (${space}) applies to the whole file`);
        continue;
      }
      if (space === undefined) fail(ln, 'the file must start with a "// Reference=MNI" or "// Reference=Talairach" line');
      if (kv && key === 'subjects') {
        if (subjects !== undefined) fail(ln, 'a second "// Subjects" line in one experiment (separate experiments with a blank line)');
        const n = Number(kv[2]!.trim());
        if (!NUMBER.test(kv[2]!.trim()) || !Number.isInteger(n) || n < 1) fail(ln, `"// Subjects=" needs a positive whole number, got "${kv[2]!.trim()}"`);
        subjects = n;
        subjectsLine = ln;
        if (names.length === 0) startLine = ln;
        continue;
      }
      // a study / experiment name line; after foci it starts a new experiment
      if (foci.length > 0 || subjects !== undefined) close(ln);
      if (names.length === 0) startLine = ln;
      names.push(body);
      continue;
    }
    if (space === undefined) fail(ln, 'the file must start with a "// Reference=MNI" or "// Reference=Talairach" line');
    const parts = raw.split(/[\s,;]+/).filter((s) => s !== '');
    // the row itself is not quoted (a wrong file given as coordinates must not be echoed), only a short offending value
    if (parts.length !== 3) fail(ln, `a focus row needs exactly three numbers (x y z), found ${parts.length} value(s)`);
    const bad = parts.find((p) => !NUMBER.test(p));
    if (bad !== undefined) fail(ln, `"${bad.length > 12 ? `${bad.slice(0, 12)}…` : bad}" is not a number (focus rows are x y z)`);
    if (subjects === undefined) fail(ln, 'a focus row before the experiment\'s "// Subjects=N" line');
    foci.push(toMni(space!, parts.map(Number)));
  }
  close(lines.length);
  if (space === undefined) fail(1, 'the file must start with a "// Reference=MNI" or "// Reference=Talairach" line');
  if (experiments.length === 0) throw new InvalidCoordinates(`${source} holds no experiment`, source);
  assertUniqueIds(experiments, source, (i) => `line ${lineOf[i]}`);
  return { format: 'sleuth', experiments, warnings };
}

/**
 * Experiment ids must be unique: ALE treats experiments as independent, so one listed twice
 * (a pasted-in-twice block, two contrasts of one id) would count its foci twice, and its
 * per-experiment outputs (contributions, jackknife rows) would be ambiguous.
 */
function assertUniqueIds(experiments: readonly Experiment[], source: string, where: (index: number) => string): void {
  const at = new Map<string, number[]>();
  experiments.forEach((e, i) => at.set(e.id, [...(at.get(e.id) ?? []), i]));
  for (const [id, idx] of at) {
    if (idx.length > 1) throw new InvalidCoordinates(`${source}: experiment id "${id}" appears ${idx.length} times (${idx.map(where).join(', ')}); experiment ids must be unique`, source);
  }
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function sampleSizeOf(meta: unknown, where: string, source: string): number {
  const m = isObj(meta) ? meta : {};
  const v = m.sample_sizes ?? m.sample_size ?? m.n;
  const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const nums = arr.map(Number);
  if (nums.length === 0 || nums.some((x) => !(x > 0) || !Number.isFinite(x))) {
    throw new InvalidCoordinates(`${source}: ${where} needs metadata.sample_sizes (positive numbers); got ${JSON.stringify(v)}`, source);
  }
  // the reference takes the mean of the listed sample sizes
  return nums.reduce((a, b) => a + b, 0) / nums.length;
}

function jsonSpace(s: unknown, where: string, source: string): Space {
  const sp = typeof s === 'string' ? spaceOf(s) : undefined;
  if (!sp) throw new InvalidCoordinates(`${source}: ${where} has unknown coordinate space ${JSON.stringify(s)} (expected MNI or TAL)`, source);
  return sp;
}

/** NiMARE Dataset JSON `{study: {contrasts: {id: {coords: {space, x, y, z}, metadata: {sample_sizes}}}}}` or a NIMADS studyset. */
export function parseNimareJson(text: string, source: string): CoordinateSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InvalidCoordinates(`${source} is not valid JSON: ${(e as Error).message}`, source);
  }
  if (!isObj(doc)) throw new InvalidCoordinates(`${source}: expected a JSON object`, source);
  const experiments: Experiment[] = [];
  const wheres: string[] = [];
  if (Array.isArray(doc.studies)) {
    for (const [si, st] of doc.studies.entries()) {
      if (!isObj(st) || !Array.isArray(st.analyses)) throw new InvalidCoordinates(`${source}: studies[${si}] has no analyses array`, source);
      for (const [ai, an] of st.analyses.entries()) {
        const where = `studies[${si}].analyses[${ai}]`;
        if (!isObj(an) || !Array.isArray(an.points)) throw new InvalidCoordinates(`${source}: ${where} has no points array`, source);
        if (an.points.length === 0) continue;
        const n = sampleSizeOf(isObj(an.metadata) && Object.keys(an.metadata).length ? an.metadata : st.metadata, where, source);
        let space: Space = 'MNI';
        const foci = an.points.map((p, pi) => {
          const c = isObj(p) ? p.coordinates : undefined;
          if (!Array.isArray(c) || c.length !== 3 || c.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
            throw new InvalidCoordinates(`${source}: ${where}.points[${pi}].coordinates must be three numbers`, source);
          }
          space = jsonSpace(isObj(p) ? p.space ?? 'MNI' : 'MNI', `${where}.points[${pi}]`, source);
          return toMni(space, c as number[]);
        });
        experiments.push({ id: `${String(st.id ?? si)}-${String(an.id ?? ai)}`, sampleSize: n, foci, space });
        wheres.push(where);
      }
    }
    if (experiments.length === 0) throw new InvalidCoordinates(`${source} holds no analysis with points`, source);
    assertUniqueIds(experiments, source, (i) => wheres[i]!);
    return { format: 'nimads-studyset', experiments, warnings: [] };
  }
  for (const [study, st] of Object.entries(doc)) {
    if (!isObj(st) || !isObj(st.contrasts)) throw new InvalidCoordinates(`${source}: study "${study}" has no "contrasts" object`, source);
    for (const [cid, con] of Object.entries(st.contrasts)) {
      const where = `"${study}".contrasts."${cid}"`;
      if (!isObj(con)) throw new InvalidCoordinates(`${source}: ${where} is not an object`, source);
      const co = con.coords;
      if (co === undefined) continue;
      if (!isObj(co) || !Array.isArray(co.x) || !Array.isArray(co.y) || !Array.isArray(co.z)) throw new InvalidCoordinates(`${source}: ${where}.coords needs x, y and z arrays`, source);
      const [xs, ys, zs] = [co.x, co.y, co.z];
      if (xs.length !== ys.length || xs.length !== zs.length) throw new InvalidCoordinates(`${source}: ${where}.coords x, y, z have different lengths`, source);
      if (xs.length === 0) continue;
      const space = jsonSpace(co.space ?? 'MNI', `${where}.coords`, source);
      const foci = xs.map((_, i) => {
        const p = [xs[i], ys[i], zs[i]];
        if (p.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new InvalidCoordinates(`${source}: ${where}.coords focus ${i} is not three finite numbers`, source);
        return toMni(space, p as number[]);
      });
      experiments.push({ id: `${study}-${cid}`, sampleSize: sampleSizeOf(con.metadata, where, source), foci, space });
      wheres.push(where);
    }
  }
  if (experiments.length === 0) throw new InvalidCoordinates(`${source} holds no contrast with coordinates`, source);
  assertUniqueIds(experiments, source, (i) => wheres[i]!);
  // the reference orders experiments by id
  experiments.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { format: 'nimare-dataset', experiments, warnings: [] };
}

/** Sleuth text or NiMARE JSON, by content. */
export function parseCoordinates(bytes: Uint8Array | string, source: string): CoordinateSet {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return parseNimareJson(text, source);
  return parseSleuth(text, source);
}
