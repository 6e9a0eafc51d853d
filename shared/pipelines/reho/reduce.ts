import { finishJob, jobCost, outputWriter } from '../common/finish.ts';
import { rehoCounts } from './workflow.ts';
import { readMetrics } from '../../runtime/task.ts';
import { actualCost } from '../../jobs/cost.ts';
import type { CostEstimate, TaskType } from '../../jobs/cost.ts';
import type { TaskEnv, TaskMetrics } from '../../runtime/task.ts';
import type { MotionQc } from '../../reho/motion.ts';
import type { GlmResult } from '../glm/result.ts';
import { keys, loadContext, mapNames } from './context.ts';
import type { RehoContext, WmCsfSource } from './context.ts';
import type { MaskSignals } from './preprocess.ts';
import { groupExtrasKey } from './group.ts';
import type { GlmExtras } from '../../report/index.ts';
import { subjectPreproc } from './preprocess.ts';
import type { RehoPlan } from './plan.ts';
import type { SubjectStats } from './subject.ts';

export interface RehoSubjectResult {
  id: string;
  group: string;
  excluded: boolean;
  reasons: string[];
  volumesUsed: number;
  qc: MotionQc | null;
  /** where the WM/CSF regressors came from (null when the design has none) */
  wmCsf: { source: WmCsfSource; file?: string; wmMask?: string; csfMask?: string; threshold?: number; wmVoxels?: number; csfVoxels?: number } | null;
  reho?: { mean: number; sd: number; maskVoxels: number; nonZero: number; max: number };
}

export interface RehoResult {
  pipeline: 'reho';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  settings: { preprocess: RehoContext['steps']; neighbours: number; smoothFwhmMm: number; zOrder: string; bandpassHz: [number, number]; dropVolumes: number; fdThreshold: number };
  subjects: RehoSubjectResult[];
  excluded: { id: string; reasons: string[] }[];
  group: GlmResult | null;
  shards: { subjects: number; slabs: number; rehoShards: number };
  cost: { estimatedUsd: number; actualUsd: number; lambdaGbSeconds: number; stateTransitions: number; invocations: number };
  outputs: string[];
  methods: string;
}

const r6 = (x: number) => Number(x.toFixed(6));

/** QC table, per-subject summary, group result (when run), report and result.json (last). */
export async function reduceReho(env: TaskEnv, contextKey: string, startedMs = performance.now()): Promise<{ result: string }> {
  const ctx = await loadContext(env.store, contextKey);
  const { workDir, resultsDir } = ctx;
  const p = ctx.job.params;
  const plan = JSON.parse(await env.store.getText(keys.plan(workDir))) as RehoPlan;
  const { outputs, putTable } = outputWriter(env, resultsDir);
  const subjects: RehoSubjectResult[] = [];
  for (const [s, subj] of ctx.subjects.entries()) {
    const q = JSON.parse(await env.store.getText(keys.qc(workDir, s))) as { volumes: number; qc: MotionQc | null; wmCsfSource: WmCsfSource | null };
    const excluded = !plan.included.includes(s);
    let wmCsf: RehoSubjectResult['wmCsf'] = null;
    if (q.wmCsfSource === 'masks') {
      wmCsf = { source: 'masks', wmMask: subj.wmMask, csfMask: subj.csfMask, threshold: p.tissueThreshold };
      if (plan.signalSubjects.includes(s)) {
        const sig = JSON.parse(await env.store.getText(keys.signals(workDir, s))) as MaskSignals;
        wmCsf.wmVoxels = sig.wmVoxels;
        wmCsf.csfVoxels = sig.csfVoxels;
      }
    } else if (q.wmCsfSource === 'file') wmCsf = { source: 'file', file: subj.wmCsf };
    else if (q.wmCsfSource) wmCsf = { source: q.wmCsfSource };
    const r: RehoSubjectResult = { id: subj.id, group: subj.group, excluded, reasons: q.qc?.reasons ?? [], volumesUsed: q.volumes, qc: q.qc, wmCsf };
    if (!excluded) {
      const st = JSON.parse(await env.store.getText(keys.subjectStats(workDir, s))) as SubjectStats;
      r.reho = { mean: r6(st.mean), sd: r6(st.sd), maskVoxels: st.voxels, nonZero: st.nonZero, max: r6(st.maxReho) };
      outputs.push(...Object.values(mapNames(subj.id)));
    }
    subjects.push(r);
  }
  const qcCols = ['participant_id', 'group', 'volumes_used', 'mean_fd', 'max_fd', 'spikes', 'spike_percent', 'max_translation_mm', 'max_rotation_deg', 'excluded', 'reason', 'wm_csf_source'].map((c): [string, string] => [c, c]);
  const rows = subjects.map((r) =>
    [
      r.id,
      r.group,
      r.volumesUsed,
      r.qc ? r6(r.qc.meanFd) : '',
      r.qc ? r6(r.qc.maxFd) : '',
      r.qc ? r.qc.spikes : '',
      r.qc ? r6(100 * r.qc.spikeFraction) : '',
      r.qc ? r6(r.qc.maxTranslationMm) : '',
      r.qc ? r6(r.qc.maxRotationDeg) : '',
      r.excluded ? 'yes' : 'no',
      r.reasons.join('; '),
      r.wmCsf?.source ?? '',
    ],
  );
  await putTable('tables/qc_motion', qcCols, rows);
  // framewise displacement per volume for the report's QC plot (the confounds are small; read again)
  const fd: Record<string, number[]> = {};
  for (const [s, subj] of ctx.subjects.entries()) {
    const pre = await subjectPreproc(ctx, s, { qcOnly: true }).catch(() => undefined);
    if (pre?.fd) fd[subj.id] = Array.from(pre.fd, (x) => r6(x));
  }

  let group: GlmResult | null = null;
  let groupExtras: GlmExtras | undefined;
  const groupMetrics: TaskMetrics[] = [];
  if (p.group) {
    // the glm reducer wrote maps/<contrast>_*.nii.gz, tables/<contrast>_clusters.csv and group_report.html beside ours
    group = JSON.parse(await env.store.getText(keys.groupResult(workDir))) as GlmResult;
    groupExtras = JSON.parse(await env.store.getText(groupExtrasKey(workDir))) as GlmExtras;
    outputs.push(...group.outputs);
    const g = JSON.parse(await env.store.getText(keys.group(workDir))) as { workDir: string };
    groupMetrics.push(...(await readMetrics(env.store, `${g.workDir}/metrics/`)));
  }
  const nShards = plan.included.length * plan.slabs.length;
  const transitions = rehoCounts({
    WmCsfSignals: { items: plan.signalSubjects.length },
    RehoSlabs: { items: nShards },
    SubjectMaps: { items: plan.included.length },
    GroupPrepare: { items: group ? group.shards.subjects : 0 },
    GroupFitSlabs: { items: group ? group.shards.slabs : 0 },
    GroupPermute: { items: group ? group.shards.permutationBatches : 0 },
  }).stateTransitions;
  const result: RehoResult = {
    pipeline: 'reho',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    settings: { preprocess: ctx.steps, neighbours: p.neighbours, smoothFwhmMm: p.smoothFwhmMm, zOrder: p.zOrder, bandpassHz: p.bandpassHz, dropVolumes: ctx.steps.dropVolumes ? p.dropVolumes : 0, fdThreshold: p.fdThreshold },
    subjects,
    excluded: plan.excluded.map((e) => ({ id: e.id, reasons: e.reasons })),
    group,
    shards: { subjects: plan.included.length, slabs: plan.slabs.length, rehoShards: nShards },
    cost: await jobCost(env, workDir, startedMs, transitions, groupMetrics),
    outputs: [],
    methods: '',
  };
  result.methods = describeReho(ctx, result);
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, 'result.json'], {
    jobUri: ctx.jobUri,
    extraMetrics: groupMetrics,
    extras: { reho: { fd, ...(groupExtras ? { group: groupExtras } : {}) } },
  });
}

export function describeReho(ctx: RehoContext, r: RehoResult): string {
  const p = ctx.job.params;
  const s = ctx.steps;
  const parts = [`Regional homogeneity was computed with neuroburst for ${ctx.subjects.length} subject(s).`];
  const pre: string[] = [];
  if (s.dropVolumes && p.dropVolumes > 0) pre.push(`the first ${p.dropVolumes} volumes were discarded`);
  if (s.nuisance) {
    const cols = ['a constant', ...(s.trend ? ['a linear trend'] : []), ...(s.friston24 ? ['Friston-24 motion parameters'] : []), ...(s.spikes ? [`one spike regressor per volume with Power FD > ${p.fdThreshold} mm`] : []), ...(s.wmCsf ? ['white-matter and CSF mean signals'] : [])];
    pre.push(`nuisance signals (${cols.join(', ')}; columns except the constant demeaned) were regressed out by OLS`);
  }
  if (s.bandpass) pre.push(`an ideal FFT band-pass of ${p.bandpassHz[0]}–${p.bandpassHz[1]} Hz was applied (mean added back)`);
  parts.push(pre.length ? `Preprocessing: ${pre.join('; ')}.` : 'ReHo was computed on the data as given (no preprocessing).');
  if (s.exclusion) {
    parts.push(`Subjects were excluded when maximum translation exceeded ${p.exclusion.maxTranslationMm} mm, rotation ${p.exclusion.maxRotationDeg}°, or more than ${100 * p.exclusion.maxSpikeFraction}% of volumes were spikes; ${r.excluded.length} subject(s) were excluded${r.excluded.length ? ` (${r.excluded.map((e) => e.id).join(', ')})` : ''}.`);
  }
  parts.push(
    `Kendall's coefficient of concordance was computed over ${p.neighbours}-voxel neighbourhoods (in-mask members only, average ranks for ties, faces of the volume set to 0), ` +
      `then divided by the mask mean (mReHo) and z-scored over the mask (zReHo, ddof 1). ` +
      (p.smoothFwhmMm > 0 ? (p.zOrder === 'zThenSmooth' ? `zReHo maps were smoothed with a ${p.smoothFwhmMm} mm FWHM SPM Gaussian (szReHo, z then smooth as DPARSF).` : `ReHo maps were smoothed with a ${p.smoothFwhmMm} mm FWHM SPM Gaussian and then z-scored over the mask (szReHo, smooth then z).`) : 'Maps were not smoothed.'),
  );
  if (r.group) parts.push(`Group analysis of the szReHo maps: ${r.group.methods}`);
  return parts.join(' ');
}
