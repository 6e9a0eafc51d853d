import { InvalidParameter } from '../errors.ts';

/**
 * Motion summaries and regressors (DPARSF conventions, ALGORITHMS.md §E).
 * Realignment parameters are T × 6 row-major: x, y, z translations (mm), then three
 * rotations (radians), as SPM rp_*.txt and fMRIPrep trans_x..rot_z.
 */

/** Power framewise displacement: FD_t = Σ|Δtrans| + r·Σ|Δrot| (r = 50 mm), FD_0 = 0. */
export function powerFd(rp: Float64Array, T: number, radiusMm = 50): Float64Array {
  checkRp(rp, T);
  const fd = new Float64Array(T);
  for (let t = 1; t < T; t++) {
    let s = 0;
    for (let c = 0; c < 6; c++) {
      const d = Math.abs(rp[t * 6 + c]! - rp[(t - 1) * 6 + c]!);
      s += c < 3 ? d : radiusMm * d;
    }
    fd[t] = s;
  }
  return fd;
}

/**
 * Friston-24 regressors, T × 24 row-major: [R, R(t−1), R², R(t−1)²] where R(t−1) is R
 * shifted down one row with a zero first row (lags, not derivatives).
 */
export function friston24(rp: Float64Array, T: number): Float64Array {
  checkRp(rp, T);
  const out = new Float64Array(T * 24);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < 6; c++) {
      const r = rp[t * 6 + c]!;
      const lag = t > 0 ? rp[(t - 1) * 6 + c]! : 0;
      const o = t * 24;
      out[o + c] = r;
      out[o + 6 + c] = lag;
      out[o + 12 + c] = r * r;
      out[o + 18 + c] = lag * lag;
    }
  }
  return out;
}

/** Volumes (0-based) with FD above the threshold: one one-hot spike regressor each. */
export function spikeVolumes(fd: Float64Array, threshold: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < fd.length; t++) if (fd[t]! > threshold) out.push(t);
  return out;
}

export interface MotionQc {
  volumes: number;
  meanFd: number;
  maxFd: number;
  spikes: number;
  spikeFraction: number;
  /** largest absolute translation over the run and axes (mm) */
  maxTranslationMm: number;
  /** largest absolute rotation over the run and axes (degrees) */
  maxRotationDeg: number;
  excluded: boolean;
  reasons: string[];
}

export interface ExclusionRule {
  maxTranslationMm: number;
  maxRotationDeg: number;
  maxSpikeFraction: number;
}

export const STUDY_EXCLUSION: ExclusionRule = { maxTranslationMm: 3, maxRotationDeg: 3, maxSpikeFraction: 0.1 };

/** Per-subject motion QC and the study's exclusion rule (max translation, rotation, spike fraction). */
export function motionQc(rp: Float64Array, T: number, fd: Float64Array, spikes: number, rule: ExclusionRule = STUDY_EXCLUSION): MotionQc {
  checkRp(rp, T);
  let maxT = 0;
  let maxR = 0;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < 3; c++) maxT = Math.max(maxT, Math.abs(rp[t * 6 + c]!));
    for (let c = 3; c < 6; c++) maxR = Math.max(maxR, Math.abs(rp[t * 6 + c]!));
  }
  const maxRotationDeg = (maxR * 180) / Math.PI;
  let sum = 0;
  let maxFd = 0;
  for (let t = 0; t < T; t++) {
    sum += fd[t]!;
    if (fd[t]! > maxFd) maxFd = fd[t]!;
  }
  const spikeFraction = T > 0 ? spikes / T : 0;
  const reasons: string[] = [];
  if (maxT > rule.maxTranslationMm) reasons.push(`max translation ${maxT.toFixed(3)} mm > ${rule.maxTranslationMm} mm`);
  if (maxRotationDeg > rule.maxRotationDeg) reasons.push(`max rotation ${maxRotationDeg.toFixed(3)}° > ${rule.maxRotationDeg}°`);
  if (spikeFraction > rule.maxSpikeFraction) reasons.push(`${spikes} of ${T} volumes (${(100 * spikeFraction).toFixed(1)}%) flagged as spikes > ${100 * rule.maxSpikeFraction}%`);
  return {
    volumes: T,
    meanFd: T > 0 ? sum / T : 0,
    maxFd,
    spikes,
    spikeFraction,
    maxTranslationMm: maxT,
    maxRotationDeg,
    excluded: reasons.length > 0,
    reasons,
  };
}

function checkRp(rp: Float64Array, T: number): void {
  if (rp.length !== T * 6) throw new InvalidParameter(`motion parameters must be ${T} × 6 (${T * 6} values), got ${rp.length}`, 'confounds');
}
