/**
 * Gaussian random field cluster-extent threshold, as DPABI's `y_GRF_Threshold` (after FSL's
 * easythresh). See ALGORITHMS.md §D.
 *
 * For a smooth Gaussian field in D = 3 dimensions thresholded at z*, over S voxels with
 * smoothness dLh = √det(Λ) (voxel⁻³):
 *   E[m] = S·(2π)^(−(D+1)/2)·dLh·(z*² − 1)^((D−1)/2)·exp(−z*²/2)   (expected number of clusters)
 *   E[N] = S·(1 − Φ(z*))                                           (expected suprathreshold voxels)
 *   β    = (Γ(D/2 + 1)·E[m]/E[N])^(2/D)
 *   P(at least one cluster ≥ k voxels) = 1 − exp(−E[m]·exp(−β·k^(2/D)))
 * The cluster-size threshold is the smallest integer k ≥ 1 with that probability < p_clu
 * (p_clu/2 per tail when two-tailed; z* = Φ⁻¹(1 − p_vox/2) then).
 *
 * References: K. J. Friston, K. J. Worsley, R. S. J. Frackowiak, J. C. Mazziotta, A. C. Evans
 * (1994), Assessing the significance of focal activations using their spatial extent,
 * Hum. Brain Mapp. 1, 214–220; D. E. Flitney & M. Jenkinson (2000), FMRIB TR00DF1;
 * DPABI y_GRF_Threshold.m (Yan Chao-Gan).
 */
import { InvalidParameter } from '../errors.ts';
import { normalQuantileFromLogTail, normalTail } from './distributions.ts';

export interface GrfThreshold {
  /** Voxel threshold z* (clusters are z ≥ z*, and z ≤ −z* when two-tailed). */
  zThreshold: number;
  /** Smallest cluster size (voxels) that survives. */
  clusterSizeThreshold: number;
  /** Expected number of clusters E[m]. */
  em: number;
  /** Expected number of suprathreshold voxels E[N]. */
  en: number;
  beta: number;
  /** Cluster p threshold applied per tail (p_clu/2 when two-tailed). */
  tailClusterP: number;
}

const GAMMA_5_2 = 0.75 * Math.sqrt(Math.PI); // Γ(D/2 + 1) for D = 3

/**
 * P(at least one cluster of ≥ k voxels) = 1 − exp(−Em·exp(−β·k^(2/3))) (Friston et al. 1994),
 * computed as −expm1(…) so that small probabilities keep their digits.
 */
export function grfClusterP(k: number, em: number, beta: number): number {
  return -Math.expm1(-em * Math.exp(-beta * Math.pow(k, 2 / 3)));
}

/** z*, E[m], E[N], β and the cluster-size threshold; see the module comment. */
export function grfThreshold(opts: { dLh: number; nVoxels: number; voxelP: number; clusterP: number; twoTailed: boolean }): GrfThreshold {
  const { dLh, nVoxels, voxelP, clusterP, twoTailed } = opts;
  if (!(dLh > 0) || !Number.isFinite(dLh)) throw new InvalidParameter(`dLh must be a positive finite number, got ${dLh}`, 'dLh');
  if (!(nVoxels > 0)) throw new InvalidParameter(`the mask must hold at least one voxel, got ${nVoxels}`, 'nVoxels');
  if (!(voxelP > 0 && voxelP < 1)) throw new InvalidParameter(`voxel p must lie in (0, 1), got ${voxelP}`, 'voxelP');
  if (!(clusterP > 0 && clusterP < 1)) throw new InvalidParameter(`cluster p must lie in (0, 1), got ${clusterP}`, 'clusterP');

  // z* from the upper tail directly (same value as DPABI's norminv(1 − p/2) up to rounding)
  const tailP = twoTailed ? voxelP / 2 : voxelP;
  const z = normalQuantileFromLogTail(Math.log(tailP));
  if (!(z > 1)) {
    throw new InvalidParameter(`voxel threshold z* = ${z} must exceed 1 for the GRF cluster formula (voxel p too large)`, 'voxelP');
  }
  const pClu = twoTailed ? clusterP / 2 : clusterP;

  const D = 3;
  const em = nVoxels * Math.pow(2 * Math.PI, -(D + 1) / 2) * dLh * Math.pow(z * z - 1, (D - 1) / 2) * Math.exp((-z * z) / 2);
  const en = nVoxels * normalTail(z);
  const beta = Math.pow((GAMMA_5_2 * em) / en, 2 / D);

  // closed-form estimate of the crossing, then the exact integer by the defining inequality
  let k = 1;
  const lim = -Math.log1p(-pClu); // p(k) < pClu  ⇔  Em·exp(−β k^(2/3)) < lim
  if (em > lim) {
    const k23 = Math.log(em / lim) / beta;
    k = Math.max(1, Math.floor(Math.pow(k23, 1.5)) - 1);
  }
  while (grfClusterP(k, em, beta) >= pClu) k++;
  while (k > 1 && grfClusterP(k - 1, em, beta) < pClu) k--;

  return { zThreshold: z, clusterSizeThreshold: k, em, en, beta, tailClusterP: pClu };
}
