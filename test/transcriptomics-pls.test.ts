import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { InvalidPlsInput, fitPls1, pls1, simpls, zscore, zscoreColumns } from '../shared/transcriptomics/pls.ts';
import { parseExpression, parseRegionValues } from '../shared/transcriptomics/tables.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const TX = join(FIXTURES, 'transcriptomics');

function developmentData() {
  const expr = parseExpression(readFileSync(join(TX, 'ahba', 'enigma-extra_allgenes_stable_r0.6.csv'), 'utf8'), 'expression');
  const map = parseRegionValues(readFileSync(join(TX, 'maps', 'enigma_scz_case-controls_CortThick.csv'), 'utf8'), 'map', 'Structure', 'd_icv');
  const rows = expr.regions.map((r, i) => [r, i] as const).filter(([r]) => r.startsWith('L_'));
  const p = expr.genes.length;
  const n = rows.length;
  const X = new Float64Array(n * p);
  const y = new Float64Array(n);
  rows.forEach(([r, i], k) => {
    X.set(expr.values.subarray(i * p, (i + 1) * p), k * p);
    y[k] = map.get(r)!;
  });
  return { X, y, n, p, genes: expr.genes };
}

/** Independent PLS1 variance explained from the SVD of X0: X0X0ᵀ = U S² Uᵀ, a = Uᵀy0. */
function svdVariance(X0: Float64Array, y0: Float64Array, n: number, p: number): number {
  const M = new Matrix(n, p);
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) M.set(i, g, X0[i * p + g]!);
  const svd = new SingularValueDecomposition(M.transpose(), { autoTranspose: true });
  const V = svd.rightSingularVectors; // n × r : left singular vectors of X0
  const s = svd.diagonal;
  let num = 0;
  let den = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) yy += y0[i]! ** 2;
  for (let k = 0; k < s.length; k++) {
    let a = 0;
    for (let i = 0; i < n; i++) a += V.get(i, k) * y0[i]!;
    num += s[k]! ** 2 * a * a;
    den += s[k]! ** 4 * a * a;
  }
  return (num * num) / (den * yy);
}

/** NIPALS PLS1 with X deflation (for one response its scores span the same Krylov space as SIMPLS). */
function nipals(X0: Float64Array, y0: Float64Array, n: number, p: number, k: number): number[] {
  const X = Matrix.from1DArray(n, p, Array.from(X0));
  const y = Matrix.columnVector(Array.from(y0));
  const yy = y0.reduce((a, b) => a + b * b, 0);
  const out: number[] = [];
  let Xa = X.clone();
  for (let a = 0; a < k; a++) {
    const w = Xa.transpose().mmul(y);
    w.div(w.norm());
    const t = Xa.mmul(w);
    const tt = t.dot(t);
    const pl = Xa.transpose().mmul(t).div(tt);
    out.push(t.dot(y) ** 2 / (tt * yy));
    Xa = Xa.sub(t.mmul(pl.transpose()));
  }
  return out;
}

describe('PLS', () => {
  it('the development number: 34 left DK regions, scz thickness d_icv vs 1645 stable genes → PLS1 variance explained 0.4495849', () => {
    const { X, y, n, p } = developmentData();
    expect([n, p]).toEqual([34, 1645]);
    const fit = fitPls1(X, y, n, p);
    expect(fit.varianceExplained).toBeCloseTo(0.4495849, 7);
    expect(fit.varianceExplained).toBeCloseTo(svdVariance(fit.X0, fit.y0, n, p), 12);
    // closed form in the formula's own terms
    const K = (v: Float64Array) => {
      const r = new Float64Array(p);
      for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) r[g]! += fit.X0[i * p + g]! * v[i]!;
      const t = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) t[i]! += fit.X0[i * p + g]! * r[g]!;
      return t;
    };
    const ky = K(fit.y0);
    const yky = ky.reduce((a, b, i) => a + b * fit.y0[i]!, 0);
    const kk = ky.reduce((a, b) => a + b * b, 0);
    expect(fit.varianceExplained).toBeCloseTo(yky ** 2 / (kk * (n - 1)), 12);
    // sign: the score correlates positively with the map, and a positive weight = a gene higher where the map is higher
    const corr = fit.scores.reduce((a, t, i) => a + t * fit.y0[i]!, 0);
    expect(corr).toBeGreaterThan(0);
    for (const g of [0, 100, 1000]) {
      const rg = fit.X0.filter((_, k) => k % p === g).reduce((a, x, i) => a + x * fit.y0[i]!, 0);
      expect(Math.sign(fit.weights[g]!)).toBe(Math.sign(rg));
    }
  });

  it('SIMPLS: component 1 is the closed form; per-component variance equals NIPALS; scores orthonormal', () => {
    const { X, y, n, p } = developmentData();
    const X0 = zscoreColumns(X, n, p).data;
    const y0 = zscore(y);
    const comps = simpls(X0, y0, n, p, 5);
    expect(comps.length).toBe(5);
    expect(comps[0]!.varianceExplained).toBeCloseTo(pls1(X0, y0, n, p).varianceExplained, 13);
    const ref = nipals(X0, y0, n, p, 5);
    comps.forEach((c, a) => expect(c.varianceExplained).toBeCloseTo(ref[a]!, 10));
    for (let a = 0; a < 5; a++) for (let b = 0; b <= a; b++) {
      const d = comps[a]!.scores.reduce((s, t, i) => s + t * comps[b]!.scores[i]!, 0);
      expect(d).toBeCloseTo(a === b ? 1 : 0, 10);
    }
    const total = comps.reduce((s, c) => s + c.varianceExplained, 0);
    expect(total).toBeLessThanOrEqual(1 + 1e-12);
  });

  it('z-scoring uses ddof 1 and refuses a constant response or fewer than 3 regions', () => {
    const z = zscore([1, 2, 3, 4]);
    expect(z[0]).toBeCloseTo(-1.5 / Math.sqrt(5 / 3), 14);
    expect(() => zscore([2, 2, 2])).toThrow(InvalidPlsInput);
    expect(() => fitPls1([1, 2], [1, 2], 2, 1)).toThrow(/at least 3 regions/);
  });
});
