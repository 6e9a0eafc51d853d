import { InvalidJobSpec } from '../errors.ts';
import { PIPELINE_NAMES, pipelineValidation, type AnyJob, type PipelineValidation } from '../pipelines/validators.ts';

/** The JSON value of a job spec's text; InvalidJobSpec naming `source` if it is not JSON. */
export function jobJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidJobSpec(`${source} is not valid JSON: ${(e as Error).message}`, source);
  }
}

/** The pipeline a raw job spec names; InvalidJobSpec if it is no object or names no pipeline. */
export function jobPipeline(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidJobSpec('job.json must be a JSON object', 'job.json');
  const p = (raw as { pipeline?: unknown }).pipeline;
  if (typeof p !== 'string' || !PIPELINE_NAMES.includes(p)) {
    throw new InvalidJobSpec(`pipeline "${String(p)}" is not available; choose one of: ${PIPELINE_NAMES.join(', ')}`, 'pipeline');
  }
  return p;
}

/** Normalise a raw job spec with its pipeline's schema (defaults filled in); a bad spec becomes InvalidJobSpec naming the field. */
export function jobAgainst(raw: unknown, validation: Pick<PipelineValidation, 'jobSchema'>): AnyJob {
  const res = validation.jobSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new InvalidJobSpec(`job.json: ${path ? path + ': ' : ''}${issue.message}`, path || 'job.json');
  }
  return res.data as AnyJob;
}

/**
 * Parse and normalise a job spec's text, loading only its own pipeline's schema and
 * validation (what the Validate task does); the same refusals, in the same order, as `parseJobText`.
 */
export async function loadJobText(text: string, source: string): Promise<{ job: AnyJob; validation: PipelineValidation }> {
  const raw = jobJson(text, source);
  const validation = await pipelineValidation(jobPipeline(raw))!;
  return { job: jobAgainst(raw, validation), validation };
}
