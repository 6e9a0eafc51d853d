import { describe, expect, it } from 'vitest';
import { fTail, holmAdjust, rmAnovaOneWay } from '../shared/stats/rm-anova.ts';
import { expectNamed } from './helpers/errors.ts';


/** Student t with 3 df in closed form: P(|T| > |t|) = 1 − (2/π)(u/(1+u²) + atan u), u = |t|/√3. */
const t3TwoSided = (t: number) => {
  const u = Math.abs(t) / Math.sqrt(3);
  return 1 - (2 / Math.PI) * (u / (1 + u * u) + Math.atan(u));
};

describe('one-way repeated-measures ANOVA', () => {
  // 4 subjects × 3 conditions:
  //   S1: 1 2 6 | S2: 2 4 7 | S3: 3 3 9 | S4: 2 3 6
  // condition means 2, 3, 7; grand mean 4; subject means 3, 13/3, 5, 11/3
  // SS_cond = 4·(4 + 1 + 9) = 56; SS_subj = 3·(1 + 1/9 + 1 + 1/9) = 20/3
  // SS_total = 17 + 13 + 27 + 9 = 66; SS_err = 66 − 56 − 20/3 = 10/3
  // df 2 and 6; F = 28 / (10/3/6) = 50.4; for d1 = 2, P(F > f) = (1 + 2f/d2)^(−d2/2) = 17.8^−3
  const Y = [1, 2, 6, 2, 4, 7, 3, 3, 9, 2, 3, 6];

  it('matches the hand-computed sums of squares, F and p', () => {
    const r = rmAnovaOneWay(Y, 4, 3);
    expect(r.conditionMeans).toEqual([2, 3, 7]);
    expect(r.ssConditions).toBeCloseTo(56, 12);
    expect(r.ssSubjects).toBeCloseTo(20 / 3, 12);
    expect(r.ssError).toBeCloseTo(10 / 3, 12);
    expect([r.dfConditions, r.dfError]).toEqual([2, 6]);
    expect(r.F).toBeCloseTo(50.4, 10);
    expect(Math.abs(r.p - 17.8 ** -3) / 17.8 ** -3).toBeLessThan(1e-10);
    expect(r.partialEtaSquared).toBeCloseTo(56 / (56 + 10 / 3), 12);
    // independent-measures ANOVA on the same numbers would pool SS_subj into the error: F = 28/((20/3 + 10/3)/9) = 25.2
    expect(r.F).toBeGreaterThan(25.2);
  });

  it('Greenhouse–Geisser ε and corrected p (numpy/scipy reference, generator below)', () => {
    // import numpy as np; from scipy import stats
    // Y = np.array([[1,2,6],[2,4,7],[3,3,9],[2,3,6.]]); C = np.eye(3) - 1/3; St = C @ np.cov(Y, rowvar=False) @ C
    // eps = np.trace(St)**2 / (2*np.trace(St @ St))  → 0.6097560975609755 (= 25/41)
    // stats.f.sf(50.4, 2*eps, 6*eps)                  → 0.00264663376844656
    const r = rmAnovaOneWay(Y, 4, 3);
    expect(r.greenhouseGeisser.epsilon).toBeCloseTo(25 / 41, 12);
    expect(Math.abs(r.greenhouseGeisser.p - 0.00264663376844656) / 0.00264663376844656).toBeLessThan(1e-8);
  });

  it('post-hoc paired t-tests with Bonferroni and Holm', () => {
    // differences 1−2: −1 −2 0 −1 → mean −1, SD² 2/3, t = −√6; 1−3: −5 −5 −6 −4 → t = −√150; 2−3: −4 −3 −6 −3 → SD² 2, t = −√32
    const r = rmAnovaOneWay(Y, 4, 3);
    const [p12, p13, p23] = r.posthoc;
    expect(p12!.t).toBeCloseTo(-Math.sqrt(6), 12);
    expect(p13!.t).toBeCloseTo(-Math.sqrt(150), 10);
    expect(p23!.t).toBeCloseTo(-Math.sqrt(32), 12);
    for (const q of r.posthoc) {
      expect(q.df).toBe(3);
      expect(Math.abs(q.p - t3TwoSided(q.t))).toBeLessThan(1e-12);
      expect(q.pBonferroni).toBeCloseTo(Math.min(1, 3 * q.p), 14);
    }
    // Holm: ascending p13 < p23 < p12 → 3·p13, max(that, 2·p23), max(that, p12)
    expect(p13!.pHolm).toBeCloseTo(3 * p13!.p, 14);
    expect(p23!.pHolm).toBeCloseTo(Math.max(3 * p13!.p, 2 * p23!.p), 14);
    expect(p12!.pHolm).toBeCloseTo(Math.max(2 * p23!.p, p12!.p), 14);
    // scipy.stats.ttest_rel reference: p = 0.09172111331157186, 0.0011722164447168864, 0.010937657011620666
    expect(p12!.p).toBeCloseTo(0.09172111331157186, 12);
    expect(p13!.p).toBeCloseTo(0.0011722164447168864, 12);
    expect(p23!.p).toBeCloseTo(0.010937657011620666, 12);
  });

  it('F tail: closed forms for d1 = 2 and the t² = F(1, ν) identity', () => {
    for (const [f, d2] of [[0.5, 4], [3, 10], [12, 7]] as const) expect(fTail(f, 2, d2)).toBeCloseTo((1 + (2 * f) / d2) ** (-d2 / 2), 12);
    expect(fTail(6, 1, 3)).toBeCloseTo(t3TwoSided(Math.sqrt(6)), 12);
    expect(fTail(0, 2, 5)).toBe(1);
  });

  it('Holm leaves monotone order and caps at 1', () => {
    expect(holmAdjust([0.01, 0.04, 0.03, 0.5])).toEqual([0.04, 0.09, 0.09, 0.5]);
    expect(holmAdjust([0.6, 0.9])).toEqual([1, 1]);
  });

  it('refuses too few subjects or conditions and non-finite values', () => {
    expectNamed(() => rmAnovaOneWay([1, 2], 1, 2), 'EmptyData');
    expectNamed(() => rmAnovaOneWay([1, 2], 2, 1), 'InvalidParameter');
    expectNamed(() => rmAnovaOneWay([1, 2, NaN, 4], 2, 2), 'InvalidParameter');
  });
});
