/**
 * ALE contrast of two coordinate sets (Eickhoff et al. 2012; label exchange as GingerALE
 * and NiMARE's ALESubtraction): D(v) = ALE_A(v) − ALE_B(v) on a set of tested voxels
 * (the "domain"); the null re-assigns the pooled experiments to two groups of the
 * original sizes. Permutation k draws from stream(seed, CONTRAST_STREAM + k), a
 * Fisher–Yates shuffle whose first nA entries form group A. Within each group the
 * products (1 − MA) are taken in pooled experiment order, so the identity assignment
 * reproduces the observed D bit for bit.
 */
import { stream } from '../random.ts';
import type { SparseMa } from './ale.ts';

/** Stream family of the contrast permutations (Monte-Carlo FWE of set A uses k, of set B MC_B_STREAM + k). */
export const CONTRAST_STREAM = 2 * 2 ** 32;
export const MC_B_STREAM = 2 ** 32;

/** One experiment's MA values at domain positions (ascending). */
export interface DomainMa {
  pos: Int32Array;
  value: Float64Array;
}

/** Restrict sparse MA maps (full-grid indices) to `domain` (ascending full-grid indices). */
export function maOnDomain(ma: readonly SparseMa[], domain: Int32Array, gridSize: number): DomainMa[] {
  const where = new Int32Array(gridSize).fill(-1);
  for (let i = 0; i < domain.length; i++) where[domain[i]!] = i;
  return ma.map((m) => {
    let n = 0;
    for (let c = 0; c < m.index.length; c++) if (where[m.index[c]!]! >= 0) n++;
    const pos = new Int32Array(n);
    const value = new Float64Array(n);
    for (let c = 0, o = 0; c < m.index.length; c++) {
      const p = where[m.index[c]!]!;
      if (p >= 0) {
        pos[o] = p;
        value[o++] = m.value[c]!;
      }
    }
    return { pos, value };
  });
}

export class LabelExchange {
  readonly nDomain: number;
  readonly nA: number;
  private readonly ma: DomainMa[];
  private readonly qa: Float64Array;
  private readonly qb: Float64Array;
  private readonly inA: Uint8Array;
  private readonly perm: Int32Array;
  readonly observed: Float64Array;

  /** `ma`: pooled experiments, set A's first (nA of them), then set B's. */
  constructor(ma: DomainMa[], nA: number, nDomain: number) {
    this.ma = ma;
    this.nA = nA;
    this.nDomain = nDomain;
    this.qa = new Float64Array(nDomain);
    this.qb = new Float64Array(nDomain);
    this.inA = new Uint8Array(ma.length);
    this.perm = new Int32Array(ma.length);
    this.observed = new Float64Array(nDomain);
    for (let e = 0; e < nA; e++) this.inA[e] = 1;
    this.diff(this.inA, this.observed);
  }

  /** D = ALE(group with inA = 1) − ALE(the others) on the domain. */
  diff(inA: Uint8Array, out: Float64Array): Float64Array {
    const { qa, qb } = this;
    qa.fill(1);
    qb.fill(1);
    for (let e = 0; e < this.ma.length; e++) {
      const q = inA[e] ? qa : qb;
      const { pos, value } = this.ma[e]!;
      for (let c = 0; c < pos.length; c++) q[pos[c]!]! *= 1 - value[c]!;
    }
    for (let v = 0; v < this.nDomain; v++) out[v] = 1 - qa[v]! - (1 - qb[v]!);
    return out;
  }

  /** Group-A membership of permutation k. */
  assignment(seed: number, k: number, out = new Uint8Array(this.ma.length)): Uint8Array {
    const rng = stream(seed, CONTRAST_STREAM + k);
    const p = this.perm;
    const n = p.length;
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    out.fill(0);
    for (let i = 0; i < this.nA; i++) out[p[i]!] = 1;
    return out;
  }

  /**
   * Permutations k0..k1-1: ge[v] += (D_k(v) >= D_obs(v)), le[v] += (D_k(v) <= D_obs(v));
   * returns the per-permutation max |D_k| (voxel-level FWE null) in `maxAbs`.
   */
  run(seed: number, k0: number, k1: number, ge: Int32Array, le: Int32Array, maxAbs = new Float64Array(k1 - k0)): Float64Array {
    const d = new Float64Array(this.nDomain);
    const inA = new Uint8Array(this.ma.length);
    const obs = this.observed;
    for (let k = k0; k < k1; k++) {
      this.diff(this.assignment(seed, k, inA), d);
      let mx = 0;
      for (let v = 0; v < this.nDomain; v++) {
        const x = d[v]!;
        const o = obs[v]!;
        if (x >= o) ge[v]!++;
        if (x <= o) le[v]!++;
        const a = x < 0 ? -x : x;
        if (a > mx) mx = a;
      }
      maxAbs[k - k0] = mx;
    }
    return maxAbs;
  }
}

/**
 * One-sided permutation p of A > B and B > A from the counts over n permutations,
 * clamped to [1/n, 1 − 1/n] as the reference's null_to_p; two-sided = 2 min(pAB, pBA)
 * clamped the same way (NiMARE's ALESubtraction p).
 */
export function contrastP(ge: number, le: number, n: number): { pAB: number; pBA: number; pTwo: number } {
  const lo = Math.max(Number.EPSILON, 1 / n);
  const clamp = (p: number) => Math.max(lo, Math.min(p, 1 - lo));
  const a = ge / n;
  const b = le / n;
  return { pAB: clamp(a), pBA: clamp(b), pTwo: clamp(2 * Math.min(a, b)) };
}
