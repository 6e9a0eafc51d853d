import { jobLocation } from '../common/context.ts';
import { EmptyData, InvalidParameter, MissingInput, NeuroburstError } from '../../errors.ts';
import type { GlmJob } from './job.ts';
import type { GlmParams } from './params.ts';
import { parseTable, type Table } from '../../jobs/table.ts';
import { assertSameSpace, readNifti } from '../../nifti/index.ts';
import type { NiftiHeader } from '../../nifti/index.ts';
import { existsUri, readUri, resolveRef } from '../../storage/index.ts';
import { glmModel } from '../../stats/glm.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { buildDesign, readParticipants } from './design.ts';
import { keys } from './context.ts';
import type { GlmContext } from './context.ts';
import { gridOf } from '../common/grid.ts';
import { readHeaderAt } from '../common/header.ts';
import { blockLabels } from './permute.ts';
import type { Embedding } from '../common/embed.ts';
import { checkFModels, demographicsOf, deviationSubjects, regionAtlas } from './cohort.ts';

function require3d(h: NiftiHeader, input: string, what = 'one 3-D map per subject'): void {
  const extra = h.dims.slice(3).reduce((a, b) => a * b, 1);
  if (extra !== 1) {
    throw new InvalidParameter(`${input} is ${h.dims.length}-D (dims ${h.dims.join('×')}); the glm pipeline needs ${what}`, input);
  }
}

/**
 * Check a glm params block against a participants table before the job that carries it runs
 * (reho's params.group, checked by reho's Validate): every model's design can be fitted.
 * `field` names the block in errors.
 */
export function checkGlmDesign(table: Table, mapColumn: string, params: GlmParams, source: string, field: string): void {
  try {
    const design = buildDesign(readParticipants(table, mapColumn, source), params, source);
    for (const m of design.models) glmModel(Float64Array.from(m.X), m.n, m.p, [Float64Array.from(m.contrast)], `${field}.contrasts (${m.name})`);
  } catch (e) {
    // the design names its fields as a glm job's (params.…): here they sit under `field`
    if (e instanceof NeuroburstError && e.input.startsWith('params.') && field !== 'params') throw new NeuroburstError(e.name, e.message.replaceAll('params.', `${field}.`), `${field}${e.input.slice('params'.length)}`);
    throw e;
  }
}

/**
 * Check a glm job against its inputs and write the context every later stage reads. With
 * `embed` (the job is another workflow's group step) the outputs go to embed.resultsDir and the
 * reducer writes its report as embed.report and its result record to embed.resultKey.
 */
export async function validateGlm(env: TaskEnv, job: GlmJob, jobUri: string, embed?: Embedding): Promise<GlmContext> {
  const baseUri = jobUri.slice(0, jobUri.lastIndexOf('/') + 1);
  const ref = (r: string, field: string) => {
    const uri = resolveRef(r, baseUri);
    return { uri, field };
  };
  const participantsRef = ref(job.inputs.participants, 'inputs.participants');
  if (!(await existsUri(participantsRef.uri))) {
    throw new MissingInput(`inputs.participants: ${participantsRef.uri} does not exist`, 'inputs.participants');
  }
  const tableText = new TextDecoder().decode(await readUri(participantsRef.uri));
  const table = parseTable(tableText, job.inputs.participants);
  const participants = readParticipants(table, job.inputs.mapColumn, job.inputs.participants);
  if (participants.length < 3) {
    throw new EmptyData(`${job.inputs.participants} lists ${participants.length} participant(s); a group analysis needs more`, 'inputs.participants');
  }
  const design = buildDesign(participants, job.params, job.inputs.participants);
  // cohort checks first (named errors before any map is read): F estimability, Table 1, deviation groups
  checkFModels(design.models);
  demographicsOf(table, job.params, job.inputs.mapColumn, job.inputs.participants, design.groups);
  if (job.params.deviation) deviationSubjects(participants, job.params.deviation);
  for (const m of design.models) if (m.kind !== 'F') glmModel(Float64Array.from(m.X), m.n, m.p, [Float64Array.from(m.contrast)], `params.contrasts (${m.name})`);

  const subjects = participants.map((p, i) => {
    const field = `${job.inputs.participants} row ${i + 1} (${p.id}) ${job.inputs.mapColumn}`;
    return { id: p.id, group: p.group, map: resolveRef(p.mapRef, baseUri), field };
  });
  const headers = await Promise.all(subjects.map((s) => readHeaderAt(s.map, s.field)));
  const ref0 = headers[0]!;
  headers.forEach((h, i) => {
    require3d(h, subjects[i]!.field);
    assertSameSpace(ref0, h, subjects[i]!.field);
  });
  const optional = async (r: string | undefined, field: string, sameGrid = true) => {
    if (!r) return undefined;
    const { uri } = ref(r, field);
    const h = await readHeaderAt(uri, field);
    require3d(h, field, 'one 3-D image');
    if (sameGrid) assertSameSpace(ref0, h, field);
    // an atlas on another grid is resampled onto the data grid by nearest neighbour (region tables);
    // refused here (NoGridOverlap naming inputs.atlas) when no data voxel falls inside it
    else regionAtlas(job.params, ref0.dims, Float64Array.from(ref0.affine), { labels: readNifti(await readUri(uri), field).data, grid: h });
    return uri;
  };
  const maskUri = await optional(job.inputs.mask, 'inputs.mask');
  // a mask with no voxel in it would leave nothing to test: refused here, before any map is read
  if (maskUri && !readNifti(await readUri(maskUri), 'inputs.mask').data.some((x) => x !== 0 && Number.isFinite(x))) {
    throw new EmptyData('inputs.mask has no voxel in the mask (every value is zero or not finite)', 'inputs.mask');
  }
  const atlasUri = await optional(job.inputs.atlas, 'inputs.atlas', false);
  // a bundled atlas asked for by name must fit the data grid (SpaceMismatch naming params.atlas otherwise)
  if (!atlasUri && job.params.atlas && job.params.atlas !== 'none') regionAtlas(job.params, ref0.dims, Float64Array.from(ref0.affine));
  let atlasLabelsUri: string | undefined;
  if (job.inputs.atlasLabels) {
    atlasLabelsUri = ref(job.inputs.atlasLabels, 'inputs.atlasLabels').uri;
    if (!(await existsUri(atlasLabelsUri))) throw new MissingInput(`inputs.atlasLabels: ${atlasLabelsUri} does not exist`, 'inputs.atlasLabels');
  }

  const blocks = blockLabels(participants.map((p) => p.row), job.params.inference.permutation?.exchangeabilityBlocks, job.inputs.participants);

  const { specHash, workDir, resultsDir } = await jobLocation(env, job.jobId, {
    job,
    participants: participantsRef.uri,
    subjects,
    models: design.models,
    blocks,
    maskUri,
    atlasUri,
    atlasLabelsUri,
  });
  const ctx: GlmContext = {
    jobId: job.jobId,
    specHash,
    jobUri,
    job,
    subjects: subjects.map(({ id, group, map }) => ({ id, group, map })),
    grid: gridOf(ref0),
    models: design.models,
    maskUri,
    atlasUri,
    atlasLabelsUri,
    blocks,
    workDir,
    resultsDir,
  };
  if (embed) Object.assign(ctx, { resultsDir: embed.resultsDir, embedded: { resultKey: embed.resultKey, report: embed.report } });
  await env.store.put(keys.context(ctx.workDir), JSON.stringify(ctx));
  return ctx;
}
