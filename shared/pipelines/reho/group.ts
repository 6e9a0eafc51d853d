import { EmptyData } from '../../errors.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { glmJobSchema } from '../glm/job.ts';
import { keys as glmKeys } from '../glm/context.ts';
import { validateGlm } from '../glm/validate.ts';
import type { GlmEmbedding } from '../glm/reduce.ts';
import { keys, loadContext, mapNames } from './context.ts';
import type { RehoPlan } from './plan.ts';

/** The group step's glm report, beside the job's report.html. */
export const GROUP_REPORT = 'group_report.html';
export const GROUP_MAP_COLUMN = 'szreho_map';
/** Where the group step leaves its report extras (permutation nulls, design rows) for the job's report. */
export const groupExtrasKey = (workDir: string): string => `${keys.groupDir(workDir)}/report-extras.json`;

function tsvField(s: string): string {
  return /[\t"\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Hand the included subjects' szReHo maps to the glm machinery: write a participants table
 * (the original columns plus the map) and a glm job (params.group) under the work folder and
 * run the glm validation, whose context the glm stages of the same state machine then use.
 * The glm reducer writes its maps and cluster tables beside the subject maps
 * (maps/<contrast>_t.nii.gz …, tables/<contrast>_clusters.csv), its report as
 * group_report.html, and its result record to the work folder, which the reho reducer puts
 * into the job's one result.json.
 */
export async function setupGroup(env: TaskEnv, contextKey: string): Promise<{ context: string; subjects: number }> {
  const ctx = await loadContext(env.store, contextKey);
  const plan = JSON.parse(await env.store.getText(keys.plan(ctx.workDir))) as RehoPlan;
  const group = ctx.job.params.group!;
  const dir = keys.groupDir(ctx.workDir);
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
  const job = glmJobSchema.parse({
    jobId: ctx.jobId,
    pipeline: 'glm',
    seed: ctx.job.seed,
    budget: ctx.job.budget,
    description: `group step of reho job ${ctx.jobId}`,
    inputs: { participants: 'participants.tsv', mapColumn: GROUP_MAP_COLUMN, ...(ctx.maskUri ? { mask: ctx.maskUri } : {}) },
    params: group,
  });
  await env.store.put(`${dir}/job.json`, JSON.stringify(job, null, 2) + '\n');
  const glmCtx = await validateGlm(env, job, `${base}${dir}/job.json`);
  const embedded: GlmEmbedding = { resultKey: keys.groupResult(ctx.workDir), report: GROUP_REPORT, extrasKey: groupExtrasKey(ctx.workDir) };
  await env.store.put(glmKeys.context(glmCtx.workDir), JSON.stringify({ ...glmCtx, resultsDir: ctx.resultsDir, embedded }));
  await env.store.put(keys.group(ctx.workDir), JSON.stringify({ context: glmKeys.context(glmCtx.workDir), workDir: glmCtx.workDir }));
  return { context: glmKeys.context(glmCtx.workDir), subjects: plan.included.length };
}
