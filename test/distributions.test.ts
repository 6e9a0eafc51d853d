import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  erf,
  gammaLn,
  logNormalTail,
  logTTail,
  normalCdf,
  normalQuantile,
  normalQuantileFromLogTail,
  normalTail,
  tCdf,
  tQuantile,
  tTail,
  tToZ,
  tToZArray,
  twoTailedTP,
  zToT,
} from '../shared/stats/distributions.ts';

// jstat is the independent second implementation (no type declarations: loaded through require).
// Its own accuracy limits the tolerances below: its incomplete beta stops at a relative step of
// 3e-7, and its normal CDF/quantile are built on 1 − erf, so its tails lose relative precision.
const jStat = createRequire(import.meta.url)('jstat') as {
  studentt: { cdf(t: number, df: number): number };
  normal: { cdf(x: number, m: number, s: number): number; inv(p: number, m: number, s: number): number };
  erf(x: number): number;
  gammaln(x: number): number;
};

const EPS = 2.220446049250313e-16;

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

/*
 * High-precision references, computed with mpmath 1.3.0 at 50 digits:
 *
 *   import mpmath as mp; mp.mp.dps = 50
 *   lQ = lambda z: mp.log(mp.erfc(z / mp.sqrt(2)) / 2)                  # log(1 - Phi(z))
 *   tlogtail = lambda t, df: mp.log(mp.betainc(df/2, 0.5, 0, df/(df + t*t), regularized=True) / 2)
 *   zfrom = lambda l: mp.findroot(lambda s: lQ(s) - l, mp.sqrt(-2*l))   # z with log tail l
 *   normal quantile of p (p < 0.5):  -zfrom(mp.log(p))
 *   t -> z:  zfrom(tlogtail(t, df))   (for t = 0.001: sqrt(2)*erfinv(1 - 2*exp(tlogtail)))
 *   t quantile:  findroot(lambda s: tlogtail(s, df) - log(min(p, 1-p)), 3)
 */
const NORMAL_QUANTILE_REF: Array<[number, number]> = [
  [1e-300, -37.047096299361199],
  [1e-100, -21.273453560965324],
  [1e-20, -9.2623400897984076],
  [1e-10, -6.3613409024040562],
  [0.0025, -2.8070337683438041],
  [0.3, -0.52440051270804078],
];
const T_TO_Z_REF: Array<[t: number, df: number, z: number, logQ: number]> = [
  [3.1352062, 21, 2.807033734558793, -5.9914644422272345],
  [40, 21, 9.4767534625345173, -48.083049020297885],
  [1e6, 21, 22.652601772032425, -260.6113361483411],
  [5, 5, 2.8700001548241286, -6.1887659078125088],
  [100, 1000, 48.958407262720094, -1203.2731472575078],
  [0.001, 10, 0.00097535005297406806, -0.69392570015295546],
];
const T_QUANTILE_REF: Array<[p: number, df: number, t: number]> = [
  [0.9975, 21, 3.1352062454062686],
  [1e-10, 5, -156.82559270889432],
  [0.75, 3, 0.76489232840434528],
];

describe('normal distribution', () => {
  it('Phi^-1(0.9975) = 2.807033768 (the two-tailed p 0.005 threshold)', () => {
    expect(Math.abs(normalQuantile(0.9975) - 2.807033768)).toBeLessThan(5e-10);
    expect(Math.abs(normalQuantile(0.0025) + 2.807033768)).toBeLessThan(5e-10);
  });

  it('quantile matches 50-digit references to ~1e-15 relative, down to p = 1e-300', () => {
    for (const [p, z] of NORMAL_QUANTILE_REF) {
      expect(relErr(normalQuantile(p), z)).toBeLessThan(4 * EPS);
      // upper half: 1 − p itself carries a rounding error of ~EPS/p relative to p
      if (p >= 1e-3) expect(relErr(normalQuantile(1 - p), -z)).toBeLessThan(1e-12);
    }
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(NaN)).toBeNaN();
    expect(normalQuantile(1.5)).toBeNaN();
  });

  it('quantile matches jstat.normal.inv on a grid (p in [1e-6, 1 - 1e-6], rel 1e-9)', () => {
    for (let p = 1e-6; p < 1 - 1e-6; p = p < 0.5 ? p * 1.9 : 1 - (1 - p) / 1.9) {
      const ref = jStat.normal.inv(p, 0, 1);
      expect(Math.abs(normalQuantile(p) - ref)).toBeLessThanOrEqual(1e-9 * Math.abs(ref) + 1e-15);
    }
  });

  it('CDF matches jstat.normal.cdf (absolute 1e-15: jstat uses 1 + erf) and erf matches jstat.erf', () => {
    for (let z = -8; z <= 8; z += 0.13) {
      expect(Math.abs(normalCdf(z) - jStat.normal.cdf(z, 0, 1))).toBeLessThanOrEqual(1e-15);
      expect(Math.abs(erf(z / 2) - jStat.erf(z / 2))).toBeLessThanOrEqual(4 * EPS);
    }
  });

  it('quantile and CDF invert each other', () => {
    for (let p = 1e-12; p < 1; p = p < 0.5 ? p * 3.7 : 1 - (1 - p) / 3.7) {
      expect(relErr(normalCdf(normalQuantile(p)), p)).toBeLessThan(1e-13);
    }
  });

  it('log tail is finite far out and follows the Mills-ratio expansion', () => {
    // log(1 − Φ(z)) = −z²/2 − log z − log√(2π) + log(1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸ − …)
    for (const z of [40, 50, 100, 1e3, 1e5]) {
      const z2 = z * z;
      const series = 1 - 1 / z2 + 3 / z2 ** 2 - 15 / z2 ** 3 + 105 / z2 ** 4 - 945 / z2 ** 5;
      const ref = -z2 / 2 - Math.log(z) - 0.5 * Math.log(2 * Math.PI) + Math.log(series);
      expect(relErr(logNormalTail(z), ref)).toBeLessThan(1e-14);
    }
    expect(normalTail(37)).toBeGreaterThan(0); // underflows only beyond z ≈ 38.5
    expect(relErr(Math.log(normalTail(30)), logNormalTail(30))).toBeLessThan(1e-14);
    expect(logNormalTail(-40) === 0).toBe(true); // log1p(−0)
    expect(Math.abs(logNormalTail(-5) - Math.log1p(-normalTail(5)))).toBeLessThan(1e-20);
  });

  it('normalQuantileFromLogTail agrees with normalQuantile where both apply, and goes beyond 1e-300', () => {
    for (let p = 1e-300; p < 1; p = p < 0.5 ? p * 1e7 : 1 - (1 - p) / 1e3) {
      const a = normalQuantileFromLogTail(Math.log(p)); // z with upper tail p
      const b = -normalQuantile(p);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(4 * EPS * Math.max(1, Math.abs(b)));
    }
    // beyond double range of p: roundtrip through logNormalTail and two 50-digit references
    for (const z of [0.01, 1, 5, 37, 38.5, 60, 500, 1e4]) {
      expect(relErr(normalQuantileFromLogTail(logNormalTail(z)), z)).toBeLessThan(1e-14);
    }
    expect(relErr(normalQuantileFromLogTail(-1e4), 141.37983987312716)).toBeLessThan(4 * EPS);
    expect(relErr(normalQuantileFromLogTail(-1e6), 1414.2077829910173)).toBeLessThan(4 * EPS);
    expect(normalQuantileFromLogTail(0)).toBe(-Infinity);
    expect(normalQuantileFromLogTail(-Infinity)).toBe(Infinity);
    expect(normalQuantileFromLogTail(1)).toBeNaN();
  });
});

describe('gammaLn', () => {
  it('is exact on factorials and Γ(½), and matches jstat.gammaln (1e-9: Numerical Recipes Lanczos)', () => {
    let fact = 1;
    for (let n = 1; n <= 25; n++) {
      if (n > 1) fact *= n - 1;
      expect(Math.abs(gammaLn(n) - Math.log(fact))).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.log(fact)));
    }
    expect(Math.abs(gammaLn(0.5) - 0.5 * Math.log(Math.PI))).toBeLessThan(1e-15);
    expect(Math.abs(gammaLn(2.5) - Math.log(0.75 * Math.sqrt(Math.PI)))).toBeLessThan(1e-14);
    for (let x = 0.05; x < 1e4; x *= 1.37) {
      const ref = jStat.gammaln(x);
      expect(Math.abs(gammaLn(x) - ref)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref)));
    }
    expect(gammaLn(0)).toBe(Infinity);
  });
});

describe('Student t', () => {
  const DFS = [1, 2, 3, 4, 5, 7, 10, 15, 21, 30, 50, 100, 200, 500, 1000];

  it('CDF matches jstat.studentt.cdf over a grid of t and df (error ≤ 2e-7 of the smaller tail)', () => {
    for (const df of DFS) {
      for (let t = -12; t <= 12; t += 0.37) {
        const ref = jStat.studentt.cdf(t, df);
        expect(Math.abs(tCdf(t, df) - ref)).toBeLessThanOrEqual(2e-7 * Math.min(ref, 1 - ref));
      }
    }
  });

  it('matches closed forms for df = 1 (Cauchy) and df = 2 to ~1e-15', () => {
    for (let t = 1e-6; t < 1e12; t *= 2.9) {
      const cauchyTail = Math.atan2(1, t) / Math.PI; // P(T > t) = atan(1/t)/π
      expect(relErr(tTail(t, 1), cauchyTail)).toBeLessThan(1e-14);
      const df2Tail = 0.5 - t / (2 * Math.sqrt(t * t + 2)); // P(T > t), df 2
      const df2TailStable = 1 / (Math.sqrt(t * t + 2) * (Math.sqrt(t * t + 2) + t)); // same, no cancellation
      expect(relErr(tTail(t, 2), df2TailStable)).toBeLessThan(1e-14);
      if (df2Tail > 0.1) expect(relErr(tTail(t, 2), df2Tail)).toBeLessThan(1e-14);
      expect(relErr(tCdf(-t, 1), cauchyTail)).toBeLessThan(1e-14);
    }
  });

  it('known value: t 3.1352062, df 21 → two-tailed p 0.005, z 2.8070338', () => {
    expect(Math.abs(twoTailedTP(3.1352062, 21) - 0.005)).toBeLessThan(1e-9);
    // both numbers are rounded to 8 digits, so agreement is to ~1e-7 only …
    expect(Math.abs(tToZ(3.1352062, 21) - 2.8070338)).toBeLessThan(1e-7);
    // … and exact through the unrounded quantile
    expect(Math.abs(tToZ(tQuantile(0.9975, 21), 21) - normalQuantile(0.9975))).toBeLessThan(1e-13);
    expect(Math.abs(tQuantile(1 - 0.0025, 21) - 3.1352062)).toBeLessThan(5e-8);
    expect(Math.abs(zToT(normalQuantile(0.9975), 21) - 3.1352062)).toBeLessThan(5e-8);
  });

  it('t → z and log tails match 50-digit references, including huge t', () => {
    for (const [t, df, z, logQ] of T_TO_Z_REF) {
      expect(relErr(tToZ(t, df), z)).toBeLessThan(1e-14);
      expect(relErr(tToZ(-t, df), -z)).toBeLessThan(1e-14);
      expect(relErr(logTTail(t, df), logQ)).toBeLessThan(1e-14);
    }
  });

  it('log tail at huge t follows the asymptote C·t^(−ν) (relative correction O(1/t²))', () => {
    // P(T > t) ≈ Γ((ν+1)/2)/(√(νπ)Γ(ν/2)) · ν^((ν+1)/2) · t^(−ν)/ν for t ≫ √ν
    for (const df of [3, 21, 100]) {
      const t = 1e6;
      const logC = jStat.gammaln((df + 1) / 2) - jStat.gammaln(df / 2) - 0.5 * Math.log(df * Math.PI) + ((df - 1) / 2) * Math.log(df);
      const ref = logC - df * Math.log(t);
      expect(Math.abs(logTTail(t, df) - ref)).toBeLessThan(1e-8);
    }
  });

  it('extreme t stays finite and monotone (t up to 1e6, no clamping)', () => {
    for (const df of [5, 21, 100]) {
      let prev = -Infinity;
      for (let t = 0.5; t <= 1e6; t *= 1.25) {
        const z = tToZ(t, df);
        expect(Number.isFinite(z)).toBe(true);
        expect(z).toBeGreaterThan(prev);
        prev = z;
      }
    }
    expect(tToZ(40, 21)).toBeGreaterThan(tToZ(30, 21));
    expect(tToZ(40, 21)).toBeGreaterThan(8.3); // DPABI's spm_t2z clamp would start near z = 8.2
    expect(Number.isFinite(logTTail(1e6, 21))).toBe(true);
    expect(tToZ(0, 21)).toBe(0);
    expect(tToZ(Infinity, 21)).toBe(Infinity);
  });

  it('tToZ is odd and agrees with z = Φ⁻¹(tCdf) where that is accurate', () => {
    for (const df of DFS) {
      for (let t = -6; t <= 6; t += 0.25) {
        expect(tToZ(-t, df)).toBe(-tToZ(t, df));
        const zDirect = t < 0 ? normalQuantile(tCdf(t, df)) : -normalQuantile(tTail(t, df));
        expect(Math.abs(tToZ(t, df) - zDirect)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(zDirect)));
      }
    }
  });

  it('tToZArray equals the scalar function and keeps NaN', () => {
    const t = Float32Array.from([-50, -3.1352062, -1, -0.001, 0, 0.5, 2, 40, 1e6, NaN, Infinity]);
    const out = new Float32Array(t.length);
    tToZArray(t, 21, out);
    for (let i = 0; i < t.length; i++) {
      if (Number.isNaN(t[i])) expect(out[i]).toBeNaN();
      else expect(out[i]).toBe(Math.fround(tToZ(t[i], 21)));
    }
    // in place
    const copy = Float32Array.from(t);
    expect(tToZArray(copy, 21, copy)).toEqual(out);
  });

  it('quantile matches references and inverts the CDF', () => {
    for (const [p, df, t] of T_QUANTILE_REF) expect(relErr(tQuantile(p, df), t)).toBeLessThan(1e-13);
    for (const df of [1, 2, 3, 5, 21, 100, 1000]) {
      for (let p = 1e-200; p < 1; p = p < 0.5 ? p * 1e9 : 1 - (1 - p) / 7) {
        const t = tQuantile(p, df);
        const back = p < 0.5 ? tCdf(t, df) : tTail(t, df);
        const target = p < 0.5 ? p : 1 - p;
        expect(relErr(back, target)).toBeLessThan(1e-12);
      }
    }
    expect(tQuantile(0.5, 7)).toBe(0);
    expect(tQuantile(0.6, Infinity)).toBe(normalQuantile(0.6));
  });

  it('two-tailed p is symmetric and at most 1', () => {
    expect(twoTailedTP(0, 10)).toBe(1);
    expect(twoTailedTP(-2.5, 10)).toBe(twoTailedTP(2.5, 10));
    expect(Math.abs(twoTailedTP(2.5, 10) - 2 * (1 - jStat.studentt.cdf(2.5, 10)))).toBeLessThan(1e-8);
    expect(tTail(NaN, 10)).toBeNaN();
    expect(tTail(1, -1)).toBeNaN();
  });
});
