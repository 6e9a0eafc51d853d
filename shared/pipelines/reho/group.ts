import { EmptyData } from '../../errors.ts';
import { readUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { glmJobSchema } from '../glm/job.ts';
import { keys as glmKeys } from '../glm/context.ts';
import { validateGlm } from '../glm/validate.ts';
import { keys, loadContext, mapNames } from './context.ts';
import type { RehoPlan } from './plan.ts';

export const GROUP_DIR = 'group';
export const GROUP_MAP_COLUMN = 'szreho_map';

function tsvField(s: string): string {
  return /[\t"\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Hand the included subjects' szReHo maps to the glm machinery: write group/participants.tsv
 * (the original columns plus the map), group/job.json (a glm job with params.group) and run the
 * glm validation, whose context the glm stages of the same state machine then use. Group
 * outputs land in <results>/group/.
 */
export async function setupGroup(env: TaskEnv, contextKey: string): Promise<{ context: string; subjects: number }> {
  const ctx = await loadContext(env.store, contextKey);
  const plan = JSON.parse(await env.store.getText(keys.plan(ctx.workDir))) as RehoPlan;
  const group = ctx.job.params.group!;
  const dir = `${ctx.resultsDir}/${GROUP_DIR}`;
  const base = env.store.uri;
  if (plan.included.length < 3) {
    throw new EmptyData(`only ${plan.included.length} subject(s) remain after motion exclusion (${plan.excluded.map((e) => e.id).join(', ')}); the group step needs at least 3`, 'params.group');
  }
  const cols = Object.keys(ctx.subjects[0]!.row).filter((c) => c !== GROUP_MAP_COLUMN);
  const lines = [[...cols, GROUP_MAP_COLUMN].join('\t')];
  for (const s of plan.included) {
    const subj = ctx.subjects[s]!;
    lines.push([...cols.map((c) => tsvField(subj.row[c] ?? '')), `${base}${ctx.resultsDir}/${mapNames(subj.id).szreho}`].join('\t'));
  }
  await env.store.put(`${dir}/participants.tsv`, lines.join('\n') + '\n');
  let mask: string | undefined;
  if (ctx.maskUri) {
    await env.store.put(`${dir}/mask.nii${/\.gz$/i.test(ctx.maskUri) ? '.gz' : ''}`, await readUri(ctx.maskUri));
    mask = `mask.nii${/\.gz$/i.test(ctx.maskUri) ? '.gz' : ''}`;
  }
  const job = glmJobSchema.parse({
    jobId: ctx.jobId,
    pipeline: 'glm',
    seed: ctx.job.seed,
    budget: ctx.job.budget,
    description: `group step of reho job ${ctx.jobId}`,
    inputs: { participants: 'participants.tsv', mapColumn: GROUP_MAP_COLUMN, ...(mask ? { mask } : {}) },
    params: group,
  });
  await env.store.put(`${dir}/job.json`, JSON.stringify(job, null, 2) + '\n');
  const glmCtx = await validateGlm(env, job, `${base}${dir}/job.json`);
  // the group stages keep their own work prefix but write results under <results>/group
  glmCtx.resultsDir = dir;
  await env.store.put(glmKeys.context(glmCtx.workDir), JSON.stringify(glmCtx));
  await env.store.put(keys.group(ctx.workDir), JSON.stringify({ context: glmKeys.context(glmCtx.workDir), workDir: glmCtx.workDir }));
  return { context: glmKeys.context(glmCtx.workDir), subjects: plan.included.length };
}
