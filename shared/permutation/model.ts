/**
 * Freedman–Lane permutation of a GLM contrast (Freedman & Lane 1983; Winkler et al.
 * 2014), with the design partitioned into effect of interest and nuisance as in
 * Beckmann et al. 2001 / PALM's default:
 *
 *   D = (MᵀM)⁻¹, Cu = null(cᵀ), Cv = Cu − c (cᵀDc)⁻¹ cᵀ D Cu, Z = M D Cv,
 *   E = R_Z Y  (residuals of the nuisance-only model),
 *   Y*_π = H_Z Y + P_π E,  the full model M refitted to Y*_π.
 *
 * Because H_Z Y lies in span(Z), which is orthogonal (in the D metric) to the
 * contrast, it contributes nothing to cᵀβ or to the residuals; the statistic of
 * Y*_π is that of P_π E under M. With M = QR (Q orthonormal n × p):
 *
 *   a = Qᵀ P_π E,  cᵀβ = gᵀa with Rᵀg = c,  RSS = ‖E‖² − ‖a‖²,
 *   t = gᵀa / √(RSS/(n − p) · cᵀDc).
 *
 * So a permutation costs n·p multiply–adds per voxel, P_π only reorders the rows of
 * Q (and flips their signs for sign flipping), and the identity reproduces the
 * ordinary GLM t exactly (tested against `fitGlm`).
 */
import { InvalidParameter } from '../errors.ts';
import { factorDesign } from '../stats/linalg.ts';
import { wasmKernels, type WasmKernels } from '../wasm/instance.ts';
import { fContrastModel } from '../stats/fcontrast.ts';
import { nuisanceDesign } from '../stats/fcontrast-permute.ts';

/** voxels per accumulation block of permutedT */
const BLOCK = 512;

export interface PermutationModel {
  n: number;
  p: number;
  V: number;
  dof: number;
  /** Q of M = QR, n × p row-major */
  Q: Float64Array;
  /** Rᵀg = c */
  g: Float64Array;
  /** cᵀ(MᵀM)⁻¹c */
  cDc: number;
  /** nuisance residuals E = R_Z Y, subject-major n × V */
  E: Float64Array;
  /** ‖E_v‖² per voxel */
  sse: Float64Array;
  /** the effect-of-interest regressor X = M D c (cᵀDc)⁻¹ (for counting distinct relabellings) */
  interest: Float64Array;
  /**
   * F-contrasts only: the rank r of the contrast and G (r × p row-major) with Rᵀg_a = w_a for
   * the rows w_a of the whitened contrast W (so W b = G a and F = ‖G a‖²/(r σ̂²)); `g` is then
   * G's first row and `cDc` = 1.
   */
  f?: { rank: number; G: Float64Array };
  /** E lives in this WebAssembly memory (with scratch for Qp and the accumulators) when SIMD is available */
  simd?: PermSimd;
}

export interface PermSimd {
  kernels: WasmKernels;
  /** byte offsets of Qp (n × p), the accumulators (p × BLOCK) and E */
  qpPtr: number;
  aPtr: number;
  ePtr: number;
}

/** Modified Gram–Schmidt on the columns of A (n × k row-major); returns Q (n × r) and R (r × k), dropping dependent columns from Q. */
function gramSchmidt(A: Float64Array, n: number, k: number, tol = 1e-10): { Q: Float64Array; R: Float64Array; r: number; kept: number[] } {
  const cols: Float64Array[] = [];
  const R = new Float64Array(k * k);
  const kept: number[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(n);
    let norm0 = 0;
    for (let i = 0; i < n; i++) {
      v[i] = A[i * k + j]!;
      norm0 += v[i]! * v[i]!;
    }
    norm0 = Math.sqrt(norm0);
    for (let pass = 0; pass < 2; pass++) {
      cols.forEach((q, m) => {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < n; i++) v[i]! -= d * q[i]!;
        R[m * k + j] += d;
      });
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    if (norm <= tol * Math.max(norm0, 1e-300)) continue;
    for (let i = 0; i < n; i++) v[i]! /= norm;
    R[cols.length * k + j] = norm;
    cols.push(v);
    kept.push(j);
  }
  const r = cols.length;
  const Q = new Float64Array(n * r);
  cols.forEach((q, m) => {
    for (let i = 0; i < n; i++) Q[i * r + m] = q[i]!;
  });
  return { Q, R: R.slice(0, r * k), r, kept };
}

/** Orthonormal basis of the null space of cᵀ (p × (p−1)). */
function nullSpace(c: Float64Array): Float64Array {
  const p = c.length;
  // Gram–Schmidt of [c, e_1, …, e_p]; drop c's own direction.
  const A = new Float64Array(p * (p + 1));
  for (let i = 0; i < p; i++) {
    A[i * (p + 1)] = c[i]!;
    A[i * (p + 1) + 1 + i] = 1;
  }
  const { Q, r } = gramSchmidt(A, p, p + 1);
  const out = new Float64Array(p * (p - 1));
  for (let i = 0; i < p; i++) for (let m = 1; m < r; m++) out[i * (p - 1) + m - 1] = Q[i * r + m]!;
  return out;
}

/**
 * The effect-of-interest regressor X = M D c / (cᵀDc) of the Beckmann partition
 * (with D = (MᵀM)⁻¹), which decides how many relabellings are distinct.
 */
export function interestRegressor(M: Float64Array, n: number, p: number, c: Float64Array, input = ''): { D: Float64Array; Dc: Float64Array; cDc: number; interest: Float64Array } {
  const f = factorDesign(M, n, p, input); // throws SingularDesign for a deficient design
  const D = f.xtxInv;
  let cDc = 0;
  const Dc = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) Dc[a] += D[a * p + b]! * c[b]!;
    cDc += c[a]! * Dc[a]!;
  }
  if (!(cDc > 0)) throw new InvalidParameter('the contrast is not estimable', input);
  const interest = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < p; a++) s += M[i * p + a]! * Dc[a]!;
    interest[i] = s / cDc;
  }
  return { D, Dc, cDc, interest };
}

/**
 * E = Y − Qz Qzᵀ Y (voxel blocks) and ‖E_v‖², with E in WebAssembly memory (after the
 * scratch for Qp and the accumulators) when the SIMD kernel is available.
 */
function nuisanceResiduals(Qz: Float64Array, rz: number, Y: Float32Array, n: number, p: number, V: number) {
  // E in WebAssembly memory when the SIMD kernel is available (scratch first, then E)
  const qpPtr = 0;
  const aPtr = align16(qpPtr + n * p * 8);
  const ePtr = align16(aPtr + p * BLOCK * 8);
  const kernels = wasmKernels(ePtr + n * V * 8);
  const E = kernels ? new Float64Array(kernels.memory.buffer, ePtr, n * V) : new Float64Array(n * V);
  const sse = new Float64Array(V);
  for (let i = 0; i < n * V; i++) E[i] = Y[i]!;
  if (rz > 0) {
    const BLOCK = 1024;
    const proj = new Float64Array(rz * BLOCK);
    for (let v0 = 0; v0 < V; v0 += BLOCK) {
      const bl = Math.min(BLOCK, V - v0);
      proj.fill(0);
      for (let i = 0; i < n; i++) {
        const eo = i * V + v0;
        for (let m = 0; m < rz; m++) {
          const q = Qz[i * rz + m]!;
          const po = m * BLOCK;
          for (let b = 0; b < bl; b++) proj[po + b] += q * E[eo + b]!;
        }
      }
      for (let i = 0; i < n; i++) {
        const eo = i * V + v0;
        for (let m = 0; m < rz; m++) {
          const q = Qz[i * rz + m]!;
          const po = m * BLOCK;
          for (let b = 0; b < bl; b++) E[eo + b] -= q * proj[po + b]!;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const eo = i * V;
    for (let v = 0; v < V; v++) sse[v] += E[eo + v]! * E[eo + v]!;
  }
  return { E, sse, kernels, qpPtr, aPtr, ePtr };
}

/**
 * Set up Freedman–Lane for design M (n × p), contrast c and data Y (n × V,
 * subject-major float32; every voxel finite).
 */
export function permutationModel(M: Float64Array, n: number, p: number, c: Float64Array, Y: Float32Array, V: number, input = ''): PermutationModel {
  if (c.length !== p) throw new InvalidParameter(`contrast has ${c.length} weights; the design has ${p} columns`, input);
  if (Y.length !== n * V) throw new InvalidParameter(`data hold ${Y.length} values; expected ${n} × ${V}`, input);
  const { D, Dc, cDc, interest } = interestRegressor(M, n, p, c, input);
  // nuisance Z = M D Cv
  let Qz: Float64Array = new Float64Array(0);
  let rz = 0;
  if (p > 1) {
    const Cu = nullSpace(c);
    const q = p - 1;
    // cᵀ D Cu (1 × q)
    const cDCu = new Float64Array(q);
    for (let m = 0; m < q; m++) for (let a = 0; a < p; a++) cDCu[m] += Dc[a]! * Cu[a * q + m]!;
    const Cv = new Float64Array(p * q);
    for (let a = 0; a < p; a++) for (let m = 0; m < q; m++) Cv[a * q + m] = Cu[a * q + m]! - (c[a]! * cDCu[m]!) / cDc;
    const DCv = new Float64Array(p * q);
    for (let a = 0; a < p; a++) for (let m = 0; m < q; m++) for (let b = 0; b < p; b++) DCv[a * q + m] += D[a * p + b]! * Cv[b * q + m]!;
    const Z = new Float64Array(n * q);
    for (let i = 0; i < n; i++) for (let m = 0; m < q; m++) for (let a = 0; a < p; a++) Z[i * q + m] += M[i * p + a]! * DCv[a * q + m]!;
    const gs = gramSchmidt(Z, n, q);
    Qz = gs.Q;
    rz = gs.r;
  }
  const { E, sse, kernels, qpPtr, aPtr, ePtr } = nuisanceResiduals(Qz, rz, Y, n, p, V);
  // M = QR; g solves Rᵀg = c
  const qr = gramSchmidt(M, n, p);
  if (qr.r !== p) throw new InvalidParameter('design is rank deficient', input);
  const g = solveRt(qr.R, p, c);
  const model: PermutationModel = { n, p, V, dof: n - p, Q: qr.Q, g, cDc, E, sse, interest };
  if (kernels) model.simd = { kernels, qpPtr, aPtr, ePtr };
  return model;
}

/**
 * Set up Freedman–Lane for an F-contrast (rows C of length p, any rank; dependent rows are
 * reduced to an independent basis as `fContrastModel` does) with the rank-r Beckmann
 * partition of `nuisanceDesign`: E = R_Z Y with Z = M D Cv, and the statistic
 * F = ‖W b‖²/(r σ̂²) of P_π E under M, W the whitened contrast.
 */
export function permutationModelF(M: Float64Array, n: number, p: number, C: Float64Array[], Y: Float32Array, V: number, input = ''): PermutationModel {
  if (Y.length !== n * V) throw new InvalidParameter(`data hold ${Y.length} values; expected ${n} × ${V}`, input);
  const fm = fContrastModel(M, n, p, C, input);
  const { Z, q } = nuisanceDesign(fm);
  let Qz: Float64Array = new Float64Array(0);
  let rz = 0;
  if (q > 0) {
    const gs = gramSchmidt(Z, n, q);
    Qz = gs.Q;
    rz = gs.r;
  }
  const { E, sse, kernels, qpPtr, aPtr, ePtr } = nuisanceResiduals(Qz, rz, Y, n, p, V);
  const qr = gramSchmidt(M, n, p);
  if (qr.r !== p) throw new InvalidParameter('design is rank deficient', input);
  const r = fm.rank;
  const G = new Float64Array(r * p);
  for (let a = 0; a < r; a++) G.set(solveRt(qr.R, p, fm.W.subarray(a * p, a * p + p)), a * p);
  // interest regressor of the first row (only used to decide sign flipping when r = 1)
  const { interest } = interestRegressor(M, n, p, fm.W.slice(0, p), input);
  const model: PermutationModel = { n, p, V, dof: n - p, Q: qr.Q, g: G.slice(0, p), cDc: 1, E, sse, interest, f: { rank: r, G } };
  if (kernels) model.simd = { kernels, qpPtr, aPtr, ePtr };
  return model;
}

/** g with Rᵀg = c (R upper triangular p × p, row-major). */
function solveRt(R: Float64Array, p: number, c: ArrayLike<number>): Float64Array {
  const g = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    let s = c[a]!;
    for (let b = 0; b < a; b++) s -= R[b * p + a]! * g[b]!;
    g[a] = s / R[a * p + a]!;
  }
  return g;
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;
/** Relative residual variance below which a voxel counts as constant (t = 0), (round-off of ‖E‖² − ‖a‖² is ~1e-16 of it). */
const ZERO_VARIANCE_REL = 1e-12;

export interface PermuteScratch {
  Qp: Float64Array;
  a: Float64Array;
}

export function permuteScratch(m: PermutationModel): PermuteScratch {
  return { Qp: new Float64Array(m.n * m.p), a: new Float64Array(m.p * BLOCK) };
}

/**
 * t of the permuted data P E under M into tOut (length V). The permutation is
 * (P E)_i = sign_i · E_{perm_i}. Zero-variance voxels get t = 0.
 */
export function permutedT(m: PermutationModel, perm: Int32Array, sign: Float64Array | undefined, tOut: Float64Array, s: PermuteScratch, scalar = false): void {
  if (m.simd && !scalar) {
    permutedTSimd(m, m.simd, perm, sign, tOut);
    return;
  }
  const { n, p, V, Q, g, E, sse } = m;
  const { Qp, a } = s;
  // a_j = Σ_i Q[i,j] s_i E[perm_i] = Σ_r Qp[r,j] E[r] with Qp[perm_i,j] = s_i Q[i,j]
  for (let i = 0; i < n; i++) {
    const r = perm[i]!;
    const si = sign ? sign[i]! : 1;
    for (let j = 0; j < p; j++) Qp[r * p + j] = si * Q[i * p + j]!;
  }
  const scale = 1 / Math.sqrt(m.cDc / m.dof);
  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    const bl = Math.min(BLOCK, V - v0);
    a.fill(0);
    let r = 0;
    for (; r + 2 <= n; r += 2) {
      const e0 = r * V + v0;
      const e1 = e0 + V;
      for (let j = 0; j < p; j++) {
        const q0 = Qp[r * p + j]!;
        const q1 = Qp[(r + 1) * p + j]!;
        const ao = j * BLOCK;
        for (let b = 0; b < bl; b++) a[ao + b] += q0 * E[e0 + b]! + q1 * E[e1 + b]!;
      }
    }
    for (; r < n; r++) {
      const e0 = r * V + v0;
      for (let j = 0; j < p; j++) {
        const q0 = Qp[r * p + j]!;
        const ao = j * BLOCK;
        for (let b = 0; b < bl; b++) a[ao + b] += q0 * E[e0 + b]!;
      }
    }
    blockT(a, g, sse, p, v0, bl, scale, tOut);
  }
}

/** t of one voxel block from a = Qpᵀ E (p × BLOCK): numerator gᵀa, residual SS = sse − ‖a‖². */
function blockT(a: Float64Array, g: ArrayLike<number>, sse: ArrayLike<number>, p: number, v0: number, bl: number, scale: number, tOut: Float64Array): void {
  for (let b = 0; b < bl; b++) {
    let num = 0;
    let ss = 0;
    for (let j = 0; j < p; j++) {
      const x = a[j * BLOCK + b]!;
      num += g[j]! * x;
      ss += x * x;
    }
    const total = sse[v0 + b]!;
    const rss = total - ss;
    tOut[v0 + b] = total > 0 && rss > ZERO_VARIANCE_REL * total ? (num * scale) / Math.sqrt(rss) : 0;
  }
}

/**
 * permutedT with the accumulation a = Qpᵀ E in the WebAssembly SIMD kernel (two
 * voxels per instruction, the same operations in the same order as the loop above,
 * so t is bit-identical).
 */
function permutedTSimd(m: PermutationModel, simd: PermSimd, perm: Int32Array, sign: Float64Array | undefined, tOut: Float64Array): void {
  const { n, p, V, Q, g, sse } = m;
  const buf = simd.kernels.memory.buffer;
  const Qp = new Float64Array(buf, simd.qpPtr, n * p);
  const a = new Float64Array(buf, simd.aPtr, p * BLOCK);
  for (let i = 0; i < n; i++) {
    const r = perm[i]!;
    const si = sign ? sign[i]! : 1;
    for (let j = 0; j < p; j++) Qp[r * p + j] = si * Q[i * p + j]!;
  }
  const acc = simd.kernels.permAccumulate;
  const scale = 1 / Math.sqrt(m.cDc / m.dof);
  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    const bl = Math.min(BLOCK, V - v0);
    a.fill(0);
    acc(simd.ePtr, V, n, p, simd.qpPtr, simd.aPtr, v0, bl, BLOCK);
    blockT(a, g, sse, p, v0, bl, scale, tOut);
  }
}

/**
 * F of the permuted data P E under M into fOut (length V), for a model built by
 * `permutationModelF`: the accumulation a = Qpᵀ E is that of `permutedT` (SIMD kernel or
 * the scalar loop), then F = Σ_a (g_aᵀa)² / (r · RSS/(n − p)). Zero-variance voxels get F = 0.
 */
export function permutedF(m: PermutationModel, perm: Int32Array, sign: Float64Array | undefined, fOut: Float64Array, s: PermuteScratch, scalar = false): void {
  if (!m.f) throw new InvalidParameter('permutedF needs a model built by permutationModelF');
  const { n, p, V, Q, E, sse, dof } = m;
  const { rank: r, G } = m.f;
  const simd = m.simd && !scalar ? m.simd : undefined;
  const buf = simd?.kernels.memory.buffer;
  const Qp = buf ? new Float64Array(buf, simd!.qpPtr, n * p) : s.Qp;
  const a = buf ? new Float64Array(buf, simd!.aPtr, p * BLOCK) : s.a;
  for (let i = 0; i < n; i++) {
    const row = perm[i]!;
    const si = sign ? sign[i]! : 1;
    for (let j = 0; j < p; j++) Qp[row * p + j] = si * Q[i * p + j]!;
  }
  const scale = dof / r;
  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    const bl = Math.min(BLOCK, V - v0);
    a.fill(0);
    if (simd) simd.kernels.permAccumulate(simd.ePtr, V, n, p, simd.qpPtr, simd.aPtr, v0, bl, BLOCK);
    else {
      for (let row = 0; row < n; row++) {
        const e0 = row * V + v0;
        for (let j = 0; j < p; j++) {
          const q0 = Qp[row * p + j]!;
          const ao = j * BLOCK;
          for (let b = 0; b < bl; b++) a[ao + b] += q0 * E[e0 + b]!;
        }
      }
    }
    for (let b = 0; b < bl; b++) {
      let ss = 0;
      for (let j = 0; j < p; j++) {
        const x = a[j * BLOCK + b]!;
        ss += x * x;
      }
      let num = 0;
      for (let k = 0; k < r; k++) {
        let d = 0;
        for (let j = 0; j < p; j++) d += G[k * p + j]! * a[j * BLOCK + b]!;
        num += d * d;
      }
      const total = sse[v0 + b]!;
      const rss = total - ss;
      fOut[v0 + b] = total > 0 && rss > ZERO_VARIANCE_REL * total ? (num * scale) / rss : 0;
    }
  }
}
