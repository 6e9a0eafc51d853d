import { jobLocation } from '../common/context.ts';
import { EmptyData, InvalidParameter, InvalidParticipants, MissingInput } from '../../errors.ts';
import { parseTable, type Table } from '../../jobs/table.ts';
import { assertSameSpace, decodeVoxels, gunzipPrefix, imageByteLength, readNifti, slabByteRange } from '../../nifti/index.ts';
import type { NiftiHeader } from '../../nifti/index.ts';
import { tissueVoxels } from '../../reho/signals.ts';
import { existsUri, readUri, resolveRef, sizeUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { readHeaderAt } from '../common/header.ts';
import type { RehoJob } from './job.ts';
import { keys } from './context.ts';
import type { RehoContext, RehoSubject, WmCsfSource } from './context.ts';
import { needsConfounds, needsWmCsf, stepsOf, type GroupParams } from './params.ts';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/**
 * Check params.group against the participants table (`mapColumn` stands in for the szReHo map
 * column the group job will have) before any ReHo work, throwing the named error of a design
 * that cannot be fitted. The pipeline the group step starts supplies it (shared/pipelines/registry.ts).
 */
export type GroupCheck = (table: Table, mapColumn: string, group: GroupParams, source: string) => void;

/** Check a reho job against its inputs and write the context every later stage reads. */
export async function validateReho(env: TaskEnv, job: RehoJob, jobUri: string, checkGroup?: GroupCheck): Promise<RehoContext> {
  const baseUri = jobUri.slice(0, jobUri.lastIndexOf('/') + 1);
  const src = job.inputs.participants;
  const tableUri = resolveRef(src, baseUri);
  if (!(await existsUri(tableUri))) throw new MissingInput(`inputs.participants: ${tableUri} does not exist`, 'inputs.participants');
  const table = parseTable(new TextDecoder().decode(await readUri(tableUri)), src);
  const steps = stepsOf(job.params);
  const p = job.params;
  const { funcColumn, confoundsColumn, wmCsfColumn, wmMaskColumn, csfMaskColumn } = job.inputs;
  for (const col of ['participant_id', funcColumn, ...(needsConfounds(steps) ? [confoundsColumn] : []), ...(p.group ? ['group'] : [])]) {
    if (!table.columns.includes(col)) throw new InvalidParticipants(`${src} has no column "${col}" (columns: ${table.columns.join(', ')})`, src);
  }
  if (table.rows.length === 0) throw new EmptyData(`${src} lists no participant`, 'inputs.participants');
  if (p.group && checkGroup) checkGroup(table, funcColumn, p.group, src);

  const ids = new Set<string>();
  const rows = table.rows.map((row, i) => {
    const id = row.participant_id ?? '';
    const where = `${src} row ${i + 1}`;
    if (!SAFE_ID.test(id)) throw new InvalidParticipants(`${where}: participant_id "${id}" must be letters, digits, ".", "_" or "-" (it names output files)`, src);
    if (ids.has(id)) throw new InvalidParticipants(`${where}: participant_id "${id}" appears twice`, src);
    ids.add(id);
    if (!row[funcColumn]) throw new InvalidParticipants(`${where} (${id}): empty ${funcColumn}`, src);
    if (needsConfounds(steps) && !row[confoundsColumn]) throw new InvalidParticipants(`${where} (${id}): empty ${confoundsColumn} (needed for ${steps.exclusion ? 'motion QC' : 'nuisance regression'})`, src);
    return { id, row, where };
  });

  const headers = await Promise.all(rows.map((r) => readHeaderAt(resolveRef(r.row[funcColumn]!, baseUri), `${r.where} (${r.id}) ${funcColumn}`)));
  const ref0 = headers[0]!;
  const drop = steps.dropVolumes ? p.dropVolumes : 0;
  // job-level WM/CSF masks: read once here, checked for grid and emptiness
  const jobMasks: { wm?: string; csf?: string } = {};
  if (needsWmCsf(steps)) {
    for (const kind of ['wm', 'csf'] as const) {
      const ref = kind === 'wm' ? job.inputs.wmMask : job.inputs.csfMask;
      if (!ref) continue;
      const uri = resolveRef(ref, baseUri);
      await checkTissueMask(uri, `inputs.${kind}Mask`, ref0, p.tissueThreshold);
      jobMasks[kind] = uri;
    }
  }
  const subjects: RehoSubject[] = [];
  for (const [i, r] of rows.entries()) {
    const h = headers[i]!;
    const field = `${r.where} (${r.id}) ${funcColumn}`;
    const nt = h.dims.length >= 4 ? h.dims[3]! : 1;
    if (h.dims.slice(4).some((d) => d !== 1) || nt < 2) {
      throw new InvalidParameter(`${field} is ${h.dims.join('×')}; ReHo needs one 4-D series (x × y × z × time) per subject`, field);
    }
    if (h.dims.slice(0, 3).some((d) => d < 3)) throw new InvalidParameter(`${field}: every spatial dimension must be at least 3 voxels, got ${h.dims.slice(0, 3).join('×')}`, field);
    assertSameSpace(ref0, h, field);
    if (nt - drop < 3) throw new InvalidParameter(`${field} has ${nt} volumes; after dropping ${drop} fewer than 3 remain`, 'params.dropVolumes');
    const tr = p.tr ?? h.tr;
    if (steps.bandpass && !(tr !== undefined && tr > 0)) {
      throw new InvalidParameter(`${field}: the header gives no repetition time; set params.tr`, 'params.tr');
    }
    if (steps.bandpass) checkBand(p.bandpassHz, tr!, field);
    const opt = async (col: string, needed: boolean) => {
      const v = r.row[col];
      if (!v || !needed) return undefined;
      const uri = resolveRef(v, baseUri);
      if (!(await existsUri(uri))) throw new MissingInput(`${r.where} (${r.id}) ${col}: ${uri} does not exist`, `${r.where} (${r.id}) ${col}`);
      return uri;
    };
    const func = resolveRef(r.row[funcColumn]!, baseUri);
    const wmCsf = await opt(wmCsfColumn, needsConfounds(steps));
    let wmCsfSource: WmCsfSource | undefined;
    let wmMask: string | undefined;
    let csfMask: string | undefined;
    if (needsWmCsf(steps)) {
      // precedence: a wm_csf signals file, then WM/CSF masks (subject cells, then job-level), then the confounds TSV columns
      if (wmCsf) wmCsfSource = 'file';
      else {
        wmMask = (await opt(wmMaskColumn, true)) ?? jobMasks.wm;
        csfMask = (await opt(csfMaskColumn, true)) ?? jobMasks.csf;
        if (wmMask && csfMask) {
          wmCsfSource = 'masks';
          if (wmMask !== jobMasks.wm) await checkTissueMask(wmMask, `${r.where} (${r.id}) ${wmMaskColumn}`, ref0);
          if (csfMask !== jobMasks.csf) await checkTissueMask(csfMask, `${r.where} (${r.id}) ${csfMaskColumn}`, ref0);
        } else if (wmMask || csfMask) {
          const missing = wmMask ? `a CSF mask (${csfMaskColumn} column or inputs.csfMask)` : `a WM mask (${wmMaskColumn} column or inputs.wmMask)`;
          throw new InvalidParticipants(`${r.where} (${r.id}): WM/CSF signals from masks need both masks; ${missing} is missing`, src);
        } else wmCsfSource = 'confounds';
      }
    }
    subjects.push({
      id: r.id,
      group: r.row.group ?? '',
      func,
      confounds: await opt(confoundsColumn, needsConfounds(steps)),
      wmCsf,
      ...(wmCsfSource ? { wmCsfSource } : {}),
      ...(wmMask ? { wmMask, csfMask } : {}),
      volumes: nt,
      tr: tr ?? 0,
      ranged: !(await isGzipAt(func)),
      row: r.row,
    });
  }
  let maskUri: string | undefined;
  let mask: Float32Array | undefined;
  if (job.inputs.mask) {
    maskUri = resolveRef(job.inputs.mask, baseUri);
    const mh = await readHeaderAt(maskUri, 'inputs.mask');
    if (mh.dims.slice(3).some((d) => d !== 1)) throw new InvalidParameter(`inputs.mask is ${mh.dims.join('×')}; the brain mask must be one 3-D image`, 'inputs.mask');
    assertSameSpace(ref0, mh, 'inputs.mask');
    mask = readNifti(await readUri(maskUri), 'inputs.mask').data;
    if (!mask.some((x) => x !== 0 && Number.isFinite(x))) throw new EmptyData('inputs.mask has no voxel in the mask (every value is zero or not finite), so there is no ReHo to compute', 'inputs.mask');
  }
  // a series with nothing in it (all NaN or zero) or nothing changing in it gives no ReHo: refused before any slab is read
  for (const [i, subj] of subjects.entries()) await checkSeries(subj, headers[i]!, drop, mask, `${rows[i]!.where} (${subj.id}) ${funcColumn}`);
  const { specHash, workDir, resultsDir } = await jobLocation(env, job.jobId, { job, tableUri, subjects, jobMasks, maskUri });
  const ctx: RehoContext = {
    jobId: job.jobId,
    specHash,
    jobUri,
    job,
    steps,
    subjects,
    grid: {
      dims: [ref0.dims[0]!, ref0.dims[1]!, ref0.dims[2]!],
      affine: Array.from(ref0.affine),
      pixdim: [Math.abs(ref0.pixdim[0]!), Math.abs(ref0.pixdim[1]!), Math.abs(ref0.pixdim[2]!)],
    },
    maskUri,
    workDir,
    resultsDir,
  };
  await env.store.put(keys.context(ctx.workDir), JSON.stringify(ctx));
  return ctx;
}

/**
 * A WM or CSF mask must be one 3-D image on the func grid (SpaceMismatch otherwise). With a
 * threshold the whole image is read and must hold a voxel above it (EmptyData otherwise).
 */
async function checkTissueMask(uri: string, field: string, ref: NiftiHeader, threshold?: number): Promise<void> {
  const h = await readHeaderAt(uri, field);
  if (h.dims.slice(3).some((d) => d !== 1)) throw new InvalidParameter(`${field} is ${h.dims.join('×')}; a WM/CSF mask must be one 3-D image`, field);
  assertSameSpace(ref, h, field, undefined, 'the func images');
  if (threshold === undefined) return;
  const m = readNifti(await readUri(uri), field).data;
  if (tissueVoxels(m, threshold).length === 0) throw new EmptyData(`${field} has no voxel above params.tissueThreshold ${threshold}`, field);
}

/** The band-pass must lie below the Nyquist frequency 1/(2·TR) of the series, its low edge below its high edge (high 0 = high-pass only). */
function checkBand(band: [number, number], tr: number, field: string): void {
  const [lo, hi] = band;
  const nyquist = 1 / (2 * tr);
  const at = `${field} (TR ${tr} s, Nyquist ${Number(nyquist.toPrecision(4))} Hz)`;
  if (hi > nyquist) throw new InvalidParameter(`params.bandpassHz: the high edge ${hi} Hz is above the Nyquist frequency of ${at}`, 'params.bandpassHz');
  if (lo >= nyquist) throw new InvalidParameter(`params.bandpassHz: the low edge ${lo} Hz is at or above the Nyquist frequency of ${at}; nothing would pass`, 'params.bandpassHz');
  if (hi > 0 && lo >= hi) throw new InvalidParameter(`params.bandpassHz: the low edge ${lo} Hz must be below the high edge ${hi} Hz (or the high edge 0 for high-pass only)`, 'params.bandpassHz');
}

/**
 * Volumes t and t+1 (the first two kept) of a subject's series: ranged reads of an
 * uncompressed file; for gzip, a compressed prefix of about the bytes needed (the whole file
 * when that prefix does not decompress far enough).
 */
async function firstKeptVolumes(subj: RehoSubject, h: NiftiHeader, t: number, input: string): Promise<[Float32Array, Float32Array]> {
  const nz = h.dims[2]!;
  if (subj.ranged) {
    const read = async (k: number) => decodeVoxels(h, await readUri(subj.func, slabByteRange(h, 0, nz, k)), input);
    return [await read(t), await read(t + 1)];
  }
  const vol = imageByteLength({ dims: h.dims.slice(0, 3), datatype: h.datatype });
  const need = h.voxOffset + (t + 2) * vol;
  const size = await sizeUri(subj.func);
  let bytes: Uint8Array;
  try {
    bytes = gunzipPrefix(await readUri(subj.func, { start: 0, end: Math.min(size, Math.ceil(need * 1.01) + (1 << 16)) }), need, input);
  } catch {
    bytes = gunzipPrefix(await readUri(subj.func), need, input);
  }
  const at = (k: number) => decodeVoxels(h, bytes.subarray(h.voxOffset + k * vol, h.voxOffset + (k + 1) * vol), input);
  return [at(t), at(t + 1)];
}

/**
 * Refuse (EmptyData naming the subject's func cell) a series whose first kept volume has no
 * finite non-zero voxel in the mask (an all-NaN or all-zero series), or whose first two kept
 * volumes are identical at every mask voxel (a constant series: real data always change).
 */
async function checkSeries(subj: RehoSubject, h: NiftiHeader, drop: number, mask: Float32Array | undefined, field: string): Promise<void> {
  const [a, b] = await firstKeptVolumes(subj, h, drop, field);
  const inMask = (v: number) => !mask || (mask[v] !== 0 && Number.isFinite(mask[v]!));
  let any = false;
  let changes = false;
  for (let v = 0; v < a.length; v++) {
    if (!inMask(v)) continue;
    const x = a[v]!;
    const y = b[v]!;
    if (Number.isFinite(x) && x !== 0) any = true;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) changes = true;
  }
  if (!any) throw new EmptyData(`${field}: volume ${drop + 1} has no finite non-zero voxel${mask ? ' in inputs.mask' : ''} (an all-NaN or all-zero series gives no ReHo)`, field);
  if (!changes) throw new EmptyData(`${field}: volumes ${drop + 1} and ${drop + 2} are identical at every voxel${mask ? ' of inputs.mask' : ''}: the series is constant, so ReHo is undefined`, field);
}

async function isGzipAt(uri: string): Promise<boolean> {
  const b = await readUri(uri, { start: 0, end: 2 });
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}
