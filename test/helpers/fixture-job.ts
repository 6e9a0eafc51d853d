import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './fixtures.ts';

export { FIXTURES };
export const VBM = join(FIXTURES, 'vbm_reho');

/** The VBM fixture cohort as a participants table (groups G1/G2 from vbm_design.csv) with absolute map paths. */
export function vbmParticipants(dir: string, edit?: (rows: string[][]) => void): string {
  const lines = readFileSync(join(VBM, 'vbm_design.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
  const rows = lines.map((l) => {
    const [subject, group, , tiv] = l.split(',');
    return [subject!, `G${group}`, tiv!, join(VBM, `vbm_gm_${subject}.nii.gz`)];
  });
  edit?.(rows);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'participants.tsv');
  writeFileSync(path, ['participant_id\tgroup\tTIV\tmap', ...rows.map((r) => r.join('\t'))].join('\n') + '\n');
  return path;
}

/** A glm job on the VBM fixture: the reference pipeline of the fixture README (3 mm SPM smoothing, [label, 1, TIV], two-tailed GRF). */
export function vbmJob(dir: string, opts: { jobId?: string; params?: Record<string, unknown>; inputs?: Record<string, unknown>; edit?: (rows: string[][]) => void; budget?: object } = {}): string {
  vbmParticipants(dir, opts.edit);
  const job = {
    jobId: opts.jobId ?? 'vbm-fixture',
    pipeline: 'glm',
    inputs: { participants: 'participants.tsv', mask: join(VBM, 'vbm_mask.nii.gz'), ...opts.inputs },
    params: { contrasts: ['G1-G2'], covariates: ['TIV'], smoothFwhmMm: 3, ...opts.params },
    ...(opts.budget ? { budget: opts.budget } : {}),
  };
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify(job, null, 2));
  return path;
}
