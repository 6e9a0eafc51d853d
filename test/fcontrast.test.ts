/**
 * F-contrasts against independent references: ml-matrix normal equations, the
 * extra-sum-of-squares F of full vs restricted model (three-group ANCOVA main effect),
 * t² = F for one row, the closed-form F(2, ν) tail for F → z, and Freedman–Lane against a
 * twin built from the restricted model's fitted values and residuals.
 */
import { Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { glmModel, fitGlm } from '../shared/stats/glm.ts';
import { fContrastModel, fitF, fStatistic } from '../shared/stats/fcontrast.ts';
import { freedmanLaneF, permutedF } from '../shared/stats/fcontrast-permute.ts';
import { fToZ, fTail, logFTail } from '../shared/stats/fdist.ts';
import { incBeta, logIncBetaPair, normalQuantileFromLogTail, normalTail } from '../shared/stats/distributions.ts';
import { expectNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';

// the study's group sizes: DRE 22, DSE 25, HC 27; covariates age and TIV
const SIZES = [22, 25, 27];
const n = 74;
const p = 5;
const V = 40;

function cohort(seed: number) {
  const r = rng(seed);
  const X = new Float64Array(n * p);
  const age: number[] = [];
  const tiv: number[] = [];
  let i = 0;
  SIZES.forEach((s, g) => {
    for (let k = 0; k < s; k++, i++) {
      X[i * p + g] = 1;
      age.push(20 + 30 * r.u());
      tiv.push(1400 + 150 * r.z());
      X[i * p + 3] = age[i];
      X[i * p + 4] = tiv[i];
    }
  });
  const Y = new Float32Array(n * V);
  for (let s = 0; s < n; s++) {
    const g = s < 22 ? 0 : s < 47 ? 1 : 2;
    for (let v = 0; v < V; v++) Y[s * V + v] = 0.5 + (v % 3 === 0 ? 0.05 * g : 0) + 0.002 * age[s] + 0.0001 * tiv[s] + 0.03 * r.z();
  }
  return { X, Y, age, tiv };
}

const MAIN = [[1, -1, 0, 0, 0], [0, 1, -1, 0, 0]];

function column(Y: Float32Array | Float64Array, v: number): number[] {
  return Array.from({ length: n }, (_, s) => Y[s * V + v]);
}

/** F by the normal equations with ml-matrix: b = (XᵀX)⁻¹Xᵀy. */
function fNormalEquations(X: Float64Array, y: number[], C: number[][]): number {
  const Xm = new Matrix(Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * p, i * p + p))));
  const ym = Matrix.columnVector(y);
  const xtxi = inverse(Xm.transpose().mmul(Xm));
  const b = xtxi.mmul(Xm.transpose()).mmul(ym);
  const e = ym.clone().sub(Xm.mmul(b));
  const s2 = e.transpose().mmul(e).get(0, 0) / (n - p);
  const Cm = new Matrix(C);
  const cb = Cm.mmul(b);
  const mid = inverse(Cm.mmul(xtxi).mmul(Cm.transpose()));
  return cb.transpose().mmul(mid).mmul(cb).get(0, 0) / (C.length * s2);
}

/** Residual sum of squares of y on the columns of M (n × k) by ml-matrix normal equations; also the fitted values. */
function ols(M: number[][], y: number[]): { rss: number; fitted: number[] } {
  const Mm = new Matrix(M);
  const ym = Matrix.columnVector(y);
  const b = inverse(Mm.transpose().mmul(Mm)).mmul(Mm.transpose()).mmul(ym);
  const f = Mm.mmul(b).to1DArray();
  return { rss: y.reduce((s, v, i) => s + (v - f[i]) ** 2, 0), fitted: f };
}

describe('F-contrast', () => {
  const { X, Y, age, tiv } = cohort(7);

  it('equals the ml-matrix normal-equations F and the full-vs-restricted extra sum of squares (ANCOVA main effect)', () => {
    const m = fContrastModel(X, n, p, MAIN);
    expect(m.rank).toBe(2);
    expect(m.dof).toBe(n - p);
    const F = new Float32Array(V);
    const Z = new Float32Array(V);
    fitF(m, Y, V, undefined, F, Z);
    const restricted = Array.from({ length: n }, (_, i) => [1, age[i], tiv[i]]);
    const full = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * p, i * p + p)));
    for (let v = 0; v < V; v++) {
      const y = column(Y, v);
      const ref = fNormalEquations(X, y, MAIN);
      expect(Math.abs(F[v] - ref) / ref).toBeLessThan(2e-6); // F stored as float32
      expect(Math.abs(fStatistic(m, y) - ref) / ref).toBeLessThan(1e-9);
      const r0 = ols(restricted, y).rss;
      const r1 = ols(full, y).rss;
      const ess = ((r0 - r1) / 2) / (r1 / (n - p));
      expect(Math.abs(fStatistic(m, y) - ess) / ess).toBeLessThan(1e-8);
      // z has the same upper tail: F(2, ν) tail = (1 + 2F/ν)^(−ν/2)
      const nu = n - p;
      const zRef = normalQuantileFromLogTail((-nu / 2) * Math.log1p((2 * F[v]) / nu));
      expect(Z[v]).toBeCloseTo(zRef, 5);
    }
    // the planted effect is found
    expect(F[0]).toBeGreaterThan(F[1]);
  });

  it('dependent rows give the same F with rank 2', () => {
    const m2 = fContrastModel(X, n, p, MAIN);
    const m3 = fContrastModel(X, n, p, [[1, -1, 0, 0, 0], [0, 1, -1, 0, 0], [1, 0, -1, 0, 0]]);
    expect(m3.rank).toBe(2);
    expect(m3.rows).toEqual([0, 1]);
    const y = column(Y, 3);
    expect(fStatistic(m3, y)).toBeCloseTo(fStatistic(m2, y), 9);
  });

  it('one row: F = t² of fitGlm and the F tail is the two-sided t p', () => {
    const c = [0, 1, -1, 0, 0];
    const mf = fContrastModel(X, n, p, [c]);
    const mt = glmModel(X, n, p, [Float64Array.from(c)]);
    const F = new Float32Array(V);
    const T = [new Float32Array(V)];
    fitF(mf, Y, V, undefined, F);
    fitGlm(mt, Y, V, undefined, T);
    for (let v = 0; v < V; v++) expect(Math.abs(F[v] - T[0][v] ** 2) / F[v]).toBeLessThan(1e-5);
  });

  it('rank-0 and non-finite contrasts are named errors', () => {
    expectNamed(() => fContrastModel(X, n, p, [[0, 0, 0, 0, 0]], 'params.fContrasts.0'), 'NonEstimableContrast', { input: 'params.fContrasts.0', message: /rank 0/ });
    expectNamed(() => fContrastModel(X, n, p, [[1, NaN, 0, 0, 0]], 'c'), 'NonEstimableContrast', { input: 'c', message: /non-finite/ });
    expectNamed(() => fContrastModel(X, n, p, []), 'NonEstimableContrast');
    expectNamed(() => fContrastModel(X, n, p, [[1, -1, 0]], 'c'), 'InvalidParameter', 'c');
  });

  it('F → z in log space far out, and F = 0 maps to z = 0', () => {
    expect(fToZ(0, 2, 69)).toBe(0);
    const f = 1e6;
    const lt = logFTail(f, 2, 69);
    expect(lt).toBeCloseTo((-69 / 2) * Math.log1p((2 * f) / 69), 9);
    const z = fToZ(f, 2, 69);
    expect(Number.isFinite(z)).toBe(true);
    expect(z).toBeGreaterThan(20);
    // moderate values: Φ(−z) equals the F tail
    for (const g of [0.5, 3, 12]) expect(normalTail(fToZ(g, 3, 40))).toBeCloseTo(fTail(g, 3, 40), 12);
  });
});

describe('Freedman–Lane F', () => {
  const { X, Y, age, tiv } = cohort(11);
  const m = fContrastModel(X, n, p, MAIN);
  const fl = freedmanLaneF(m, Y, V);

  it('the identity permutation reproduces the observed F', () => {
    const obs = new Float32Array(V);
    fitF(m, Y, V, undefined, obs);
    const id = Int32Array.from({ length: n }, (_, i) => i);
    const out = new Float32Array(V);
    permutedF(fl, id, undefined, undefined, out);
    for (let v = 0; v < V; v++) expect(Math.abs(out[v] - obs[v]) / obs[v]).toBeLessThan(1e-5);
  });

  it('a permutation equals the F of (restricted fit + permuted restricted residuals) refitted with the full model', () => {
    // the Beckmann nuisance space of the main effect is span(1, age, TIV): the restricted model
    const r = rng(99);
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r.u() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const out = new Float32Array(V);
    permutedF(fl, perm, undefined, undefined, out);
    const restricted = Array.from({ length: n }, (_, i) => [1, age[i], tiv[i]]);
    for (let v = 0; v < V; v++) {
      const y = column(Y, v);
      const { fitted } = ols(restricted, y);
      const e = y.map((yy, i) => yy - fitted[i]);
      const ystar = fitted.map((f, i) => f + e[perm[i]]);
      const ref = fNormalEquations(X, ystar, MAIN);
      expect(Math.abs(out[v] - ref) / ref).toBeLessThan(2e-6);
    }
  });
});

describe('log incomplete beta pair', () => {
  it('agrees with incBeta on both branches and keeps the far tail in logs', () => {
    for (const [a, b] of [[0.5, 3], [2, 2], [34.5, 1], [1, 35]]) {
      for (const x of [1e-4, 0.1, 0.5, 0.9, 0.9999]) {
        const { logLower, logUpper } = logIncBetaPair(x, 1 - x, a, b);
        expect(Math.exp(logLower)).toBeCloseTo(incBeta(x, a, b), 12);
        expect(Math.exp(logUpper)).toBeCloseTo(1 - incBeta(x, a, b), 12);
      }
    }
    // I_x(a, 1) = x^a: log = a·log x even where x^a underflows
    expect(logIncBetaPair(1e-20, 1 - 1e-20, 30, 1).logLower).toBeCloseTo(30 * Math.log(1e-20), 9);
  });
});
