/**
 * GLM and linear algebra against ml-matrix (an independent implementation):
 * the reference t is computed by hand from ml-matrix's inverse of XᵀX
 * (normal equations in float64) or its SVD pseudo-inverse.
 * Tolerance: |t − t_ref| ≤ 1e-5·|t_ref| + 1e-9 (t is stored as float32).
 */
import { describe, expect, it } from 'vitest';
import { Matrix, inverse, pseudoInverse, SingularValueDecomposition } from 'ml-matrix';
import { factorDesign, invertSymmetric, qrRank } from '../shared/stats/linalg.ts';
import { fitGlm, glmModel } from '../shared/stats/glm.ts';
import { NeuroburstError } from '../shared/errors.ts';
import { expectNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';

function randMatrix(rows: number, cols: number, f: (i: number, j: number) => number): Matrix {
  const M = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) M.set(i, j, f(i, j));
  return M;
}

function toMatrix(X: Float64Array, n: number, p: number): Matrix {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(X.subarray(i * p, i * p + p)));
  return new Matrix(rows);
}

/** Random design: constant column, a ±1 group label (or none), covariates with offsets/scales. */
function randomDesign(n: number, p: number, seed: number, withLabel = true): Float64Array {
  const r = rng(seed);
  const X = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let v: number;
      if (j === 0 && withLabel) v = i < n / 2 ? 1 : -1;
      else if (j === 1 || (j === 0 && !withLabel)) v = 1;
      else v = 10 * j + (j * 3) * r.z(); // e.g. age-like offsets
      X[i * p + j] = v;
    }
  }
  return X;
}

function randomData(n: number, V: number, seed: number): Float32Array {
  const r = rng(seed);
  const Y = new Float32Array(n * V);
  for (let v = 0; v < V; v++) {
    const mean = 100 * r.u();
    const sd = 0.1 + 5 * r.u();
    for (let i = 0; i < n; i++) Y[i * V + v] = mean + sd * r.z();
  }
  return Y;
}

interface Reference {
  t: number[][];
  beta: number[][];
  resid: number[][];
}

/** Hand-computed OLS t from ml-matrix: b = (XᵀX)⁻¹Xᵀy, σ² = eᵀe/(n−p), t = cᵀb/√(σ² cᵀ(XᵀX)⁻¹c). */
function referenceGlm(
  X: Float64Array,
  n: number,
  p: number,
  contrasts: number[][],
  Y: Float32Array,
  V: number,
  useSvdPinv: boolean,
): Reference {
  const Xm = toMatrix(X, n, p);
  const xtxInv = inverse(Xm.transpose().mmul(Xm));
  const P = useSvdPinv ? pseudoInverse(Xm) : xtxInv.mmul(Xm.transpose());
  const Ym = new Matrix(n, V);
  for (let i = 0; i < n; i++) for (let v = 0; v < V; v++) Ym.set(i, v, Y[i * V + v]);
  const B = P.mmul(Ym); // p × V
  const E = Ym.clone().sub(Xm.mmul(B)); // n × V
  const t: number[][] = [];
  for (const c of contrasts) {
    const cm = new Matrix([c]);
    const q = cm.mmul(xtxInv).mmul(cm.transpose()).get(0, 0);
    const cb = cm.mmul(B);
    const row: number[] = [];
    for (let v = 0; v < V; v++) {
      let rss = 0;
      for (let i = 0; i < n; i++) rss += E.get(i, v) ** 2;
      row.push(cb.get(0, v) / Math.sqrt((rss / (n - p)) * q));
    }
    t.push(row);
  }
  return { t, beta: B.to2DArray(), resid: E.to2DArray() };
}

function maxRelErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < ref.length; k++) {
    m = Math.max(m, Math.abs(got[k] - ref[k]) / (Math.abs(ref[k]) + 1e-4));
  }
  return m;
}

describe('linalg', () => {
  it('qrRank matches the SVD rank of ml-matrix on random low-rank matrices', () => {
    const r = rng(7);
    for (const [n, p, k] of [
      [10, 4, 4], [10, 4, 2], [6, 6, 5], [30, 8, 3], [5, 9, 5], [12, 5, 1], [20, 3, 3],
    ]) {
      // X = A (n × k) · B (k × p) has rank k.
      const A = randMatrix(n, k, () => r.z());
      const Bm = randMatrix(k, p, (_i, j) => r.z() * (j + 1));
      const Xm = A.mmul(Bm);
      const X = Float64Array.from(Xm.to1DArray());
      expect(qrRank(X, n, p)).toBe(new SingularValueDecomposition(Xm).rank);
      expect(qrRank(X, n, p)).toBe(k);
    }
    expect(qrRank(new Float64Array(6), 3, 2)).toBe(0);
  });

  it('invertSymmetric agrees with ml-matrix inverse and rejects singular matrices', () => {
    const r = rng(11);
    for (const p of [1, 2, 3, 5, 8]) {
      const A = randMatrix(p + 3, p, () => r.z());
      const S = A.transpose().mmul(A);
      const got = invertSymmetric(Float64Array.from(S.to1DArray()), p);
      const ref = inverse(S).to1DArray();
      expect(maxRelErr(got, ref)).toBeLessThan(1e-9);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) expect(got[i * p + j]).toBe(got[j * p + i]);
    }
    expectNamed(() => invertSymmetric(Float64Array.from([1, 2, 2, 4]), 2), 'SingularDesign');
  });

  it('factorDesign gives the pseudo-inverse, (XᵀX)⁻¹ and dof of ml-matrix', () => {
    for (const [n, p, seed] of [[20, 3, 1], [74, 5, 2], [8, 7, 3], [40, 6, 4]]) {
      const X = randomDesign(n, p, seed);
      const f = factorDesign(X, n, p);
      const Xm = toMatrix(X, n, p);
      expect(f.rank).toBe(p);
      expect(f.dof).toBe(n - p);
      expect(maxRelErr(f.pinv, pseudoInverse(Xm).to1DArray())).toBeLessThan(1e-8);
      expect(maxRelErr(f.xtxInv, inverse(Xm.transpose().mmul(Xm)).to1DArray())).toBeLessThan(1e-8);
    }
  });

  it('factorDesign refuses deficient designs with SingularDesign and a reason', () => {
    const n = 12;
    const r = rng(5);
    const X = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) {
      const age = 40 + 10 * r.z();
      X.set([i % 2 ? 1 : -1, 1, age, 2 * age + 3], i * 4); // column 3 = 2·age + 3·const
    }
    expect(() => factorDesign(X, n, 4, 'design')).toThrow(/collinear/);
    expectNamed(() => factorDesign(X, n, 4, 'design'), 'SingularDesign');
    try {
      factorDesign(X, n, 4, 'design');
    } catch (e) {
      expect((e as NeuroburstError).input).toBe('design');
    }
    expect(() => factorDesign(randomDesign(4, 6, 1), 4, 6)).toThrow(/more columns/);
    expectNamed(() => factorDesign(randomDesign(4, 6, 1), 4, 6), 'SingularDesign');
    expect(() => factorDesign(randomDesign(5, 5, 1), 5, 5)).toThrow(/< 1/);
    expectNamed(() => factorDesign(randomDesign(5, 5, 1), 5, 5), 'SingularDesign');
    // Duplicate group indicator and an all-zero column.
    const D = new Float64Array(6 * 3);
    for (let i = 0; i < 6; i++) D.set([1, i < 3 ? 1 : 0, i < 3 ? 0 : 1], i * 3);
    expectNamed(() => factorDesign(D, 6, 3), 'SingularDesign');
    const Z = new Float64Array(6 * 2);
    for (let i = 0; i < 6; i++) Z[i * 2] = 1;
    expect(() => factorDesign(Z, 6, 2)).toThrow(/all zero/);
    expectNamed(() => factorDesign(Float64Array.from([1, NaN, 1, 2, 1, 3]), 3, 2), 'InvalidParameter');
  });

  it('is unaffected by wildly different column scales', () => {
    const n = 30;
    const r = rng(9);
    const X = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) X.set([1, 1e6 * (1 + r.u()), 1e-6 * r.z()], i * 3);
    const f = factorDesign(X, n, 3);
    expect(f.rank).toBe(3);
    expect(maxRelErr(f.pinv, pseudoInverse(toMatrix(X, n, 3)).to1DArray())).toBeLessThan(1e-6);
  });
});

describe('fitGlm', () => {
  const cases: Array<{ n: number; p: number; V: number; contrasts: number[][]; svd: boolean }> = [
    { n: 20, p: 3, V: 500, contrasts: [[1, 0, 0], [-1, 0, 0.5]], svd: false },
    { n: 74, p: 5, V: 3000, contrasts: [[1, 0, 0, 0, 0], [0, 0, 1, -1, 0], [0, 0, 0, 0, 1]], svd: true },
    { n: 9, p: 6, V: 2100, contrasts: [[1, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1]], svd: false },
    { n: 33, p: 2, V: 4097, contrasts: [[1, 0], [0, 1]], svd: true },
  ];
  for (const [k, cs] of cases.entries()) {
    it(`matches the ml-matrix t, beta and residuals (n=${cs.n}, p=${cs.p}, V=${cs.V})`, () => {
      const { n, p, V } = cs;
      const X = randomDesign(n, p, 100 + k);
      const Y = randomData(n, V, 200 + k);
      // Plant an effect in some voxels so |t| spans a wide range.
      for (let v = 0; v < V; v += 3) for (let i = 0; i < n / 2; i++) Y[i * V + v] += 2;
      const model = glmModel(X, n, p, cs.contrasts.map((c) => Float64Array.from(c)));
      expect(model.factor.dof).toBe(n - p);
      const tOut = cs.contrasts.map(() => new Float32Array(V));
      const resid = new Float32Array(n * V);
      const betaOut = Array.from({ length: p }, () => new Float64Array(V));
      fitGlm(model, Y, V, undefined, tOut, resid, betaOut);
      const ref = referenceGlm(X, n, p, cs.contrasts, Y, V, cs.svd);
      for (let c = 0; c < cs.contrasts.length; c++) {
        let worst = 0;
        for (let v = 0; v < V; v++) {
          const err = Math.abs(tOut[c][v] - ref.t[c][v]) - 1e-5 * Math.abs(ref.t[c][v]) - 1e-9;
          worst = Math.max(worst, err);
        }
        expect(worst).toBeLessThanOrEqual(0);
      }
      for (let j = 0; j < p; j++) {
        for (let v = 0; v < V; v += 7) {
          expect(Math.abs(betaOut[j][v] - ref.beta[j][v])).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(ref.beta[j][v])));
        }
      }
      for (let i = 0; i < n; i++) {
        for (let v = 0; v < V; v += 5) {
          const r = ref.resid[i][v];
          expect(Math.abs(resid[i * V + v] - r)).toBeLessThanOrEqual(1e-6 * (Math.abs(r) + 1e-3 * Math.abs(Y[i * V + v])));
        }
      }
    });
  }

  function twoGroup(n1: number, n2: number, seed: number) {
    const n = n1 + n2;
    const r = rng(seed);
    const age = Array.from({ length: n }, () => 20 + 40 * r.u());
    const sex = Array.from({ length: n }, (): number => (r.u() < 0.5 ? 0 : 1));
    return { n, age, sex, isG1: (i: number) => i < n1 };
  }

  it('cell-means coding, DPABI ±1 coding and centred covariates give the same group t', () => {
    const { n, age, sex, isG1 } = twoGroup(13, 17, 42);
    const V = 800;
    const Y = randomData(n, V, 43);
    for (let v = 0; v < V; v += 2) for (let i = 0; i < n; i++) Y[i * V + v] += isG1(i) ? 1.5 : 0;
    const meanAge = age.reduce((a, b) => a + b, 0) / n;
    const meanSex = sex.reduce((a, b) => a + b, 0) / n;
    const designs: Array<{ X: number[][]; c: number[] }> = [
      // cell means [g1, g2, age, sex], contrast g1 − g2
      { X: age.map((a, i) => [isG1(i) ? 1 : 0, isG1(i) ? 0 : 1, a, sex[i]]), c: [1, -1, 0, 0] },
      // DPABI y_TTest2_Image: [label(+1/−1), 1, covariates (not demeaned)], contrast on the label
      { X: age.map((a, i) => [isG1(i) ? 1 : -1, 1, a, sex[i]]), c: [1, 0, 0, 0] },
      // the same with centred covariates
      { X: age.map((a, i) => [isG1(i) ? 1 : -1, 1, a - meanAge, sex[i] - meanSex]), c: [1, 0, 0, 0] },
      // dummy coding with the constant: [1, g1, age, sex]
      { X: age.map((a, i) => [1, isG1(i) ? 1 : 0, a, sex[i]]), c: [0, 1, 0, 0] },
    ];
    const ts = designs.map(({ X, c }) => {
      const model = glmModel(Float64Array.from(X.flat()), n, 4, [Float64Array.from(c)]);
      const t = new Float32Array(V);
      fitGlm(model, Y, V, undefined, [t]);
      return t;
    });
    for (let d = 1; d < ts.length; d++) expect(maxRelErr(ts[d], ts[0])).toBeLessThan(1e-5);
    // Sanity: the planted effect is detected with the right sign.
    expect(ts[0][0]).toBeGreaterThan(2);
    // Centring a covariate changes that covariate's own intercept, not the group effect,
    // but the t of a covariate contrast is also unchanged.
    const cov = designs.slice(1, 3).map(({ X }) => {
      const model = glmModel(Float64Array.from(X.flat()), n, 4, [Float64Array.from([0, 0, 1, 0])]);
      const t = new Float32Array(V);
      fitGlm(model, Y, V, undefined, [t]);
      return t;
    });
    expect(maxRelErr(cov[1], cov[0])).toBeLessThan(1e-5);
  });

  it('collinear covariates → SingularDesign; bad contrasts → InvalidParameter', () => {
    const { n, age, isG1 } = twoGroup(6, 6, 3);
    const X = Float64Array.from(age.flatMap((a, i) => [isG1(i) ? 1 : -1, 1, a, a / 12 - 5]));
    expectNamed(() => glmModel(X, n, 4, [Float64Array.from([1, 0, 0, 0])], 'covariates'), 'SingularDesign');
    const Xok = Float64Array.from(age.flatMap((a, i) => [isG1(i) ? 1 : -1, 1, a]));
    expectNamed(() => glmModel(Xok, n, 3, [Float64Array.from([0, 0, 0])]), 'InvalidParameter');
    expectNamed(() => glmModel(Xok, n, 3, [Float64Array.from([1, 0])]), 'InvalidParameter');
    expectNamed(() => glmModel(Xok, n, 3, [Float64Array.from([1, NaN, 0])]), 'InvalidParameter');
  });

  it('writes 0 for invalid voxels and zero-variance voxels (no NaN)', () => {
    const n = 16;
    const p = 3;
    const V = 5000;
    const X = randomDesign(n, p, 77);
    const Y = randomData(n, V, 78);
    const valid = new Uint8Array(V).fill(1);
    for (let v = 0; v < V; v += 3) valid[v] = 0;
    valid.fill(0, 2048, 4096); // a whole block invalid
    // zero-variance voxels: constant, all zero, and NaN data hidden behind the mask
    for (let i = 0; i < n; i++) {
      Y[i * V + 1] = 42.5;
      Y[i * V + 2] = 0;
      Y[i * V + 4097] = -3;
      Y[i * V + 3] = NaN;
    }
    valid[3] = 0;
    const model = glmModel(X, n, p, [Float64Array.from([1, 0, 0]), Float64Array.from([0, 0, 1])]);
    const tOut = [new Float32Array(V).fill(9), new Float32Array(V).fill(9)];
    const resid = new Float32Array(n * V).fill(9);
    const betaOut = [new Float64Array(V).fill(9), new Float64Array(V).fill(9), new Float64Array(V).fill(9)];
    fitGlm(model, Y, V, valid, tOut, resid, betaOut);

    const tAll = [new Float32Array(V), new Float32Array(V)];
    const residAll = new Float32Array(n * V);
    fitGlm(model, Y, V, undefined, tAll, residAll);

    for (let v = 0; v < V; v++) {
      for (let c = 0; c < 2; c++) {
        expect(Number.isNaN(tOut[c][v])).toBe(false);
        if (!valid[v]) expect(tOut[c][v]).toBe(0);
        else expect(tOut[c][v]).toBe(tAll[c][v]);
      }
      for (let i = 0; i < n; i++) {
        if (!valid[v]) expect(resid[i * V + v]).toBe(0);
        else expect(resid[i * V + v]).toBe(residAll[i * V + v]);
      }
      for (let j = 0; j < p; j++) if (!valid[v]) expect(betaOut[j][v]).toBe(0);
    }
    for (const v of [1, 2, 4097]) {
      expect(valid[v]).toBe(1);
      expect(tOut[0][v]).toBe(0);
      expect(tOut[1][v]).toBe(0);
    }
    // The NaN voxel, unmasked, still yields 0 rather than NaN.
    expect(tAll[0][3]).toBe(0);
    // Most valid, non-degenerate voxels have a non-zero t.
    let nonzero = 0;
    for (let v = 0; v < V; v++) if (valid[v] && tOut[0][v] !== 0) nonzero++;
    expect(nonzero).toBeGreaterThan(1900);
  });

  it('rejects mis-sized buffers', () => {
    const X = randomDesign(10, 2, 1);
    const model = glmModel(X, 10, 2, [Float64Array.from([1, 0])]);
    expectNamed(() => fitGlm(model, new Float32Array(10 * 5), 6, undefined, [new Float32Array(6)]), 'InvalidParameter');
    expectNamed(() => fitGlm(model, new Float32Array(10 * 5), 5, undefined, []), 'InvalidParameter');
    expectNamed(
      () => fitGlm(model, new Float32Array(10 * 5), 5, new Uint8Array(4), [new Float32Array(5)]),
      'InvalidParameter',
    );
  });

});
