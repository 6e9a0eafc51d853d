import { jobLocation } from '../common/context.ts';
import { EmptyData, InvalidParameter, InvalidParticipants, MissingInput } from '../../errors.ts';
import { parseTable } from '../../jobs/table.ts';
import { assertSameSpace, readNifti } from '../../nifti/index.ts';
import type { NiftiHeader } from '../../nifti/index.ts';
import { existsUri, readUri, resolveRef } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { connectomeManifestSchema } from '../../netmap/connectome.ts';
import { sphereMask } from '../../volume/spheres.ts';
import type { NetmapJob } from './job.ts';
import { keys } from './context.ts';
import type { NetmapContext, StudySeed } from './context.ts';

const STUDY = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$/;

interface SeedRecord {
  study: string;
  index: number[];
  weight: number[];
}

type SeedEntries = Map<string, { coords: [number, number, number][]; masks: string[]; outcome?: number }>;

/** Rows of a seeds table grouped by study: coordinates (x, y, z) or masks. */
function readSeedTable(text: string, src: string): SeedEntries {
  const table = parseTable(text, src);
  if (!table.columns.includes('study')) throw new InvalidParticipants(`${src} has no column "study" (columns: ${table.columns.join(', ')})`, src);
  const byCoords = ['x', 'y', 'z'].every((c) => table.columns.includes(c));
  const byMask = table.columns.includes('mask');
  if (!byCoords && !byMask) throw new InvalidParticipants(`${src} needs columns x, y, z (MNI mm) or a column "mask"`, src);
  const studies: SeedEntries = new Map();
  table.rows.forEach((row, i) => {
    const where = `${src} row ${i + 1}`;
    const study = row.study ?? '';
    if (!STUDY.test(study)) throw new InvalidParticipants(`${where}: study "${study}" must be letters, digits, ".", "_", "+" or "-" (it names output files)`, src);
    const entry = studies.get(study) ?? { coords: [], masks: [] };
    studies.set(study, entry);
    if (table.columns.includes('outcome') && (row.outcome ?? '').trim() !== '') {
      const o = Number(row.outcome);
      if (!Number.isFinite(o)) throw new InvalidParticipants(`${where} (${study}): outcome "${row.outcome}" is not a number`, src);
      if (entry.outcome !== undefined && entry.outcome !== o) throw new InvalidParticipants(`${where} (${study}): outcome ${o} differs from ${entry.outcome} on an earlier row of the same study`, src);
      entry.outcome = o;
    }
    if (byMask && row.mask) entry.masks.push(row.mask);
    else if (byCoords) {
      const c = ['x', 'y', 'z'].map((k) => Number(row[k]));
      if (!c.every(Number.isFinite) || ['x', 'y', 'z'].some((k) => (row[k] ?? '').trim() === '')) {
        throw new InvalidParticipants(`${where} (${study}): coordinates (${row.x}, ${row.y}, ${row.z}) are not numbers`, src);
      }
      if (c.some((x) => Math.abs(x) > 200)) throw new InvalidParticipants(`${where} (${study}): (${c.join(', ')}) is outside any MNI brain (|coordinate| > 200 mm)`, src);
      entry.coords.push(c as [number, number, number]);
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
async function seedOf(study: string, entry: { coords: [number, number, number][]; masks: string[]; outcome?: number }, src: string, baseUri: string, geo: SeedGeometry): Promise<{ record: SeedRecord; info: Omit<StudySeed, 'set'> }> {
  const { nVox, cmask, compact } = geo;
  const weight = new Float64Array(nVox);
  if (entry.coords.length) {
    const m = sphereMask(geo.grid, entry.coords, geo.radius, cmask, `${src} (${study})`);
    for (let g = 0; g < nVox; g++) if (m[g]) weight[g] = 1;
  }
  let maskUri: string | undefined;
  for (const ref of entry.masks) {
    maskUri = resolveRef(ref, baseUri);
    const field = `${src} (${study}) mask`;
    if (!(await existsUri(maskUri))) throw new MissingInput(`${field}: ${maskUri} does not exist`, field);
    const vol = readNifti(await readUri(maskUri), field);
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
      entry.coords.length
        ? `${src}: study ${study}'s ${entry.coords.length} sphere(s) of ${geo.diameter} mm hold no voxel of the connectome mask`
        : `${src}: study ${study}'s mask has no non-zero voxel inside the connectome mask`,
      src,
    );
  }
  if (w.reduce((a, b) => a + b, 0) === 0) throw new InvalidParameter(`${src}: study ${study}'s seed weights sum to 0`, src);
  return { record: { study, index, weight: w }, info: { study, coordinates: entry.coords, maskUri, voxels: index.length, ...(entry.outcome !== undefined ? { outcome: entry.outcome } : {}) } };
}

/** Check a netmap job against the connectome and the seeds; write the context and the seeds' connectome voxels. */
export async function validateNetmap(env: TaskEnv, job: NetmapJob, jobUri: string): Promise<NetmapContext> {
  const baseUri = jobUri.slice(0, jobUri.lastIndexOf('/') + 1);
  const connectomeUri = resolveRef(job.inputs.connectome, baseUri);
  if (!(await existsUri(connectomeUri))) throw new MissingInput(`inputs.connectome: ${connectomeUri} does not exist`, 'inputs.connectome');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await readUri(connectomeUri)));
  } catch (e) {
    throw new InvalidParameter(`inputs.connectome: ${connectomeUri} is not JSON (${(e as Error).message})`, 'inputs.connectome');
  }
  const parsed = connectomeManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidParameter(`inputs.connectome: ${issue.path.join('.') || 'manifest'}: ${issue.message}`, 'inputs.connectome');
  }
  const manifest = parsed.data;
  const connectomeBase = connectomeUri.slice(0, connectomeUri.lastIndexOf('/') + 1);
  const maskVol = readNifti(await readUri(resolveRef(manifest.mask, connectomeBase)), 'connectome mask');
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
  const missing: string[] = [];
  await Promise.all(subjects.map(async (s) => (!(await existsUri(s.uri)) ? missing.push(s.id) : undefined)));
  if (missing.length) throw new MissingInput(`connectome: ${missing.length} subject file(s) missing (${missing.sort().slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`, 'inputs.connectome');

  const grid = { dims, affine: Array.from(h.affine), pixdim: [Math.abs(h.pixdim[0]!), Math.abs(h.pixdim[1]!), Math.abs(h.pixdim[2]!)] as [number, number, number] };
  const seedRecords: SeedRecord[] = [];
  const studySeeds: StudySeed[] = [];
  const sets: [string, string, 'study' | 'control'][] = [[job.inputs.seeds, 'inputs.seeds', 'study']];
  if (job.inputs.controls) sets.push([job.inputs.controls, 'inputs.controls', 'control']);
  else if (job.params.specificity) throw new InvalidParameter('params.specificity needs inputs.controls (the control studies\' seeds)', 'params.specificity');
  for (const [ref, field, set] of sets) {
    const uri = resolveRef(ref, baseUri);
    if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
    const studies = readSeedTable(new TextDecoder().decode(await readUri(uri)), ref);
    for (const [study, entry] of [...studies.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (seedRecords.some((r) => r.study === study)) throw new InvalidParticipants(`${ref}: study "${study}" also appears in ${job.inputs.seeds}; study names must be unique across seeds and controls`, field);
      const rec = await seedOf(study, entry, ref, baseUri, { grid, header: h, cmask, compact, nVox, radius: job.params.sphereDiameterMm / 2, diameter: job.params.sphereDiameterMm });
      seedRecords.push(rec.record);
      studySeeds.push({ ...rec.info, set });
    }
  }
  if (job.params.dbs) {
    const missing = studySeeds.filter((x) => x.set === 'study' && x.outcome === undefined).map((x) => x.study);
    if (missing.length) throw new InvalidParticipants(`params.dbs needs an outcome for every study; ${job.inputs.seeds} has none for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, job.inputs.seeds);
  }
  if (job.params.specificity) {
    const nS = studySeeds.filter((s) => s.set === 'study').length;
    const nC = studySeeds.length - nS;
    if (nS < 2 || nC < 2) throw new EmptyData(`specificity needs at least 2 studies and 2 controls (got ${nS} and ${nC})`, 'params.specificity');
  }

  let maskUri: string | undefined;
  if (job.inputs.mask) {
    maskUri = resolveRef(job.inputs.mask, baseUri);
    if (!(await existsUri(maskUri))) throw new MissingInput(`inputs.mask: ${maskUri} does not exist`, 'inputs.mask');
    assertSameSpace(h, readNifti(await readUri(maskUri), 'inputs.mask').header, 'inputs.mask');
  }

  const onGrid = async (ref: string | undefined, field: string) => {
    if (!ref) return undefined;
    const uri = resolveRef(ref, baseUri);
    if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
    const vol = readNifti(await readUri(uri), field);
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

  const { specHash, workDir, resultsDir } = await jobLocation(env, job.jobId, {
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
  };
  await env.store.put(keys.seeds(workDir), JSON.stringify(seedRecords));
  await env.store.put(keys.connectomeMask(workDir), cmask);
  await env.store.put(keys.context(workDir), JSON.stringify(ctx));
  return ctx;
}
