import { enforceBudget, estimateCost, SPEED } from '../../jobs/cost.ts';
import { estimateAndEnforce } from '../common/finish.ts';
import { groupCounts, rehoCounts } from './workflow.ts';
import type { CostEstimate, StageEstimate } from '../../jobs/cost.ts';
import { readNifti } from '../../nifti/index.ts';
import { EmptyData } from '../../errors.ts';
import { readUri } from '../../storage/index.ts';
import { fanOut, type FanOut } from '../common/fanout.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import type { MotionQc } from '../../reho/motion.ts';
import { MIN_SLABS, planSlabs } from '../common/shards.ts';
import { keys, loadContext } from './context.ts';
import type { RehoContext, RehoShard } from './context.ts';
import { r6, subjectPreproc, type QcRecord } from './preprocess.ts';
import { slabReadBytes, slabSpans } from './func-read.ts';

/**
 * Single-core speed of the ReHo slab worker's kernels: ms per in-region voxel·volume (gather,
 * clean, rank, W; reading and writing are separate terms of rehoSlabMs). bench/reho.ts "per
 * subject" CPU: 0.545 s for 57 469 voxels × 250 volumes = 3.8e-5; the demo cohort's slabs
 * (24×28×24, ~6 400 in-mask voxels × 100 volumes, CPU profile of the slab handler in-process,
 * load 9): rankRegion 34 ms a shard = 5.3e-5 (shorter series pay more per volume). 5e-5 between.
 */
export const REHO_MS_PER_VOXEL_VOLUME = 5e-5;
/** Voxel·volumes one slab shard should hold. */
export const VOXEL_VOLUMES_PER_SLAB = 20_000_000;
/**
 * Grid voxel·volumes one slab shard may hold when a func file is gzipped (memory bound, 400 MB
 * of float32). Every slab inflates its subject's stream from the start, and inflating costs
 * about as much as the slab's kernels, so gzipped subjects get the slabs memory needs and no
 * more than MIN_SLABS / 2 shards in all (one per thread), never more than uncompressed ones.
 */
export const GZIP_VOXEL_VOLUMES_PER_SLAB = 100_000_000;

export interface RehoPlan {
  slabs: { z0: number; z1: number }[];
  included: number[];
  excluded: { subject: number; id: string; reasons: string[] }[];
  /** included subjects whose WM/CSF signals come from masks (the signals stage, or their slab shard when the plan has one slab of every plane) */
  signalSubjects: number[];
  /** what is accepted but suspicious (subjects excluded while enough remain); result.json lists them */
  warnings?: string[];
}

export interface PlanResult {
  /** subject × slab shards (Distributed Map items) */
  shards: FanOut;
  /** included subjects (the subject-map stage) */
  subjects: FanOut;
  /** included subjects whose WM/CSF signals the signals stage computes from masks (none when the slab shards do) */
  signalSubjects: FanOut;
  signals: boolean;
  group: boolean;
  maxConcurrency: number;
  estimatedUsd: number;
}

/**
 * ms to read planes zl..zh-1 of every volume of a subject's func file: the ranged reads'
 * bytes (slabSpans) for an uncompressed one, for a gzipped one the stream inflated up to the
 * last plane read (every volume's bytes but the last one's planes above zh).
 */
export function funcReadMs(plane: number, nz: number, zl: number, zh: number, T: number, ranged: boolean, bytesPerVoxel = 4): number {
  if (ranged) return slabReadBytes(plane * bytesPerVoxel, nz, zl, zh, T) * SPEED.readMsPerByte;
  return (plane * nz * (T - 1) + plane * zh) * bytesPerVoxel * SPEED.inflateMsPerByte;
}

/**
 * ms of one ReHo slab shard (planes z0..z1-1 and a one-voxel halo) of a subject: the func
 * file's planes read (funcReadMs), the kernels over the in-mask voxel·volumes of the region,
 * the mask read (a gzipped uint8 image, when given), its two sealed outputs (W float32 and
 * mask uint8 of the slab's planes) and the shard's fixed part with three objects written.
 */
export function rehoSlabMs(ctx: RehoContext, slab: { z0: number; z1: number }, maskVoxels: number, rangedFraction: number): number {
  const [nx, ny, nz] = ctx.grid.dims;
  const plane = nx * ny;
  const T = Math.max(...ctx.subjects.map((s) => s.volumes));
  const zl = Math.max(0, slab.z0 - 1);
  const zh = Math.min(nz, slab.z1 + 1);
  const read = rangedFraction * funcReadMs(plane, nz, zl, zh, T, true) + (1 - rangedFraction) * funcReadMs(plane, nz, zl, zh, T, false);
  const kernels = ((maskVoxels * (zh - zl)) / nz) * T * REHO_MS_PER_VOXEL_VOLUME;
  const mask = ctx.maskUri ? plane * nz * SPEED.inflateMsPerByte : 0;
  const outputs = (slab.z1 - slab.z0) * plane * 5 * SPEED.writeMsPerByte;
  return SPEED.shardFixedMs + read + kernels + mask + outputs + 3 * SPEED.putMs;
}

export function estimateReho(ctx: RehoContext, nIncluded: number, slabs: readonly { z0: number; z1: number }[], maskVoxels: number, nSignals = 0, nSignalsInSlabs = 0): CostEstimate {
  const [nx, ny, nz] = ctx.grid.dims;
  const nVox = nx * ny * nz;
  const T = Math.max(...ctx.subjects.map((s) => s.volumes));
  const nSlabs = Math.max(1, slabs.length);
  const n = ctx.subjects.length;
  const rangedFraction = n ? ctx.subjects.filter((s) => s.ranged).length / n : 1;
  const slabMs = slabs.length ? slabs.reduce((a, sl) => a + rehoSlabMs(ctx, sl, maskVoxels, rangedFraction), 0) / slabs.length : 0;
  // signals: the planes the tissue masks touch (at most all of them) and both masks inflated; one record written
  const signalsMeansMs = nVox * T * 2e-6 + 2 * nVox * 4 * SPEED.inflateMsPerByte;
  const signalsMs = SPEED.shardFixedMs + rangedFraction * funcReadMs(nx * ny, nz, 0, nz, T, true) + (1 - rangedFraction) * funcReadMs(nx * ny, nz, 0, nz, T, false) + signalsMeansMs + 2 * SPEED.putMs;
  // slab shards that compute their subject's signals: the means and masks, one record more (no second read)
  const inSlabsMs = nIncluded > 0 ? (nSignalsInSlabs / nIncluded) * (signalsMeansMs + SPEED.putMs) : 0;
  const stages: StageEstimate[] = [
    { stage: 'validate', task: 'validate', shards: 1, msPerShard: n * 20 },
    { stage: 'plan', task: 'plan', shards: 1, msPerShard: n * 5 },
    ...(nSignals > 0 ? [{ stage: 'signals', task: 'rehoSignals' as const, shards: nSignals, msPerShard: signalsMs }] : []),
    { stage: 'reho', task: 'rehoSlab', shards: nIncluded * nSlabs, msPerShard: slabMs + inSlabsMs },
    // four maps (read, smooth, write as for a glm subject map), each with its sidecar, and the subject's record
    { stage: 'maps', task: 'rehoSubject', shards: nIncluded, msPerShard: SPEED.shardFixedMs + nVox * 4 * SPEED.prepareMsPerVoxel + 10 * SPEED.putMs },
    { stage: 'reduce', task: 'reduce', shards: 1, msPerShard: n * 5 },
  ];
  if (ctx.job.params.group) {
    const cols = ctx.job.params.group.contrasts.length * 4;
    stages.push(
      { stage: 'group-setup', task: 'plan', shards: 1, msPerShard: n * 5 },
      { stage: 'group-prepare', task: 'prepare', shards: nIncluded, msPerShard: SPEED.shardFixedMs + nVox * SPEED.prepareMsPerVoxel + 2 * SPEED.putMs },
      { stage: 'group-mask', task: 'mask', shards: 1, msPerShard: nVox * nIncluded * SPEED.maskMsPerVoxelSubject },
      { stage: 'group-slabs', task: 'glmSlab', shards: 1, msPerShard: nVox * nIncluded * cols * SPEED.glmMsPerVoxelSubjectColumn },
      { stage: 'group-reduce', task: 'reduce', shards: 1, msPerShard: nVox * ctx.job.params.group.contrasts.length * SPEED.reduceMsPerVoxel },
    );
  }
  const transitions =
    rehoCounts({ WmCsfSignals: { items: nSignals }, RehoSlabs: { items: nIncluded * nSlabs }, SubjectMaps: { items: nIncluded } }).stateTransitions +
    (ctx.job.params.group ? groupCounts({ PrepareSubjects: { items: nIncluded }, FitSlabs: { items: 1 }, Permute: { items: 0 } }).stateTransitions : 0);
  // GETs of a slab shard: its func reads (a header and the ranged reads, or the whole gzipped file), context, plan records
  const plane = nx * ny;
  const funcGets = (zl: number, zh: number) => rangedFraction * (1 + slabSpans(plane * 4, nz, zl, zh, 0, T).length) + (1 - rangedFraction);
  const slabGets = slabs.reduce((a, sl) => a + funcGets(Math.max(0, sl.z0 - 1), Math.min(nz, sl.z1 + 1)) + 2, 0);
  return estimateCost(stages, { puts: nIncluded * (nSlabs * 2 + 6) + 20, gets: nIncluded * (slabGets + nSlabs * 2) + nSignals * (funcGets(0, nz) + 3) + 20 }, ctx.job.budget.maxConcurrency, undefined, transitions);
}

/**
 * Motion QC of every subject (exclusions listed, never dropped silently), the slab plan,
 * the cost estimate (refusing a job over budget before any fan-out) and the shard list.
 */
export async function planReho(env: TaskEnv, contextKey: string): Promise<PlanResult> {
  const ctx = await loadContext(env.store, contextKey);
  const [nx, ny, nz] = ctx.grid.dims;
  const plane = nx * ny;
  const qcs: (MotionQc | undefined)[] = new Array(ctx.subjects.length);
  const BATCH = 16; // confounds files are small; read a few at a time
  for (let b = 0; b < ctx.subjects.length; b += BATCH) {
    const idx = Array.from({ length: Math.min(BATCH, ctx.subjects.length - b) }, (_, k) => b + k);
    await Promise.all(
      idx.map(async (s) => {
        // WM/CSF signals from masks come later (signals stage): QC only here for those subjects
        const pre = await subjectPreproc(ctx, s, { qcOnly: true });
        qcs[s] = pre.qc;
        const rec: QcRecord = { id: ctx.subjects[s]!.id, drop: pre.drop, volumes: pre.T, qc: pre.qc ?? null, wmCsfSource: pre.wmCsfSource ?? null, nuisanceColumns: pre.model?.columns ?? [], droppedColumns: pre.model?.dropped ?? [], fd: pre.fd ? Array.from(pre.fd, r6) : null };
        await env.store.put(keys.qc(ctx.workDir, s), JSON.stringify(rec));
      }),
    );
  }
  const included = ctx.subjects.flatMap((_, s) => (qcs[s]?.excluded ? [] : [s]));
  const excluded = ctx.subjects.flatMap((subj, s) => (qcs[s]?.excluded ? [{ subject: s, id: subj.id, reasons: qcs[s]!.reasons }] : []));

  let planeCounts = Array.from({ length: nz }, () => plane);
  if (ctx.maskUri) {
    const m = readNifti(await readUri(ctx.maskUri), 'inputs.mask').data;
    planeCounts = planeCounts.map((_, z) => {
      let c = 0;
      for (let v = z * plane; v < (z + 1) * plane; v++) if (m[v] !== 0 && Number.isFinite(m[v]!)) c++;
      return c;
    });
  }
  const T = Math.max(...ctx.subjects.map((s) => s.volumes));
  const perSlabScale = (T * 4_000_000) / VOXEL_VOLUMES_PER_SLAB;
  // the stage fans out over subjects × slabs: slabs only until there are MIN_SLABS shards in all
  let slabs = planSlabs(planeCounts, perSlabScale, ctx.job.budget.maxConcurrency, ctx.job.params.slabs, Math.ceil(MIN_SLABS / Math.max(1, included.length)));
  // gzipped: every slab re-inflates the stream, so one shard per thread (MIN_SLABS / 2 in all) and what memory needs
  const gzipSlabs = Math.max(Math.ceil((plane * nz * T) / GZIP_VOXEL_VOLUMES_PER_SLAB), Math.ceil(MIN_SLABS / 2 / Math.max(1, included.length)));
  if (ctx.job.params.slabs === undefined && included.some((s) => !ctx.subjects[s]!.ranged) && gzipSlabs < slabs.length) slabs = planSlabs(planeCounts, perSlabScale, ctx.job.budget.maxConcurrency, gzipSlabs);
  const maskVoxels = planeCounts.reduce((a, b) => a + b, 0);
  const signalSubjects = included.filter((s) => ctx.steps.nuisance && ctx.steps.wmCsf && ctx.subjects[s]!.wmCsfSource === 'masks');
  const warnings = excluded.length && included.length
    ? [`${excluded.length} of ${ctx.subjects.length} subject(s) excluded by motion QC (${excluded.map((e) => `${e.id}: ${e.reasons.join('; ')}`).join(', ')}); ${included.length} remain`]
    : [];
  // one slab of every plane: each mask subject's slab shard computes its signals from the series it reads (one read, one inflation, not two)
  const signalsInSlabs = slabs.length === 1 && slabs[0]!.z0 === 0 && slabs[0]!.z1 === nz;
  const signalStage = signalsInSlabs ? [] : signalSubjects;
  const plan: RehoPlan = { slabs, included, excluded, signalSubjects, warnings };
  await env.store.put(keys.plan(ctx.workDir), JSON.stringify(plan));
  const est = estimateReho(ctx, included.length, slabs, maskVoxels, signalStage.length, signalsInSlabs ? signalSubjects.length : 0);
  await estimateAndEnforce(env, ctx.workDir, est, ctx.job.budget.maxUsd);
  // after the estimate (so `neuroburst estimate` shows the 0-shard stages), before any fan-out
  if (included.length === 0) {
    const first = excluded[0];
    throw new EmptyData(
      `every subject (${excluded.length}) was excluded by motion QC${first ? ` (e.g. ${first.id}: ${first.reasons.join('; ')})` : ''}, so there is no ReHo map to compute; check the confounds files or relax params.exclusion`,
      'params.exclusion',
    );
  }
  if (ctx.job.params.group) checkGroupAfterExclusion(ctx, included, excluded);
  const shards: RehoShard[] = [];
  const inSlab = new Set(signalsInSlabs ? signalSubjects : []);
  for (const s of included) slabs.forEach((sl, k) => shards.push({ index: shards.length, subject: s, slab: k, z0: sl.z0, z1: sl.z1, ...(inSlab.has(s) ? { signals: true } : {}) }));
  return {
    shards: await fanOut(env.store, ctx.workDir, 'reho-slabs', shards),
    subjects: await fanOut(env.store, ctx.workDir, 'subjects', included),
    signalSubjects: await fanOut(env.store, ctx.workDir, 'signals', signalStage),
    signals: signalStage.length > 0, group: ctx.job.params.group !== undefined, maxConcurrency: ctx.job.budget.maxConcurrency, estimatedUsd: est.totalUsd };
}

/**
 * The group GLM runs on the subjects motion QC keeps: at least 3 of them, and at least 2 in
 * each group a pairwise contrast ("A-B") names; otherwise EmptyData here, before any ReHo
 * shard runs (the group step would refuse it only after every subject map was computed).
 */
function checkGroupAfterExclusion(ctx: RehoContext, included: number[], excluded: RehoPlan['excluded']): void {
  const out = excluded.length ? ` after motion exclusion (${excluded.map((e) => e.id).join(', ')} excluded)` : '';
  if (included.length < 3) throw new EmptyData(`only ${included.length} subject(s) remain${out}; the group step needs at least 3`, 'params.group');
  const count = (g: string) => included.filter((s) => ctx.subjects[s]!.group === g).length;
  ctx.job.params.group!.contrasts.forEach((c, i) => {
    if (typeof c !== 'string') return;
    for (const g of c.split('-')) {
      const n = count(g);
      if (n < 2) throw new EmptyData(`group "${g}" of contrast "${c}" has ${n} subject(s)${out}; a group needs at least 2`, `params.group.contrasts[${i}]`);
    }
  });
}
