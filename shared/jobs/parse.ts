import { InvalidJobSpec } from '../errors.ts';
import { PIPELINES } from '../pipelines/registry.ts';
import type { AnyJob } from '../pipelines/registry.ts';

/** Parse and normalise a job spec (defaults filled in); a bad spec becomes InvalidJobSpec naming the field. */
export function parseJob(raw: unknown): AnyJob {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidJobSpec('job.json must be a JSON object', 'job.json');
  const p = (raw as { pipeline?: unknown }).pipeline;
  const entry = typeof p === 'string' && Object.hasOwn(PIPELINES, p) ? PIPELINES[p] : undefined;
  if (!entry) {
    throw new InvalidJobSpec(`pipeline "${String(p)}" is not available; choose one of: ${Object.keys(PIPELINES).join(', ')}`, 'pipeline');
  }
  const res = entry.jobSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new InvalidJobSpec(`job.json: ${path ? path + ': ' : ''}${issue.message}`, path || 'job.json');
  }
  return res.data as AnyJob;
}

export function parseJobText(text: string, source: string): AnyJob {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidJobSpec(`${source} is not valid JSON: ${(e as Error).message}`, source);
  }
  return parseJob(raw);
}
