import { createHash } from 'node:crypto';
import { EmptyData, InvalidParameter, MissingInput } from '../../errors.ts';
import { assertSameSpace, readNifti } from '../../nifti/index.ts';
import { existsUri, readUri, resolveRef } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { parseCoordinates } from '../../ale/coordinates.ts';
import { makeGrid } from '../../ale/ale.ts';
import { readHeaderAt } from '../glm/validate.ts';
import type { AleJob } from './job.ts';
import { DEFAULT_MASK_URI, keys, planBatches } from './context.ts';
import type { AleContext } from './context.ts';

/** Check an ale job against its inputs (coordinates parse, mask usable) and write the context. */
export async function validateAle(env: TaskEnv, job: AleJob, jobUri: string): Promise<AleContext> {
  const baseUri = jobUri.slice(0, jobUri.lastIndexOf('/') + 1);
  const coordUri = resolveRef(job.inputs.coordinates, baseUri);
  if (!(await existsUri(coordUri))) throw new MissingInput(`inputs.coordinates: ${coordUri} does not exist`, 'inputs.coordinates');
  const set = parseCoordinates(await readUri(coordUri), job.inputs.coordinates);

  const maskUri = job.inputs.mask ? resolveRef(job.inputs.mask, baseUri) : DEFAULT_MASK_URI;
  const maskField = job.inputs.mask ? 'inputs.mask' : 'bundled mask';
  if (!(await existsUri(maskUri))) throw new MissingInput(`${maskField}: ${maskUri} does not exist`, maskField);
  const maskVol = readNifti(await readUri(maskUri), maskField);
  const h = maskVol.header;
  if (h.dims.slice(3).reduce((a, b) => a * b, 1) !== 1) throw new InvalidParameter(`${maskField} must be a 3-D image (dims ${h.dims.join('×')})`, maskField);
  const grid = makeGrid([h.dims[0]!, h.dims[1]!, h.dims[2]!], h.affine, maskVol.data);
  if (grid.maskIndex.length === 0) throw new EmptyData(`${maskField} has no non-zero voxel`, maskField);

  let atlasUri: string | undefined;
  let atlasLabelsUri: string | undefined;
  if (job.inputs.atlas) {
    atlasUri = resolveRef(job.inputs.atlas, baseUri);
    assertSameSpace(h, await readHeaderAt(atlasUri, 'inputs.atlas'), 'inputs.atlas');
  }
  if (job.inputs.atlasLabels) {
    atlasLabelsUri = resolveRef(job.inputs.atlasLabels, baseUri);
    if (!(await existsUri(atlasLabelsUri))) throw new MissingInput(`inputs.atlasLabels: ${atlasLabelsUri} does not exist`, 'inputs.atlasLabels');
  }
  if (set.experiments.length < 2) throw new EmptyData(`${job.inputs.coordinates} holds ${set.experiments.length} experiment; ALE needs at least two`, 'inputs.coordinates');

  const experiments = set.experiments.map((e) => ({ id: e.id, sampleSize: e.sampleSize, foci: e.foci }));
  const specHash = createHash('sha256').update(JSON.stringify({ job, experiments, maskUri })).digest('hex').slice(0, 12);
  const ctx: AleContext = {
    jobId: job.jobId,
    specHash,
    jobUri,
    job,
    coordinatesFormat: set.format,
    warnings: set.warnings,
    experiments,
    maskUri,
    maskSource: job.inputs.mask ? 'inputs.mask' : 'bundled',
    atlasUri,
    atlasLabelsUri,
    batches: planBatches(job.params.iterations, job.budget.maxConcurrency, job.params.batchSize),
    workDir: env.layout.work(job.jobId, specHash),
    resultsDir: env.layout.results(job.jobId),
  };
  await env.store.put(keys.context(ctx.workDir), JSON.stringify(ctx));
  return ctx;
}
