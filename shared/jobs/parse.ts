import { PIPELINES, type AnyJob } from '../pipelines/registry.ts';
import { jobAgainst, jobJson, jobPipeline } from './load-job.ts';

/**
 * Parse and normalise a job spec (defaults filled in); a bad spec becomes InvalidJobSpec naming
 * the field. Synchronous, over every pipeline (registry.ts: the CLI, tools); the Validate task
 * uses `loadJobText` (load-job.ts), which loads the job's own pipeline only.
 */
export function parseJob(raw: unknown): AnyJob {
  return jobAgainst(raw, PIPELINES[jobPipeline(raw)]!);
}

export function parseJobText(text: string, source: string): AnyJob {
  return parseJob(jobJson(text, source));
}
