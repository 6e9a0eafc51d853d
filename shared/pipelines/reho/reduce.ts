import { finishJob, jobCost, outputWriter, type JobCost } from '../common/finish.ts';
import { rehoCounts } from './workflow.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import type { MotionQc } from '../../reho/motion.ts';
import { keys, loadContext, mapNames } from './context.ts';
import type { RehoContext, WmCsfSource } from './context.ts';
import type { MaskSignals, QcRecord } from './preprocess.ts';
import { reportExtrasKey, sidecarOf } from '../common/outputs.ts';
import type { GlmExtras } from '../../report/index.ts';
import { r6, subjectPreproc } from './preprocess.ts';
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

/**
 * The group step's result record as the glm workflow writes it (embedded: no result.json of its
 * own). Reho keeps it whole under `group`; these are the fields reho itself reads.
 */
export interface GroupResult {
  pipeline: 'glm';
  contrasts: Record<string, { clusters: unknown[] }>;
  shards: { subjects: number; slabs: number; permutationBatches: number };
  cost: JobCost;
  outputs: string[];
  methods: string;
}

export interface RehoResult {
  pipeline: 'reho';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  settings: { preprocess: RehoContext['steps']; neighbours: number; smoothFwhmMm: number; zOrder: string; bandpassHz: [number, number]; dropVolumes: number; fdThreshold: number };
  subjects: RehoSubjectResult[];
  excluded: { id: string; reasons: string[] }[];
  /** accepted but suspicious: subjects excluded while enough remain (the plan's) */
  warnings: string[];
  group: GroupResult | null;
  shards: { subjects: number; slabs: number; rehoShards: number };
  cost: { estimatedUsd: number; actualUsd: number; lambdaGbSeconds: number; stateTransitions: number; invocations: number };
  outputs: string[];
  methods: string;
}

/** QC table, per-subject summary, group result (when run), report and result.json (last). */
export async function reduceReho(env: TaskEnv, contextKey: string, startedMs = performance.now()): Promise<{ result: string }> {
  const ctx = await loadContext(env.store, contextKey);
  const { workDir, resultsDir } = ctx;
  const p = ctx.job.params;
  const plan = JSON.parse(await env.store.getText(keys.plan(workDir))) as RehoPlan;
  const { outputs, putTable } = outputWriter(env, resultsDir);
  // the per-subject records, read concurrently (small files; one round trip each)
  const included = new Set(plan.included);
  const signalSubjects = new Set(plan.signalSubjects);
  const records = await Promise.all(
    ctx.subjects.map(async (_, s) => ({
      q: JSON.parse(await env.store.getText(keys.qc(workDir, s))) as Partial<QcRecord> & Pick<QcRecord, 'volumes' | 'qc' | 'wmCsfSource'>,
      sig: signalSubjects.has(s) ? (JSON.parse(await env.store.getText(keys.signals(workDir, s))) as MaskSignals) : undefined,
      st: included.has(s) ? (JSON.parse(await env.store.getText(keys.subjectStats(workDir, s))) as SubjectStats) : undefined,
    })),
  );
  const subjects: RehoSubjectResult[] = [];
  // the subject stage wrote each map's sidecar; listed after every other output, where the finish would have added them
  const sidecars: string[] = [];
  for (const [s, subj] of ctx.subjects.entries()) {
    const { q, sig, st } = records[s]!;
    const excluded = !included.has(s);
    let wmCsf: RehoSubjectResult['wmCsf'] = null;
    if (q.wmCsfSource === 'masks') {
      wmCsf = { source: 'masks', wmMask: subj.wmMask, csfMask: subj.csfMask, threshold: p.tissueThreshold };
      if (sig) {
        wmCsf.wmVoxels = sig.wmVoxels;
        wmCsf.csfVoxels = sig.csfVoxels;
      }
    } else if (q.wmCsfSource === 'file') wmCsf = { source: 'file', file: subj.wmCsf };
    else if (q.wmCsfSource) wmCsf = { source: q.wmCsfSource };
    const r: RehoSubjectResult = { id: subj.id, group: subj.group, excluded, reasons: q.qc?.reasons ?? [], volumesUsed: q.volumes, qc: q.qc, wmCsf };
    if (!excluded) {
      r.reho = { mean: r6(st!.mean), sd: r6(st!.sd), maskVoxels: st!.voxels, nonZero: st!.nonZero, max: r6(st!.maxReho) };
      const maps = Object.values(mapNames(subj.id));
      outputs.push(...maps);
      sidecars.push(...maps.map(sidecarOf));
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
  // framewise displacement per volume for the report's QC plot: the plan's record (a record without it, from an older plan: the confounds again)
  const fd: Record<string, number[]> = {};
  for (const [s, subj] of ctx.subjects.entries()) {
    const q = records[s]!.q;
    if (q.fd !== undefined) {
      if (q.fd) fd[subj.id] = q.fd;
      continue;
    }
    const pre = await subjectPreproc(ctx, s, { qcOnly: true }).catch(() => undefined);
    if (pre?.fd) fd[subj.id] = Array.from(pre.fd, (x) => r6(x));
  }

  let group: GroupResult | null = null;
  let groupExtras: GlmExtras | undefined;
  if (p.group) {
    // the glm execution wrote maps/<contrast>_*.nii.gz, tables/<contrast>_clusters.csv and group_report.html beside ours
    group = JSON.parse(await env.store.getText(keys.groupResult(workDir))) as GroupResult;
    groupExtras = JSON.parse(await env.store.getText(reportExtrasKey(keys.groupResult(workDir)))) as GlmExtras;
    outputs.push(...group.outputs);
  }
  const nShards = plan.included.length * plan.slabs.length;
  const transitions = rehoCounts({
    WmCsfSignals: { items: plan.signalSubjects.length },
    RehoSlabs: { items: nShards },
    SubjectMaps: { items: plan.included.length },
  }).stateTransitions;
  const cost = await jobCost(env, workDir, startedMs, transitions);
  if (group) {
    // the glm execution's own workers and transitions (its record's cost; reho's estimate already covers it)
    cost.actualUsd += group.cost.actualUsd;
    cost.lambdaGbSeconds += group.cost.lambdaGbSeconds;
    cost.stateTransitions += group.cost.stateTransitions;
    cost.invocations += group.cost.invocations;
  }
  const result: RehoResult = {
    pipeline: 'reho',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    settings: { preprocess: ctx.steps, neighbours: p.neighbours, smoothFwhmMm: p.smoothFwhmMm, zOrder: p.zOrder, bandpassHz: p.bandpassHz, dropVolumes: ctx.steps.dropVolumes ? p.dropVolumes : 0, fdThreshold: p.fdThreshold },
    subjects,
    excluded: plan.excluded.map((e) => ({ id: e.id, reasons: e.reasons })),
    warnings: plan.warnings ?? [],
    group,
    shards: { subjects: plan.included.length, slabs: plan.slabs.length, rehoShards: nShards },
    cost,
    outputs: [],
    methods: '',
  };
  result.methods = describeReho(ctx, result);
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, ...sidecars, 'result.json'], {
    jobUri: ctx.jobUri,
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
