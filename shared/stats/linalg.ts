/**
 * Dense linear algebra for small design matrices (n subjects × p columns).
 *
 * Matrices are `Float64Array`s in row-major order with explicit (rows, cols).
 * Everything here is O(n·p²) and meant for the design, never for voxel data.
 *
 * Least squares goes through a Householder QR with column pivoting
 * (Golub & Van Loan, Matrix Computations, 4th ed., §5.4.2), never through
 * the normal equations, so the condition number enters once, not squared.
 */
import { InvalidParameter, SingularDesign } from '../errors.ts';

const EPS = 2.220446049250313e-16;

/**
 * Relative tolerance used by {@link factorDesign} on the column-normalised design:
 * a pivot |R_kk| ≤ 1e-10·|R_00| counts as a dependent column. Designs that
 * ill-conditioned cannot give meaningful t maps from single-precision data anyway.
 */
export const DESIGN_RANK_TOL = 1e-10;

interface PivotedQr {
  /** R: m × p upper-triangular, row-major, m = min(n, p). */
  R: Float64Array;
  /** Thin Q: n × m, row-major, orthonormal columns. */
  Q: Float64Array;
  /** perm[k] = original column held by column k of R (X·P = Q·R). */
  perm: Int32Array;
  m: number;
}

function checkShape(X: ArrayLike<number>, n: number, p: number, what: string, input: string): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(p) || p < 1) {
    throw new InvalidParameter(`${what}: dimensions must be positive integers, got ${n} × ${p}`, input);
  }
  if (X.length !== n * p) {
    throw new InvalidParameter(`${what}: expected ${n} × ${p} = ${n * p} values, got ${X.length}`, input);
  }
  for (let k = 0; k < X.length; k++) {
    if (!Number.isFinite(X[k])) {
      throw new InvalidParameter(
        `${what}: non-finite value ${X[k]} at row ${Math.floor(k / p)}, column ${k % p} (0-based)`,
        input,
      );
    }
  }
}

/**
 * Householder QR with column pivoting (largest remaining column norm first).
 * `wantQ` = false skips forming Q. Column norms are recomputed at each step
 * (p is small), which avoids the norm-downdating pitfalls of LAPACK's dgeqp3.
 */
function pivotedQr(X: Float64Array, n: number, p: number, wantQ: boolean): PivotedQr {
  const A = Float64Array.from(X);
  const m = Math.min(n, p);
  const perm = new Int32Array(p);
  for (let j = 0; j < p; j++) perm[j] = j;
  // Householder vectors, column k stored at vs[k*n + i] for i >= k.
  const vs = new Float64Array(m * n);
  const vnorm2 = new Float64Array(m);

  for (let k = 0; k < m; k++) {
    // Pivot: column with the largest norm of A[k:, j].
    let best = -1;
    let bestNorm = -1;
    for (let j = k; j < p; j++) {
      let s = 0;
      for (let i = k; i < n; i++) {
        const a = A[i * p + j];
        s += a * a;
      }
      if (s > bestNorm) {
        bestNorm = s;
        best = j;
      }
    }
    if (best !== k) {
      for (let i = 0; i < n; i++) {
        const t = A[i * p + k];
        A[i * p + k] = A[i * p + best];
        A[i * p + best] = t;
      }
      const t = perm[k];
      perm[k] = perm[best];
      perm[best] = t;
    }
    const norm = Math.sqrt(bestNorm);
    if (norm === 0) {
      // Remaining block is exactly zero: R is zero there, H_k = I.
      vnorm2[k] = 0;
      continue;
    }
    const akk = A[k * p + k];
    const alpha = akk > 0 ? -norm : norm;
    let vv = 0;
    for (let i = k; i < n; i++) {
      const v = i === k ? akk - alpha : A[i * p + k];
      vs[k * n + i] = v;
      vv += v * v;
    }
    vnorm2[k] = vv;
    // Apply H = I − 2 v vᵀ / (vᵀv) to the remaining columns.
    for (let j = k + 1; j < p; j++) {
      let s = 0;
      for (let i = k; i < n; i++) s += vs[k * n + i] * A[i * p + j];
      const f = (2 * s) / vv;
      for (let i = k; i < n; i++) A[i * p + j] -= f * vs[k * n + i];
    }
    A[k * p + k] = alpha;
    for (let i = k + 1; i < n; i++) A[i * p + k] = 0;
  }

  const R = new Float64Array(m * p);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < p; j++) R[i * p + j] = A[i * p + j];
  }

  const Q = new Float64Array(wantQ ? n * m : 0);
  if (wantQ) {
    for (let j = 0; j < m; j++) Q[j * m + j] = 1;
    for (let k = m - 1; k >= 0; k--) {
      const vv = vnorm2[k];
      if (vv === 0) continue;
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = k; i < n; i++) s += vs[k * n + i] * Q[i * m + j];
        const f = (2 * s) / vv;
        for (let i = k; i < n; i++) Q[i * m + j] -= f * vs[k * n + i];
      }
    }
  }
  return { R, Q, perm, m };
}

function rankFromR(qr: PivotedQr, p: number, tol: number): number {
  const { R, m } = qr;
  const r0 = Math.abs(R[0]);
  if (!(r0 > 0)) return 0;
  let rank = 0;
  for (let k = 0; k < m; k++) {
    if (Math.abs(R[k * p + k]) > tol * r0) rank++;
    else break;
  }
  return rank;
}

/**
 * Numerical rank of the n × p matrix X via Householder QR with column pivoting:
 * the number of leading pivots with |R_kk| > tol·|R_00|.
 * `tol` is relative; the default max(n, p)·eps mirrors MATLAB's `rank`
 * (which uses singular values; pivoted-QR diagonals bracket them closely).
 */
export function qrRank(X: Float64Array, n: number, p: number, tol?: number): number {
  checkShape(X, n, p, 'qrRank', '');
  const t = tol ?? Math.max(n, p) * EPS;
  if (!(t >= 0)) throw new InvalidParameter(`qrRank: tolerance must be >= 0, got ${tol}`);
  return rankFromR(pivotedQr(X, n, p, false), p, t);
}

/**
 * Inverse of a symmetric p × p matrix by Gauss–Jordan elimination with partial
 * pivoting; the result is symmetrised. Throws SingularDesign when a pivot falls
 * below p·eps·max|A|.
 */
export function invertSymmetric(A: Float64Array, p: number): Float64Array {
  checkShape(A, p, p, 'invertSymmetric', '');
  const w = 2 * p;
  const M = new Float64Array(p * w);
  let maxAbs = 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      const a = A[i * p + j];
      M[i * w + j] = a;
      if (Math.abs(a) > maxAbs) maxAbs = Math.abs(a);
    }
    M[i * w + p + i] = 1;
  }
  const tiny = p * EPS * maxAbs;
  for (let k = 0; k < p; k++) {
    let piv = k;
    let pmax = Math.abs(M[k * w + k]);
    for (let i = k + 1; i < p; i++) {
      const a = Math.abs(M[i * w + k]);
      if (a > pmax) {
        pmax = a;
        piv = i;
      }
    }
    if (!(pmax > tiny)) {
      throw new SingularDesign(`matrix is singular (pivot ${pmax} at step ${k} of ${p})`);
    }
    if (piv !== k) {
      for (let j = 0; j < w; j++) {
        const t = M[k * w + j];
        M[k * w + j] = M[piv * w + j];
        M[piv * w + j] = t;
      }
    }
    const d = 1 / M[k * w + k];
    for (let j = 0; j < w; j++) M[k * w + j] *= d;
    for (let i = 0; i < p; i++) {
      if (i === k) continue;
      const f = M[i * w + k];
      if (f === 0) continue;
      for (let j = 0; j < w; j++) M[i * w + j] -= f * M[k * w + j];
    }
  }
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      out[i * p + j] = 0.5 * (M[i * w + p + j] + M[j * w + p + i]);
    }
  }
  return out;
}

export interface DesignFactor {
  /** Moore–Penrose pseudo-inverse (XᵀX)⁻¹Xᵀ, p × n row-major. */
  pinv: Float64Array;
  /** (XᵀX)⁻¹, p × p row-major. */
  xtxInv: Float64Array;
  /** Numerical rank (always p: a deficient design throws). */
  rank: number;
  /** Residual degrees of freedom n − rank. */
  dof: number;
}

/**
 * Factor a full-column-rank design X (n × p) for least squares.
 *
 * Columns are scaled to unit norm first (rank does not depend on units, so
 * age in years and TIV in mm³ are treated alike), then X·D⁻¹·P = Q·R by pivoted
 * Householder QR; pinv = P·R⁻¹·Qᵀ rescaled by D⁻¹, and (XᵀX)⁻¹ = pinv·pinvᵀ
 * formed from R⁻¹. Rank uses {@link DESIGN_RANK_TOL}.
 *
 * Throws SingularDesign when p > n, a column is all zero, columns are collinear
 * (the message lists the dependent columns, 0-based), or dof = n − p < 1.
 * Throws InvalidParameter for wrong sizes or non-finite entries.
 */
export function factorDesign(X: Float64Array, n: number, p: number, input = ''): DesignFactor {
  checkShape(X, n, p, 'design matrix', input);
  if (p > n) {
    throw new SingularDesign(
      `design matrix has more columns (${p}) than subjects (${n}); the model cannot be estimated`,
      input,
    );
  }
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[i * p + j] * X[i * p + j];
    scale[j] = Math.sqrt(s);
    if (scale[j] === 0) {
      throw new SingularDesign(`design matrix column ${j} (0-based) is all zero`, input);
    }
  }
  const Xs = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) Xs[i * p + j] = X[i * p + j] / scale[j];
  }
  const qr = pivotedQr(Xs, n, p, true);
  const rank = rankFromR(qr, p, DESIGN_RANK_TOL);
  if (rank < p) {
    const dependent = Array.from(qr.perm.subarray(rank)).sort((a, b) => a - b);
    throw new SingularDesign(
      `design matrix is rank deficient (rank ${rank} of ${p} columns): collinear columns; ` +
        `column(s) [${dependent.join(', ')}] (0-based) are linear combinations of the others`,
      input,
    );
  }
  const dof = n - rank;
  if (dof < 1) {
    throw new SingularDesign(
      `residual degrees of freedom n - p = ${n} - ${p} = ${dof} < 1; need more subjects than design columns`,
      input,
    );
  }

  const { R, Q, perm } = qr;
  const m = p; // = min(n, p) since p <= n
  // Rinv: upper triangular inverse of R by back substitution, column by column.
  const Rinv = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    for (let i = c; i >= 0; i--) {
      let s = i === c ? 1 : 0;
      for (let k = i + 1; k <= c; k++) s -= R[i * p + k] * Rinv[k * p + c];
      Rinv[i * p + c] = s / R[i * p + i];
    }
  }
  // pinv(X) row perm[a] = (1/scale[perm[a]]) · Σ_k Rinv[a,k] · Q[:,k]ᵀ
  const pinv = new Float64Array(p * n);
  for (let a = 0; a < p; a++) {
    const row = perm[a];
    const inv = 1 / scale[row];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = a; k < p; k++) s += Rinv[a * p + k] * Q[i * m + k];
      pinv[row * n + i] = s * inv;
    }
  }
  const xtxInv = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      let s = 0;
      for (let k = b; k < p; k++) s += Rinv[a * p + k] * Rinv[b * p + k];
      const v = s / (scale[perm[a]] * scale[perm[b]]);
      xtxInv[perm[a] * p + perm[b]] = v;
      xtxInv[perm[b] * p + perm[a]] = v;
    }
  }
  return { pinv, xtxInv, rank, dof };
}
