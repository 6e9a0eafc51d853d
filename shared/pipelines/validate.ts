import { InvalidJobSpec } from '../errors.ts';
import { loadJobText } from '../jobs/load-job.ts';
import { assertAllowedJobUri, readUri, stepJobOf } from '../storage/index.ts';
import type { TaskEnv } from '../runtime/task.ts';
import { uploadFolderOf, uploadJobId } from '../jobs/upload-key.ts';
import { clearResultsFolder } from '../jobs/results-folder.ts';
import { inputsKey } from './common/context.ts';
import { embeddingSchema, type Embedding } from './common/embed.ts';

export interface ValidateResult {
  jobId: string;
  pipeline: string;
  context: string;
}

/**
 * First task of every workflow: read job.json (an uploaded one must carry the jobId of its
 * upload key), validate it and its inputs, then clear the results folder of an earlier run
 * (`jobs/results-folder.ts`), write the normalised spec and the context.
 * Under a deploy-time input allow-list (NEUROBURST_ALLOWED_INPUTS: the input bucket and
 * the configured dataset prefixes) job.json and every input it references must be an
 * 's3://' URI inside it (local paths are refused), else `UnsafeInputKey` naming the input
 * (resolveRef enforces it for refs).
 * With `embed` (the job is a step of another workflow's job, see common/embed.ts) the
 * pipeline's embedded validation runs instead and the parent's results folder is left alone.
 */
export async function validateJob(env: TaskEnv, jobUri: string, embed?: unknown): Promise<ValidateResult> {
  if (typeof jobUri !== 'string' || jobUri === '') throw new InvalidJobSpec('the execution input has no jobUri', 'jobUri');
  // on AWS the job itself must come from an allowed location too (the input bucket); refs are checked by resolveRef
  assertAllowedJobUri(jobUri);
  let embedding: Embedding | undefined;
  if (embed !== undefined) {
    const parsed = embeddingSchema.safeParse(embed);
    if (!parsed.success) throw new InvalidJobSpec(`the execution input's embed is not { resultsDir, resultKey, report }: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'embed'}: ${i.message}`).join('; ')}`, 'embed');
    embedding = parsed.data;
  }
  // the upload area names jobs by their folder: a job.json anywhere deeper than jobs/<jobId>/job.json names none
  if (uploadFolderOf(jobUri) && uploadJobId(jobUri) === undefined) {
    throw new InvalidJobSpec(`a job is uploaded as jobs/<jobId>/job.json; ${jobUri} is not (a nested or unsafe folder names no job)`, 'jobUri');
  }
  const text = new TextDecoder().decode(await readUri(jobUri));
  const { job, validation: entry } = await loadJobText(text, 'job.json');
  // an uploaded job is named by its key jobs/<jobId>/job.json: a job.json naming another id is refused before anything is touched
  const uploaded = uploadJobId(jobUri);
  if (uploaded !== undefined && job.jobId !== uploaded) {
    throw new InvalidJobSpec(`jobId "${job.jobId}" differs from the folder the job was uploaded to (jobs/${uploaded}/); a job's id is its upload folder`, 'jobId');
  }
  // a step job (under its parent's work folder) carries its parent's id: one naming another job is refused likewise
  const step = stepJobOf(jobUri);
  if (step !== undefined && job.jobId !== step.jobId) {
    throw new InvalidJobSpec(`jobId "${job.jobId}" differs from the job whose work folder holds this step's job.json (${step.jobId})`, 'jobId');
  }
  if (embedding) {
    // a step of another job: its outputs go where the parent says; the parent's results folder (job.json, result.json) is the parent's
    if (!entry.validateEmbedded) throw new InvalidJobSpec(`a ${job.pipeline} job cannot run as another workflow's step (embed)`, 'embed');
    const { workDir } = await entry.validateEmbedded(env, job as never, jobUri, embedding);
    return { jobId: job.jobId, pipeline: job.pipeline, context: `${workDir}/context.json` };
  }
  const resultsDir = env.layout.results(job.jobId);
  const { workDir } = await entry.validate(env, job as never, jobUri);
  // the new spec validated: the run owns its results folder (an embedded step's job, under a parent's work folder, writes into its parent's)
  if (!jobUri.startsWith(`${env.store.uri}${env.layout.work(job.jobId)}/`)) {
    const inputs = await env.store.getText(inputsKey(workDir)).then((t) => (JSON.parse(t) as { inputs: { uri: string }[] }).inputs.map((i) => i.uri), () => []);
    await clearResultsFolder(env.store, resultsDir, { jobUri, protect: inputs });
  }
  await env.store.put(`${resultsDir}/job.json`, JSON.stringify(job, null, 2) + '\n');
  return { jobId: job.jobId, pipeline: job.pipeline, context: `${workDir}/context.json` };
}
