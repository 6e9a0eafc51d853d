import { createHash } from 'node:crypto';
import { jobLocation } from '../common/context.ts';
import { planSweep } from '../../netmap/sweep-variants.ts';
import { controlsTable, randomCoordinateControls } from '../../netmap/random-controls.ts';
import { vatMask, vatRadiusMm, type StimulationSetting } from '../../netmap/vat.ts';
import { EmptyData, InvalidConnectome, InvalidParameter, InvalidParticipants, MissingInput } from '../../errors.ts';
import { parseTable } from '../../jobs/table.ts';
import { assertSameSpace, readNifti } from '../../nifti/index.ts';
import type { NiftiHeader } from '../../nifti/index.ts';
import { existsUri, readUri, resolveRef, sizeUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { assertSubjectSize, connectomeManifestSchema, countNonFinite, nonFiniteMessage } from '../../netmap/connectome.ts';
import { sphereMask } from '../../volume/spheres.ts';
import type { NetmapJob } from './job.ts';
import { keys, planChunks } from './context.ts';
import type { NetmapContext, StudySeed } from './context.ts';

const STUDY = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$/;
/** a decimal number as a seeds table writes it (no hexadecimal, binary or 'Infinity') */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A NIfTI that must be one 3-D volume (`label` in the message, `input` the field named). */
function readVolume(bytes: Uint8Array, label: string, input = label) {
  const vol = readNifti(bytes, label);
  const dims = vol.header.dims;
  if (dims.slice(3).reduce((a, b) => a * b, 1) !== 1) throw new InvalidParameter(`${label} must be a 3-D image (dims ${dims.join('×')})`, input);
  return vol;
}

/** Bytes of each subject file sampled in Validate: enough to catch an all-NaN or gzip file without reading the connectome. */
const SUBJECT_SAMPLE_BYTES = 64 * 1024;

/**
 * Every subject file of a connectome, before any fan-out: its size must be its runs × V float32
 * values (one HEAD each, which also finds a missing file), and its first bytes must be neither gzip nor non-finite floats (one
 * ranged read of 64 KiB each). The chunk workers check every value again when they read a file.
 */
async function checkSubjectFiles(subjects: { id: string; uri: string; runs: number[] }[], V: number, field: string): Promise<void> {
  const missing: string[] = [];
  let next = 0;
  const one = async (s: (typeof subjects)[number]) => {
    let size: number;
    try {
      size = await sizeUri(s.uri);
    } catch (e) {
      if (e instanceof MissingInput) return void missing.push(s.id);
      throw e;
    }
    const label = `${field}: subject ${s.id}'s file ${s.uri}`;
    assertSubjectSize(size, s.runs, V, label, s.uri);
    const head = await readUri(s.uri, { start: 0, end: Math.min(SUBJECT_SAMPLE_BYTES, s.runs.reduce((a, T) => a + T * V, 0) * 4) });
    if (head[0] === 0x1f && head[1] === 0x8b) throw new InvalidConnectome(`${label} is gzip-compressed; subject files are raw float32 (neuroburst connectome pack writes them)`, s.uri);
    const sample = new Float32Array(Uint8Array.from(head.subarray(0, head.byteLength - (head.byteLength % 4))).buffer);
    const bad = countNonFinite(sample);
    if (bad > 0) throw new InvalidConnectome(nonFiniteMessage(label, bad, sample.length, ` in its first ${sample.length} values`), s.uri);
  };
  await Promise.all(Array.from({ length: Math.min(16, subjects.length) }, async () => {
    while (next < subjects.length) await one(subjects[next++]!);
  }));
  if (missing.length) throw new MissingInput(`${field}: ${missing.length} subject file(s) missing (${missing.sort().slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`, field);
}

/** Subject ids and files of a manifest are unique (a subject listed twice would count twice). */
function checkUniqueSubjects(subjects: { id: string; uri: string }[], field: string): void {
  const ids = new Map<string, number>();
  const files = new Map<string, string>();
  subjects.forEach((s, i) => {
    if (ids.has(s.id)) throw new InvalidParameter(`${field}: subject id ${s.id} is listed twice (subjects[${ids.get(s.id)}] and subjects[${i}])`, field);
    ids.set(s.id, i);
    const other = files.get(s.uri);
    if (other !== undefined) throw new InvalidParameter(`${field}: subjects ${other} and ${s.id} name the same file`, field);
    files.set(s.uri, s.id);
  });
}

interface SeedRecord {
  study: string;
  index: number[];
  weight: number[];
}

type SeedEntry = { coords: [number, number, number][]; masks: string[]; outcome?: number; columns: Record<string, string>; settings?: StimulationSetting[] };
type SeedEntries = Map<string, SeedEntry>;

const SEED_COLUMNS = new Set(['study', 'x', 'y', 'z', 'mask', 'outcome', 'amplitude', 'mode', 'pulseWidth', 'impedance']);

/**
 * Rows of a seeds table grouped by study: coordinates (x, y, z) or masks, and the study's value of every other
 * column (the first non-empty one; `grouping` columns, used by params.sweep, must exist and agree on every row of a study).
 */
function readSeedTable(text: string, src: string, grouping: readonly string[] = []): SeedEntries {
  const table = parseTable(text, src);
  if (!table.columns.includes('study')) throw new InvalidParticipants(`${src} has no column "study" (columns: ${table.columns.join(', ')})`, src);
  const byCoords = ['x', 'y', 'z'].every((c) => table.columns.includes(c));
  const byMask = table.columns.includes('mask');
  if (!byCoords && !byMask) throw new InvalidParticipants(`${src} needs columns x, y, z (MNI mm) or a column "mask"`, src);
  for (const c of grouping) if (!table.columns.includes(c)) throw new InvalidParticipants(`${src} has no column "${c}" named in params.sweep (columns: ${table.columns.join(', ')})`, src);
  const extra = table.columns.filter((c) => !SEED_COLUMNS.has(c));
  const studies: SeedEntries = new Map();
  table.rows.forEach((row, i) => {
    const where = `${src} row ${i + 1}`;
    const study = row.study ?? '';
    if (!STUDY.test(study)) throw new InvalidParticipants(`${where}: study "${study}" must be letters, digits, ".", "_", "+" or "-" (it names output files)`, src);
    const entry: SeedEntry = studies.get(study) ?? { coords: [], masks: [], columns: {} };
    studies.set(study, entry);
    for (const c of extra) {
      const v = (row[c] ?? '').trim();
      if (v === '') continue;
      const had = entry.columns[c];
      if (had === undefined) entry.columns[c] = v;
      else if (had !== v && grouping.includes(c)) throw new InvalidParticipants(`${where} (${study}): ${c} "${v}" differs from "${had}" on an earlier row of the same study (params.sweep groups studies by it)`, src);
    }
    if (table.columns.includes('outcome') && (row.outcome ?? '').trim() !== '') {
      const o = Number(row.outcome);
      if (!Number.isFinite(o) || !DECIMAL.test((row.outcome ?? '').trim())) throw new InvalidParticipants(`${where} (${study}): outcome "${row.outcome}" is not a number`, src);
      if (entry.outcome !== undefined && entry.outcome !== o) throw new InvalidParticipants(`${where} (${study}): outcome ${o} differs from ${entry.outcome} on an earlier row of the same study`, src);
      entry.outcome = o;
    }
    if (byMask && row.mask) entry.masks.push(row.mask);
    else if (byCoords) {
      const c = ['x', 'y', 'z'].map((k) => Number(row[k]));
      if (!c.every(Number.isFinite) || ['x', 'y', 'z'].some((k) => !DECIMAL.test((row[k] ?? '').trim()))) {
        throw new InvalidParticipants(`${where} (${study}): coordinates (${row.x}, ${row.y}, ${row.z}) are not numbers (decimal numbers, e.g. -12.5)`, src);
      }
      if (c.some((x) => Math.abs(x) > 200)) throw new InvalidParticipants(`${where} (${study}): (${c.join(', ')}) is outside any MNI brain (|coordinate| > 200 mm)`, src);
      entry.coords.push(c as [number, number, number]);
      if (table.columns.includes('amplitude')) {
        // stimulation settings of this contact: the seed is its VAT sphere (Mädler & Coenen 2012 radius)
        const mode = (row.mode ?? 'voltage').trim() || 'voltage';
        if (mode !== 'voltage' && mode !== 'current') throw new InvalidParticipants(`${where} (${study}): mode "${row.mode}" must be voltage or current`, src);
        const num = (k: string) => ((row[k] ?? '').trim() === '' ? undefined : Number(row[k]));
        const setting: StimulationSetting = { amplitude: num('amplitude') ?? NaN, mode, ...(num('pulseWidth') !== undefined ? { pulseWidthUs: num('pulseWidth')! } : {}), ...(num('impedance') !== undefined ? { impedanceOhm: num('impedance')! } : {}) };
        try {
          vatRadiusMm(setting, where);
        } catch (e) {
          throw new InvalidParticipants(`${where} (${study}): ${(e as Error).message}`, src);
        }
        (entry.settings ??= []).push(setting);
      }
    } else throw new InvalidParticipants(`${where} (${study}): neither coordinates nor a mask`, src);
  });
  if (studies.size === 0) throw new EmptyData(`${src} lists no seed`, src);
  return studies;
}

interface SeedGeometry {
  grid: { dims: [number, number, number]; affine: number[]; pixdim: [number, number, number] };
  header: NiftiHeader;
  cmask: Uint8Array;
  compact: Int32Array;
  nVox: number;
  radius: number;
  diameter: number;
}

/** One study's seed on the connectome: sphere voxels (weight 1) plus mask weights, inside the connectome mask. */
async function seedOf(study: string, entry: { coords: readonly (readonly [number, number, number])[]; masks: string[]; outcome?: number; settings?: StimulationSetting[] }, src: string, baseUri: string, geo: SeedGeometry): Promise<{ record: SeedRecord; info: Omit<StudySeed, 'set'> }> {
  const { nVox, cmask, compact } = geo;
  const weight = new Float64Array(nVox);
  let vatRadiiMm: number[] | undefined;
  if (entry.coords.length && entry.settings) {
    const vat = vatMask(geo.grid, entry.coords.map((c, i) => ({ mm: c, setting: entry.settings![i]! })), cmask, `${src} (${study})`);
    vatRadiiMm = vat.radiiMm;
    for (let g = 0; g < nVox; g++) if (vat.mask[g]) weight[g] = 1;
  } else if (entry.coords.length) {
    const m = sphereMask(geo.grid, entry.coords as [number, number, number][], geo.radius, cmask, `${src} (${study})`);
    for (let g = 0; g < nVox; g++) if (m[g]) weight[g] = 1;
  }
  let maskUri: string | undefined;
  for (const ref of entry.masks) {
    maskUri = resolveRef(ref, baseUri);
    const field = `${src} (${study}) mask`;
    if (!(await existsUri(maskUri))) throw new MissingInput(`${field}: ${maskUri} does not exist`, field);
    const vol = readVolume(await readUri(maskUri), field);
    assertSameSpace(geo.header, vol.header, field);
    for (let g = 0; g < nVox; g++) {
      const w = vol.data[g]!;
      // weights: non-finite or |w| < 1e-4 count as 0 (as Lead-DBS)
      if (cmask[g] && Number.isFinite(w) && Math.abs(w) >= 1e-4) weight[g] += w;
    }
  }
  const index: number[] = [];
  const w: number[] = [];
  for (let g = 0; g < nVox; g++) if (weight[g] !== 0) (index.push(compact[g]!), w.push(weight[g]!));
  if (index.length === 0) {
    throw new EmptyData(
      vatRadiiMm
        ? `${src}: study ${study}'s VAT sphere(s) of radius ${vatRadiiMm.map((r) => r.toFixed(2)).join(', ')} mm hold no voxel of the connectome mask`
        : entry.coords.length
        ? `${src}: study ${study}'s ${entry.coords.length} sphere(s) of ${geo.diameter} mm hold no voxel of the connectome mask`
        : `${src}: study ${study}'s mask has no non-zero voxel inside the connectome mask`,
      src,
    );
  }
  if (w.reduce((a, b) => a + b, 0) === 0) throw new InvalidParameter(`${src}: study ${study}'s seed weights sum to 0`, src);
  return { record: { study, index, weight: w }, info: { study, coordinates: entry.coords.map((c) => [c[0], c[1], c[2]]), maskUri, voxels: index.length, ...(entry.outcome !== undefined ? { outcome: entry.outcome } : {}), ...(vatRadiiMm ? { vatRadiiMm } : {}) } };
}

/** Check a netmap job against the connectome and the seeds; write the context and the seeds' connectome voxels. */
export async function validateNetmap(env: TaskEnv, job: NetmapJob, jobUri: string): Promise<NetmapContext> {
  const baseUri = jobUri.slice(0, jobUri.lastIndexOf('/') + 1);
  const readManifest = async (ref: string, field: string) => {
    const uri = resolveRef(ref, baseUri);
    if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(await readUri(uri)));
    } catch (e) {
      throw new InvalidParameter(`${field}: ${uri} is not JSON (${(e as Error).message})`, field);
    }
    const parsed = connectomeManifestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidParameter(`${field}: ${issue.path.join('.') || 'manifest'}: ${issue.message}`, field);
    }
    return { uri, manifest: parsed.data, base: uri.slice(0, uri.lastIndexOf('/') + 1) };
  };
  const primary = await readManifest(job.inputs.connectome, 'inputs.connectome');
  const connectomeUri = primary.uri;
  const manifest = primary.manifest;
  const connectomeBase = primary.base;
  const maskVol = readVolume(await readUri(resolveRef(manifest.mask, connectomeBase)), 'connectome mask', 'inputs.connectome');
  const h = maskVol.header;
  const dims: [number, number, number] = [h.dims[0]!, h.dims[1]!, h.dims[2]!];
  if (dims.some((d, i) => d !== manifest.grid.dims[i])) {
    throw new InvalidParameter(`connectome mask is ${dims.join('×')}; the manifest says ${manifest.grid.dims.join('×')}`, 'inputs.connectome');
  }
  const nVox = dims[0] * dims[1] * dims[2];
  const cmask = new Uint8Array(nVox);
  let V = 0;
  for (let g = 0; g < nVox; g++) if (maskVol.data[g] !== 0 && Number.isFinite(maskVol.data[g]!)) (cmask[g] = 1), V++;
  if (V !== manifest.voxels) throw new InvalidParameter(`connectome mask holds ${V} voxels; the manifest says ${manifest.voxels}`, 'inputs.connectome');
  const compact = new Int32Array(nVox).fill(-1);
  for (let g = 0, q = 0; g < nVox; g++) if (cmask[g]) compact[g] = q++;

  const subjects = manifest.subjects.map((s) => ({ id: s.id, uri: resolveRef(s.file, connectomeBase), runs: s.runs }));
  checkUniqueSubjects(subjects, 'inputs.connectome');
  await checkSubjectFiles(subjects, V, 'inputs.connectome');

  const extras: { name: string; uri: string; manifest: typeof manifest; subjects: typeof subjects }[] = [];
  for (const [name, ref] of Object.entries(job.inputs.connectomes ?? {})) {
    const field = `inputs.connectomes.${name}`;
    const x = await readManifest(ref, field);
    const mv = readVolume(await readUri(resolveRef(x.manifest.mask, x.base)), `${field} mask`, field);
    assertSameSpace(h, mv.header, `${field} mask`);
    for (let g = 0; g < nVox; g++) {
      const inside = mv.data[g] !== 0 && Number.isFinite(mv.data[g]!);
      if (inside !== (cmask[g] === 1)) throw new InvalidParameter(`${field}: its mask differs from inputs.connectome's (voxel ${g}); further connectomes must share the primary's grid and mask`, field);
    }
    const xs = x.manifest.subjects.map((s) => ({ id: s.id, uri: resolveRef(s.file, x.base), runs: s.runs }));
    if (x.manifest.voxels !== V) throw new InvalidParameter(`${field}: its manifest says ${x.manifest.voxels} voxels; inputs.connectome's mask holds ${V}`, field);
    checkUniqueSubjects(xs, field);
    await checkSubjectFiles(xs, V, field);
    extras.push({ name, uri: x.uri, manifest: x.manifest, subjects: xs });
  }
  const sweepSpec = job.params.sweep;
  const threshold = sweepSpec?.thresholds?.[0] ?? job.params.threshold;
  const diameterMm = sweepSpec?.sphereDiameterMm?.[0] ?? job.params.sphereDiameterMm;
  const grouping = [...(sweepSpec?.subsets ?? []), ...(sweepSpec?.leaveOneOut ?? [])];
  const grid = { dims, affine: Array.from(h.affine), pixdim: [Math.abs(h.pixdim[0]!), Math.abs(h.pixdim[1]!), Math.abs(h.pixdim[2]!)] as [number, number, number] };
  const seedRecords: SeedRecord[] = [];
  const studySeeds: StudySeed[] = [];
  const controls = job.inputs.controls;
  if (!controls && !job.params.randomControls && job.params.specificity) throw new InvalidParameter('params.specificity needs inputs.controls or params.randomControls (the control studies\' seeds)', 'params.specificity');
  const named = typeof controls === 'object' || job.params.randomControls !== undefined;
  if (typeof controls === 'object' && 'random' in controls && job.params.randomControls) throw new InvalidParameter('inputs.controls names a set "random", the name of params.randomControls\' set', 'inputs.controls');
  if (typeof controls === 'object' && Object.keys(controls).length === 0) throw new InvalidParameter('inputs.controls names no control set', 'inputs.controls');
  const geoAt = (D: number): SeedGeometry => ({ grid, header: h, cmask, compact, nVox, radius: D / 2, diameter: D });
  const studyEntries: [string, SeedEntry][] = [];
  const addTable = async (text: string, ref: string, field: string, set: 'study' | 'control', controlSet?: string) => {
    const studies = readSeedTable(text, ref, set === 'study' ? grouping : []);
    for (const [study, entry] of [...studies.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (seedRecords.some((r) => r.study === study)) throw new InvalidParticipants(`${ref}: study "${study}" also appears in ${job.inputs.seeds} or another control set; study names must be unique across seeds and controls`, field);
      const rec = await seedOf(study, entry, ref, baseUri, geoAt(diameterMm));
      seedRecords.push(rec.record);
      studySeeds.push({ ...rec.info, set, ...(controlSet !== undefined ? { controlSet } : {}) });
      if (set === 'study') studyEntries.push([study, entry]);
    }
  };
  const readTable = async (ref: string, field: string) => {
    const uri = resolveRef(ref, baseUri);
    if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
    return new TextDecoder().decode(await readUri(uri));
  };
  await addTable(await readTable(job.inputs.seeds, 'inputs.seeds'), job.inputs.seeds, 'inputs.seeds', 'study');
  if (typeof controls === 'string') await addTable(await readTable(controls, 'inputs.controls'), controls, 'inputs.controls', 'control', named ? 'controls' : undefined);
  else if (controls) for (const [name, ref] of Object.entries(controls)) await addTable(await readTable(ref, `inputs.controls.${name}`), ref, `inputs.controls.${name}`, 'control', name);
  let randomTable: string | undefined;
  if (job.params.randomControls) {
    const rc = job.params.randomControls;
    const within = Uint8Array.from(cmask);
    if (rc.mask) {
      const field = 'params.randomControls.mask';
      const uri = resolveRef(rc.mask, baseUri);
      if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
      const vol = readVolume(await readUri(uri), field);
      assertSameSpace(h, vol.header, field);
      for (let g = 0; g < nVox; g++) if (!(vol.data[g] !== 0 && Number.isFinite(vol.data[g]!))) within[g] = 0;
    }
    const withCoords = studyEntries.filter(([, e]) => e.coords.length > 0).map(([study, e]) => ({ study, coords: e.coords }));
    if (withCoords.length === 0) throw new EmptyData('params.randomControls redistributes coordinates, and no study of inputs.seeds has any', 'params.randomControls');
    randomTable = controlsTable(randomCoordinateControls(withCoords, { dims, affine: grid.affine }, within, { seed: job.seed, repetitions: rc.repetitions }, 'params.randomControls'));
    await addTable(randomTable, 'params.randomControls', 'params.randomControls', 'control', 'random');
  }
  let sweep: NetmapContext['sweep'];
  if (sweepSpec) {
    // one seed slot per distinct seed: a mask study is the same seed at every diameter, a one-coordinate
    // study's per-coordinate seed is its main seed
    const slotOf = new Map<string, number>(seedRecords.map((r, k) => [`${r.index.join(',')}|${r.weight.join(',')}`, k]));
    const plan = planSweep(sweepSpec, studyEntries.map(([study, e]) => ({ study, coords: e.coords, columns: e.columns })), { threshold, diameterMm });
    const geometries: Record<string, number> = {};
    const entryOf = new Map(studyEntries);
    for (const g of plan.geometries) {
      const entry = entryOf.get(g.study)!;
      const perCoordinate = g.id.includes('#');
      const rec = (await seedOf(g.study, { coords: g.coords, masks: perCoordinate ? [] : entry.masks }, job.inputs.seeds, baseUri, geoAt(g.diameterMm))).record;
      const key = `${rec.index.join(',')}|${rec.weight.join(',')}`;
      let k = slotOf.get(key);
      if (k === undefined) {
        k = seedRecords.length;
        seedRecords.push({ ...rec, study: g.id });
        slotOf.set(key, k);
      }
      geometries[g.id] = k;
    }
    sweep = { geometries, variants: plan.variants };
  }
  if (job.params.dbs) {
    const missing = studySeeds.filter((x) => x.set === 'study' && x.outcome === undefined).map((x) => x.study);
    if (missing.length) throw new InvalidParticipants(`params.dbs needs an outcome for every study; ${job.inputs.seeds} has none for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, job.inputs.seeds);
  }
  if (job.params.specificity) {
    const nS = studySeeds.filter((s) => s.set === 'study').length;
    const bySet = new Map<string, number>();
    for (const x of studySeeds) if (x.set === 'control') bySet.set(x.controlSet ?? 'controls', (bySet.get(x.controlSet ?? 'controls') ?? 0) + 1);
    for (const [set, nC] of bySet) if (nS < 2 || nC < 2) throw new EmptyData(`specificity needs at least 2 studies and 2 controls per set (got ${nS} studies and ${nC} in ${named ? `control set ${set}` : 'inputs.controls'})`, 'params.specificity');
  }

  let maskUri: string | undefined;
  if (job.inputs.mask) {
    maskUri = resolveRef(job.inputs.mask, baseUri);
    if (!(await existsUri(maskUri))) throw new MissingInput(`inputs.mask: ${maskUri} does not exist`, 'inputs.mask');
    assertSameSpace(h, readVolume(await readUri(maskUri), 'inputs.mask').header, 'inputs.mask');
  }

  const onGrid = async (ref: string | undefined, field: string) => {
    if (!ref) return undefined;
    const uri = resolveRef(ref, baseUri);
    if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
    const vol = readVolume(await readUri(uri), field);
    assertSameSpace(h, vol.header, field);
    return { uri, data: vol.data };
  };
  const atlas = await onGrid(job.inputs.atlas, 'inputs.atlas');
  const reference = await onGrid(job.inputs.reference, 'inputs.reference');
  let atlasLabelsUri: string | undefined;
  if (job.inputs.atlasLabels) {
    atlasLabelsUri = resolveRef(job.inputs.atlasLabels, baseUri);
    if (!(await existsUri(atlasLabelsUri))) throw new MissingInput(`inputs.atlasLabels: ${atlasLabelsUri} does not exist`, 'inputs.atlasLabels');
  }
  const wanted = job.params.validation.atlasLabels;
  if (wanted) {
    if (!atlas) throw new InvalidParameter('params.validation.atlasLabels needs inputs.atlas', 'params.validation.atlasLabels');
    const present = new Set<number>();
    for (let g = 0; g < nVox; g++) if (cmask[g] && atlas.data[g] !== 0) present.add(Math.round(atlas.data[g]!));
    const absent = wanted.filter((l) => !present.has(l));
    if (absent.length) throw new InvalidParameter(`params.validation.atlasLabels: label(s) ${absent.join(', ')} do not occur in inputs.atlas inside the connectome mask`, 'params.validation.atlasLabels');
    if (wanted.length >= present.size) throw new InvalidParameter(`params.validation.atlasLabels names ${wanted.length} of the atlas's ${present.size} labels; random label sets of that size cannot form a null`, 'params.validation.atlasLabels');
  }

  let roiGroups: NetmapContext['roiGroups'];
  if (job.params.roiTests) {
    const groups = Object.entries(job.params.roiTests.groups);
    if (groups.length !== 2) throw new InvalidParameter(`params.roiTests.groups names ${groups.length} group(s); the test compares exactly two`, 'params.roiTests.groups');
    roiGroups = [];
    for (const [group, ref] of groups) {
      const field = `params.roiTests.groups.${group}`;
      const entries = readSeedTable(await readTable(ref, field), ref);
      const studies = [...entries.entries()].map(([study, e]) => {
        if (e.coords.length === 0) throw new InvalidParticipants(`${ref}: study ${study} has no coordinates (an ROI test needs x, y, z)`, ref);
        return { study, coords: e.coords };
      });
      if (studies.length < 2) throw new EmptyData(`${field}: ${ref} lists ${studies.length} study; a group needs at least 2`, field);
      roiGroups.push({ group, studies });
    }
  }
  let lesionGroups: NetmapContext['lesionGroups'];
  if (job.params.lesionTests) {
    const groups = Object.entries(job.params.lesionTests.groups);
    if (groups.length !== 2) throw new InvalidParameter(`params.lesionTests.groups names ${groups.length} group(s); the test compares exactly two`, 'params.lesionTests.groups');
    lesionGroups = [];
    for (const [group, refs] of groups) {
      const masks: { name: string; uri: string }[] = [];
      for (const [i, ref] of refs.entries()) {
        const field = `params.lesionTests.groups.${group}[${i}]`;
        const uri = resolveRef(ref, baseUri);
        if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
        assertSameSpace(h, readVolume(await readUri(uri), field).header, field);
        masks.push({ name: ref.slice(ref.lastIndexOf('/') + 1), uri });
      }
      lesionGroups.push({ group, masks });
    }
  }
  let roi: { source: SeedRecord; targets: SeedRecord[]; names: { name: string; group: string }[] } | undefined;
  if (job.params.roiConnectivity) {
    const rc = job.params.roiConnectivity;
    const toRecord = (name: string, weight: Float64Array, field: string): SeedRecord => {
      const index: number[] = [];
      const w: number[] = [];
      for (let g = 0; g < nVox; g++) if (cmask[g] && weight[g] !== 0 && Number.isFinite(weight[g]!) && Math.abs(weight[g]!) >= 1e-4) (index.push(compact[g]!), w.push(weight[g]!));
      if (index.length === 0) throw new EmptyData(`${field}: ROI ${name} holds no voxel of the connectome mask`, field);
      if (w.reduce((a, b) => a + b, 0) === 0) throw new InvalidParameter(`${field}: ROI ${name}'s weights sum to 0`, field);
      return { study: name, index, weight: w };
    };
    const sphereW = (c: [number, number, number], D: number, field: string) => Float64Array.from(sphereMask(grid, [c], D / 2, cmask, field));
    const maskW = async (ref: string, field: string) => {
      const uri = resolveRef(ref, baseUri);
      if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
      const vol = readVolume(await readUri(uri), field);
      assertSameSpace(h, vol.header, field);
      return Float64Array.from(vol.data);
    };
    const src = rc.source;
    const source = toRecord('source', 'mask' in src ? await maskW(src.mask, 'params.roiConnectivity.source.mask') : sphereW([src.x, src.y, src.z], src.diameterMm, 'params.roiConnectivity.source'), 'params.roiConnectivity.source');
    const ref = rc.targets;
    const table = parseTable(await readTable(ref, 'params.roiConnectivity.targets'), ref);
    for (const c of ['name', 'group']) if (!table.columns.includes(c)) throw new InvalidParticipants(`${ref} has no column "${c}" (columns: ${table.columns.join(', ')})`, ref);
    const byMask = table.columns.includes('mask');
    if (!byMask && !['x', 'y', 'z'].every((c) => table.columns.includes(c))) throw new InvalidParticipants(`${ref} needs columns x, y, z (MNI mm) or a column "mask"`, ref);
    const targets: SeedRecord[] = [];
    const names: { name: string; group: string }[] = [];
    for (const [i, row] of table.rows.entries()) {
      const where = `${ref} row ${i + 1}`;
      const name = (row.name ?? '').trim();
      const group = (row.group ?? '').trim();
      if (!name || !group) throw new InvalidParticipants(`${where}: name and group must not be empty`, ref);
      if (names.some((n) => n.name === name)) throw new InvalidParticipants(`${where}: target ${name} is listed twice`, ref);
      let weight: Float64Array;
      if (byMask && row.mask) weight = await maskW(row.mask, `${where} mask`);
      else {
        const c = ['x', 'y', 'z'].map((k) => Number(row[k]));
        if (!c.every(Number.isFinite) || ['x', 'y', 'z'].some((k) => !DECIMAL.test((row[k] ?? '').trim()))) throw new InvalidParticipants(`${where} (${name}): coordinates (${row.x}, ${row.y}, ${row.z}) are not numbers`, ref);
        weight = sphereW(c as [number, number, number], rc.diameterMm, where);
      }
      targets.push(toRecord(name, weight, where));
      names.push({ name, group });
    }
    if (new Set(names.map((n) => n.group)).size < 2) throw new InvalidParameter(`${ref}: the targets form ${new Set(names.map((n) => n.group)).size} group; the ANOVA compares at least 2`, 'params.roiConnectivity.targets');
    roi = { source, targets, names };
  }
  let dbsExternalUri: string | undefined;
  if (job.params.dbs?.external) dbsExternalUri = (await onGrid(job.params.dbs.external, 'params.dbs.external'))!.uri;
  if (job.params.dbs?.peakLabels && !atlas) throw new InvalidParameter('params.dbs.peakLabels needs inputs.atlas', 'params.dbs.peakLabels');
  if (job.params.dbs?.sweetSpots && !job.params.dbs.peakLabels) throw new InvalidParameter('params.dbs.sweetSpots needs params.dbs.peakLabels (the region whose peak is compared)', 'params.dbs.sweetSpots');
  if (job.params.validation.labelValues && !atlas) throw new InvalidParameter('params.validation.labelValues needs inputs.atlas', 'params.validation.labelValues');

  const { specHash, workDir, resultsDir, inputs: fingerprints } = await jobLocation(env, job.jobId, {
    job,
    manifest,
    seedRecords,
    connectomeUri,
    connectomeMask: resolveRef(manifest.mask, connectomeBase),
    subjects,
    maskUri,
    atlasUri: atlas?.uri,
    atlasLabelsUri,
    referenceUri: reference?.uri,
    lesionGroups,
    roiSeeds: roi,
    dbsExternalUri,
    extras: extras.map((x) => ({ name: x.name, uri: x.uri, subjects: x.subjects })),
  });
  // a pass's key also covers the bytes of its connectome files (their fingerprints), so a connectome
  // replaced in place never reuses old seed maps
  const tokensOf = (uris: string[]) => {
    const want = new Set(uris);
    return fingerprints.filter((f) => want.has(f.uri)).map((f) => [f.uri, f.token]);
  };
  // the connectome pass depends on the connectome, the seeds and the chunk partition alone (not on thresholds or reduce
  // settings); the partition is in the hash because chunk files are keyed by index, so another shard size starts a new pass
  const chunks = planChunks(subjects.length, job.budget.maxConcurrency, job.params.subjectsPerShard);
  const passHash = createHash('sha256').update(JSON.stringify({ manifest, files: tokensOf([connectomeUri, resolveRef(manifest.mask, connectomeBase), ...subjects.map((x) => x.uri)]), seedRecords, chunks, ...(roi ? { roi: { source: roi.source, targets: roi.targets } } : {}) })).digest('hex').slice(0, 12);
  const passDir = env.layout.work(job.jobId, `pass-${passHash}`);
  const connectomes = extras.map((x) => {
    const xChunks = planChunks(x.subjects.length, job.budget.maxConcurrency, job.params.subjectsPerShard);
    const hash = createHash('sha256').update(JSON.stringify({ manifest: x.manifest, files: tokensOf([x.uri, ...x.subjects.map((y) => y.uri)]), seedRecords, chunks: xChunks })).digest('hex').slice(0, 12);
    return { name: x.name, connectomeUri: x.uri, subjects: x.subjects, passDir: env.layout.work(job.jobId, `pass-${hash}`) };
  });
  const ctx: NetmapContext = {
    jobId: job.jobId,
    specHash,
    jobUri,
    job,
    connectomeUri,
    connectomeBase,
    connectomeName: manifest.name,
    grid,
    voxels: V,
    subjects,
    studies: studySeeds,
    maskUri,
    atlasUri: atlas?.uri,
    atlasLabelsUri,
    referenceUri: reference?.uri,
    workDir,
    resultsDir,
    ...(roiGroups ? { roiGroups } : {}),
    ...(connectomes.length ? { connectomes } : {}),
    ...(dbsExternalUri ? { dbsExternalUri } : {}),
    ...(roi ? { roiTargets: roi.names } : {}),
    ...(lesionGroups ? { lesionGroups } : {}),
    ...(randomTable ? { randomControlsKey: `${workDir}/random-controls.csv` } : {}),
    passDir,
    slots: seedRecords.length,
    threshold,
    diameterMm,
    ...(sweep ? { sweep } : {}),
  };
  if (randomTable) await env.store.put(ctx.randomControlsKey!, randomTable);
  if (roi) await env.store.put(keys.roiSeeds(workDir), JSON.stringify({ source: roi.source, targets: roi.targets }));
  await env.store.put(keys.seeds(workDir), JSON.stringify(seedRecords));
  await env.store.put(keys.connectomeMask(workDir), cmask);
  await env.store.put(keys.context(workDir), JSON.stringify(ctx));
  return ctx;
}
