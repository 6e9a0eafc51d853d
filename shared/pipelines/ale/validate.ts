import { jobLocation } from '../common/context.ts';
import { EmptyData, InvalidParameter, MissingInput } from '../../errors.ts';
import { assertSameSpace, readNifti } from '../../nifti/index.ts';
import { existsUri, readUri, resolveRef } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { parseCoordinates } from '../../ale/coordinates.ts';
import { makeGrid } from '../../ale/ale.ts';
import { readHeaderAt } from '../common/header.ts';
import type { AleJob } from './job.ts';
import { DEFAULT_MASK_URI, keys, planBatches, planJackknife } from './context.ts';
import { aleContrastParamsSchema, aleParamsSchema } from './params.ts';
import { placeFoci } from '../../ale/placement.ts';
import { recordWarnings } from '../common/finish.ts';
import type { AleContext } from './context.ts';

const DEFAULT_FWE_ALPHA = aleParamsSchema.shape.fweAlpha.parse(undefined);

/**
 * A cFWE level α needs more than 1/α Monte-Carlo iterations (the smallest FWE p is 1/iterations):
 * levels the job set itself must all be reachable (InvalidParameter naming params.fweAlpha and the
 * iterations needed); with the default levels an unreachable one gives an empty map and a warning.
 */
function checkFweAlpha(levels: readonly number[], iterations: number): string[] {
  const need = (a: number) => Math.floor(1 / a) + 1;
  const unreachable = levels.filter((a) => a <= 1 / iterations);
  if (unreachable.length === 0) return [];
  const isDefault = levels.length === DEFAULT_FWE_ALPHA.length && levels.every((a, i) => a === DEFAULT_FWE_ALPHA[i]);
  const what = unreachable.map((a) => `${a} (needs at least ${need(a)} iterations)`).join(', ');
  if (!isDefault) {
    throw new InvalidParameter(`params.fweAlpha ${what} cannot be reached with params.iterations ${iterations}: the smallest FWE p is 1/${iterations}; use at least ${need(Math.min(...unreachable))} iterations or a larger fweAlpha`, 'params.fweAlpha');
  }
  return [`params.fweAlpha ${what} cannot be reached with ${iterations} iterations: its cFWE map is empty and its extent threshold null`];
}

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
  let set2: ReturnType<typeof parseCoordinates> | undefined;
  if (job.inputs.coordinates2) {
    const uri2 = resolveRef(job.inputs.coordinates2, baseUri);
    if (!(await existsUri(uri2))) throw new MissingInput(`inputs.coordinates2: ${uri2} does not exist`, 'inputs.coordinates2');
    set2 = parseCoordinates(await readUri(uri2), job.inputs.coordinates2);
    if (set2.experiments.length < 2) throw new EmptyData(`${job.inputs.coordinates2} holds ${set2.experiments.length} experiment; an ALE contrast needs at least two per set`, 'inputs.coordinates2');
  } else if (job.params.contrast) {
    throw new InvalidParameter('params.contrast needs inputs.coordinates2 (the second coordinate set)', 'params.contrast');
  }
  if (set.experiments.length < 2) throw new EmptyData(`${job.inputs.coordinates} holds ${set.experiments.length} experiment; ALE needs at least two`, 'inputs.coordinates');

  const mode = job.params.coordinateToVoxel;
  const placed = placeFoci(grid, set.experiments.map((e) => ({ id: e.id, sampleSize: e.sampleSize, foci: e.foci })), mode, job.inputs.coordinates, maskField);
  const placed2 = set2 ? placeFoci(grid, set2.experiments.map((e) => ({ id: e.id, sampleSize: e.sampleSize, foci: e.foci })), mode, job.inputs.coordinates2!, maskField) : undefined;
  const experiments = placed.experiments;
  const experiments2 = placed2?.experiments;
  const fweWarnings = checkFweAlpha(job.params.fweAlpha, job.params.iterations);
  if (job.params.jackknife && experiments.length < 3) throw new InvalidParameter('the jackknife needs at least three experiments (two remain when one is left out)', 'params.jackknife');
  const contrast = set2 ? aleContrastParamsSchema.parse(job.params.contrast ?? {}) : undefined;
  // the smallest label-exchange p is 1/iterations and a voxel needs p < params.contrast.p: otherwise both contrast maps are empty by construction
  if (contrast && 1 / contrast.iterations >= contrast.p) {
    throw new InvalidParameter(
      `params.contrast.p ${contrast.p} cannot be reached with ${contrast.iterations} permutations (the smallest p is 1/${contrast.iterations}); use at least ${Math.floor(1 / contrast.p) + 1} iterations`,
      'params.contrast.iterations',
    );
  }
  const { specHash, workDir, resultsDir } = await jobLocation(env, job.jobId, { job, coordUri, experiments, experiments2, maskUri, atlasUri, atlasLabelsUri });
  const ctx: AleContext = {
    jobId: job.jobId,
    specHash,
    jobUri,
    job,
    coordinatesFormat: set.format,
    warnings: [...set.warnings, ...(set2?.warnings ?? [])],
    experiments,
    experiments2,
    coordinates2Format: set2?.format,
    batchesB: set2 ? planBatches(job.params.iterations, job.budget.maxConcurrency, job.params.batchSize) : [],
    jackknifeShards: job.params.jackknife ? planJackknife(experiments.length, job.budget.maxConcurrency) : [],
    contrastBatches: contrast ? planBatches(contrast.iterations, job.budget.maxConcurrency, contrast.batchSize) : [],
    maskUri,
    grid: { dims: [h.dims[0]!, h.dims[1]!, h.dims[2]!], voxelMm: grid.voxelMm, maskVoxels: grid.maskIndex.length },
    maskSource: job.inputs.mask ? 'inputs.mask' : 'bundled',
    atlasUri,
    atlasLabelsUri,
    batches: planBatches(job.params.iterations, job.budget.maxConcurrency, job.params.batchSize),
    workDir,
    resultsDir,
  };
  if (contrast) ctx.job.params.contrast = contrast;
  // accepted but suspicious: merged into result.json's warnings by finishJob
  await recordWarnings(env, workDir, 'validation', [...placed.warnings, ...(placed2?.warnings ?? []), ...fweWarnings]);
  await env.store.put(keys.context(ctx.workDir), JSON.stringify(ctx));
  return ctx;
}
