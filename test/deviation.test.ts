/**
 * Deviation maps against plain twins: per-voxel mean/SD loops, per-voxel ml-matrix
 * regressions in the controls, a direct pooled t.
 */
import { Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { compareDeviationGroups, deviationMaps, deviationModel, deviationZ, groupMeanMap } from '../shared/stats/deviation.ts';
import { expectNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';

const V = 30;

function maps(n: number, seed: number, shift = 0): { Y: Float32Array; age: number[] } {
  const r = rng(seed);
  const Y = new Float32Array(n * V);
  const age: number[] = [];
  for (let s = 0; s < n; s++) {
    age.push(20 + 40 * r.u());
    for (let v = 0; v < V; v++) Y[s * V + v] = 1 + 0.01 * v + 0.004 * age[s] + (v < 5 ? shift : 0) + 0.05 * r.z();
  }
  return { Y, age };
}

describe('deviation maps', () => {
  const ref = maps(27, 1);
  const pat = maps(22, 2, 0.1);

  it('without covariates: z = (y − mean)/SD of the controls (ddof 1)', () => {
    const z = deviationMaps({ reference: ref.Y, nRef: 27, patients: pat.Y, nPat: 22, V });
    for (let v = 0; v < V; v++) {
      const c = Array.from({ length: 27 }, (_, s) => ref.Y[s * V + v]);
      const m = c.reduce((a, b) => a + b, 0) / 27;
      const sd = Math.sqrt(c.reduce((a, b) => a + (b - m) ** 2, 0) / 26);
      for (let s = 0; s < 22; s++) expect(z[s * V + v]).toBeCloseTo((pat.Y[s * V + v] - m) / sd, 5);
    }
  });

  it('with a covariate: fit in the controls, predict for the patient, residual or prediction σ̂', () => {
    const cov = Float64Array.from(ref.age);
    const pcov = Float64Array.from(pat.age);
    const mRes = deviationModel(ref.Y, 27, V, { covariates: cov, k: 1 });
    const mPred = deviationModel(ref.Y, 27, V, { covariates: cov, k: 1, scale: 'prediction' });
    const zr = deviationZ(mRes, pat.Y, 22, pcov);
    const zp = deviationZ(mPred, pat.Y, 22, pcov);
    const X = new Matrix(ref.age.map((a) => [1, a]));
    const xtxi = inverse(X.transpose().mmul(X));
    for (let v = 0; v < V; v += 7) {
      const y = Matrix.columnVector(Array.from({ length: 27 }, (_, s) => ref.Y[s * V + v]));
      const b = xtxi.mmul(X.transpose()).mmul(y);
      const e = y.clone().sub(X.mmul(b));
      const sigma = Math.sqrt(e.transpose().mmul(e).get(0, 0) / 25);
      for (let s = 0; s < 22; s++) {
        const x0 = Matrix.rowVector([1, pat.age[s]]);
        const yhat = x0.mmul(b).get(0, 0);
        const lev = x0.mmul(xtxi).mmul(x0.transpose()).get(0, 0);
        expect(zr[s * V + v]).toBeCloseTo((pat.Y[s * V + v] - yhat) / sigma, 4);
        expect(zp[s * V + v]).toBeCloseTo((pat.Y[s * V + v] - yhat) / (sigma * Math.sqrt(1 + lev)), 4);
      }
    }
  });

  it('group mean and two-group comparison equal direct computations', () => {
    const zA = deviationMaps({ reference: ref.Y, nRef: 27, patients: pat.Y, nPat: 22, V });
    const other = maps(6, 3);
    const zB = deviationMaps({ reference: ref.Y, nRef: 27, patients: other.Y, nPat: 6, V });
    const mean = groupMeanMap(zA, 22, V);
    const { t, df } = compareDeviationGroups(zA, 22, zB, 6, V);
    expect(df).toBe(26);
    for (let v = 0; v < V; v++) {
      const a = Array.from({ length: 22 }, (_, s) => zA[s * V + v]);
      const b = Array.from({ length: 6 }, (_, s) => zB[s * V + v]);
      const ma = a.reduce((x, y) => x + y, 0) / 22;
      const mb = b.reduce((x, y) => x + y, 0) / 6;
      expect(mean[v]).toBeCloseTo(ma, 5);
      const sp = (a.reduce((x, y) => x + (y - ma) ** 2, 0) + b.reduce((x, y) => x + (y - mb) ** 2, 0)) / 26;
      expect(t[v]).toBeCloseTo((ma - mb) / Math.sqrt(sp * (1 / 22 + 1 / 6)), 4);
    }
    // the planted shift in voxels 0–4 shows as positive deviation
    expect(mean[0]).toBeGreaterThan(1);
  });

  it('a reference group of fewer than 3 is a named error; zero-variance voxels give z = 0', () => {
    expectNamed(() => deviationModel(ref.Y.subarray(0, 2 * V), 2, V), 'TooFewSubjects', { input: 'reference', message: /at least 3/ });
    const flat = new Float32Array(3 * 2).fill(5);
    flat[1] = 1;
    flat[3] = 2;
    flat[5] = 3;
    const z = deviationMaps({ reference: flat, nRef: 3, patients: Float32Array.from([9, 4]), nPat: 1, V: 2 });
    expect(z[0]).toBe(0); // voxel 0 constant in the controls
    expect(z[1]).toBeCloseTo((4 - 2) / 1, 6); // mean 2, SD 1
  });
});
