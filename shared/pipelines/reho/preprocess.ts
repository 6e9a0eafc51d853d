import { InvalidParticipants } from '../../errors.ts';
import { readUri } from '../../storage/index.ts';
import type { Store } from '../../storage/index.ts';
import { parseConfounds } from '../../reho/confounds.ts';
import { IdealBandpass } from '../../reho/filter.ts';
import { friston24, motionQc, powerFd, spikeVolumes } from '../../reho/motion.ts';
import type { MotionQc } from '../../reho/motion.ts';
import { nuisanceDesign, nuisanceModel } from '../../reho/nuisance.ts';
import type { NuisanceModel } from '../../reho/nuisance.ts';
import { keys } from './context.ts';
import type { RehoContext, WmCsfSource } from './context.ts';

/** WM/CSF mean signals computed from masks by the signals stage (one per kept volume). */
export interface MaskSignals {
  id: string;
  wmMask: string;
  csfMask: string;
  threshold: number;
  wmVoxels: number;
  csfVoxels: number;
  wm: number[];
  csf: number[];
}

/** The signals stage's record of subject s, when its WM/CSF regressors come from masks. */
export async function loadMaskSignals(store: Store, ctx: RehoContext, s: number): Promise<MaskSignals | undefined> {
  if (ctx.subjects[s]!.wmCsfSource !== 'masks') return undefined;
  return JSON.parse(await store.getText(keys.signals(ctx.workDir, s))) as MaskSignals;
}

/** A number as result.json and the report keep it: 6 decimals. */
export const r6 = (x: number): number => Number(x.toFixed(6));

/** The plan's record of one subject (qc/<s>.json): motion QC and what the reducer reports of it. */
export interface QcRecord {
  id: string;
  drop: number;
  volumes: number;
  qc: MotionQc | null;
  wmCsfSource: WmCsfSource | null;
  nuisanceColumns: string[];
  droppedColumns: string[];
  /** Power FD per kept volume (r6), for the report's QC plot; null without confounds */
  fd: number[] | null;
}

/** What one subject's series go through; rebuilt identically by every stage that needs it. */
export interface SubjectPreproc {
  /** volumes dropped from the start */
  drop: number;
  /** volumes kept */
  T: number;
  qc?: MotionQc;
  /** Power framewise displacement per kept volume (for the report's QC plot) */
  fd?: Float64Array;
  spikes: number[];
  model?: NuisanceModel;
  bandpass?: IdealBandpass;
  /** where the WM/CSF regressors came from (unset when the design has none) */
  wmCsfSource?: WmCsfSource;
}

/**
 * Read a subject's confounds and build its QC, nuisance model and filter (pure in its inputs).
 * When the WM/CSF regressors come from masks, `signals` (the signals stage's record) is
 * required for the model; `qcOnly` (the plan, before that stage) builds QC and filter only.
 */
export async function subjectPreproc(ctx: RehoContext, s: number, opts: { signals?: MaskSignals; qcOnly?: boolean } = {}): Promise<SubjectPreproc> {
  const subj = ctx.subjects[s]!;
  const p = ctx.job.params;
  const steps = ctx.steps;
  const drop = steps.dropVolumes ? p.dropVolumes : 0;
  const T = subj.volumes - drop;
  const out: SubjectPreproc = { drop, T, spikes: [] };
  if (subj.confounds) {
    const src = `${subj.id} ${ctx.job.inputs.confoundsColumn}`;
    const text = new TextDecoder().decode(await readUri(subj.confounds));
    const wmCsf = subj.wmCsf ? { text: new TextDecoder().decode(await readUri(subj.wmCsf)), source: `${subj.id} ${ctx.job.inputs.wmCsfColumn}` } : undefined;
    const c = parseConfounds(text, src, wmCsf);
    // the confounds either cover every volume of the file or only the kept ones
    let skip: number;
    if (c.T === subj.volumes) skip = drop;
    else if (c.T === T) skip = 0;
    else throw new InvalidParticipants(`${src}: ${c.T} rows, but the func file has ${subj.volumes} volumes${drop ? ` (${T} after dropping ${drop})` : ''}`, src);
    const rp = c.rp.slice(skip * 6, (skip + T) * 6);
    let wm = c.wm?.slice(skip, skip + T);
    let csf = c.csf?.slice(skip, skip + T);
    if (subj.wmCsfSource === 'masks' && opts.signals) {
      // mask means are computed on the kept volumes only
      wm = Float64Array.from(opts.signals.wm);
      csf = Float64Array.from(opts.signals.csf);
    }
    const fd = powerFd(rp, T, p.fdRadiusMm);
    const spikes = spikeVolumes(fd, p.fdThreshold);
    out.fd = fd;
    out.spikes = spikes;
    out.qc = motionQc(rp, T, fd, spikes.length, p.exclusion);
    if (!steps.exclusion) {
      out.qc.excluded = false;
      out.qc.reasons = [];
    }
    if (steps.nuisance && steps.wmCsf) out.wmCsfSource = subj.wmCsfSource;
    const pending = steps.nuisance && steps.wmCsf && subj.wmCsfSource === 'masks' && !opts.signals;
    if (pending && !opts.qcOnly) throw new Error(`${subj.id}: the WM/CSF mask signals have not been computed`);
    if (steps.nuisance && !pending) {
      if (steps.wmCsf && !(wm && csf)) {
        throw new InvalidParticipants(`${src}: no WM/CSF signals (need white_matter and csf columns, a ${ctx.job.inputs.wmCsfColumn} file, or WM/CSF masks), or set preprocess.wmCsf false`, src);
      }
      const design = nuisanceDesign(T, {
        trend: steps.trend,
        friston24: steps.friston24 ? friston24(rp, T) : undefined,
        spikes: steps.spikes ? spikes : [],
        wm: steps.wmCsf ? wm : undefined,
        csf: steps.wmCsf ? csf : undefined,
      });
      out.model = nuisanceModel(design, src);
    }
  } else if (steps.nuisance && (steps.trend)) {
    out.model = nuisanceModel(nuisanceDesign(T, { trend: true, spikes: [] }), subj.id);
  }
  if (steps.bandpass) out.bandpass = new IdealBandpass(T, subj.tr, p.bandpassHz, true);
  return out;
}
