import { EmptyData } from '../../errors.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import type { Embedding } from '../common/embed.ts';
import { keys, loadContext, mapNames } from './context.ts';
import type { RehoPlan } from './plan.ts';

/** The group step's glm report, beside the job's report.html. */
export const GROUP_REPORT = 'group_report.html';
export const GROUP_MAP_COLUMN = 'szreho_map';


function tsvField(s: string): string {
  return /[\t"\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What GroupRun starts the glm workflow with. */
export interface GroupStart {
  /** the group glm job.json under the work folder */
  jobUri: string;
  embed: Embedding;
  subjects: number;
}

/**
 * Hand the included subjects' szReHo maps to the glm workflow: write a participants table
 * (the original columns plus the map) and a glm job (params.group) under the work folder,
 * and the embedding GroupRun starts the glm execution with. The glm workflow validates that
 * job, writes its maps and cluster tables beside the subject maps (maps/<contrast>_t.nii.gz …,
 * tables/<contrast>_clusters.csv), its report as group_report.html, and its result record to
 * the work folder, which the reho reducer puts into the job's one result.json.
 */
export async function setupGroup(env: TaskEnv, contextKey: string): Promise<GroupStart> {
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
  const job = {
    jobId: ctx.jobId,
    pipeline: 'glm',
    seed: ctx.job.seed,
    budget: ctx.job.budget,
    description: `group step of reho job ${ctx.jobId}`,
    inputs: { participants: 'participants.tsv', mapColumn: GROUP_MAP_COLUMN, ...(ctx.maskUri ? { mask: ctx.maskUri } : {}) },
    params: group,
  };
  await env.store.put(`${dir}/job.json`, JSON.stringify(job, null, 2) + '\n');
  return { jobUri: `${base}${dir}/job.json`, embed: { resultsDir: ctx.resultsDir, resultKey: keys.groupResult(ctx.workDir), report: GROUP_REPORT }, subjects: plan.included.length };
}
