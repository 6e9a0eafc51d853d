import { describe, expect, it } from 'vitest';
import { IQR_NORMAL_SCALE, quantileSorted, robustCentreScale, scaledRobustSigmoid, srsMatrix } from '../shared/transcriptomics/ahba/srs.ts';

describe('scaled robust sigmoid', () => {
  it('uses linear-interpolated quantiles (numpy default)', () => {
    // [1,2,3,4]: q25 at position 0.75 → 1 + 0.75·1 = 1.75; q75 at 2.25 → 3.25; median 2.5
    const s = [1, 2, 3, 4];
    expect(quantileSorted(s, 0.25)).toBeCloseTo(1.75, 15);
    expect(quantileSorted(s, 0.75)).toBeCloseTo(3.25, 15);
    expect(quantileSorted(s, 0.5)).toBeCloseTo(2.5, 15);
    const { median, scale } = robustCentreScale([4, 1, 3, 2]);
    expect(median).toBe(2.5);
    expect(scale).toBeCloseTo(1.5 / 1.3489795003921634, 15);
  });

  it('IQR scale is 2·Φ⁻¹(0.75)', () => {
    // Φ⁻¹(0.75) = 0.6744897501960817
    expect(IQR_NORMAL_SCALE).toBeCloseTo(2 * 0.6744897501960817, 15);
  });

  it('matches hand values', () => {
    // x = [1,2,3,4,10]: median 3, IQR 4 − 2 = 2, s = 2/1.34898 = 1.482602;
    // r = 1/(1+e^{−(x−3)/s}) = [0.207981, 0.337616, 0.5, 0.662384, 0.991258]
    // srs = (r − 0.207981)/(0.991258 − 0.207981)
    const hand = [0, 0.16742896056124654, 0.37440860699636425, 0.5813882534314818, 1];
    const out = scaledRobustSigmoid([1, 2, 3, 4, 10]);
    for (let i = 0; i < 5; i++) expect(out[i]).toBeCloseTo(hand[i]!, 12);
    // independent arithmetic for the middle value: r(3) = 0.5 exactly
    const s = 2 / IQR_NORMAL_SCALE;
    const r1 = 1 / (1 + Math.exp(2 / s));
    const r10 = 1 / (1 + Math.exp(-7 / s));
    expect(out[2]).toBeCloseTo((0.5 - r1) / (r10 - r1), 14);
    // even length, unsorted input
    const even = scaledRobustSigmoid([4, 1, 3, 2]);
    const hand2 = [1, 0, 0.6880482432384609, 0.311951756761539];
    for (let i = 0; i < 4; i++) expect(even[i]).toBeCloseTo(hand2[i]!, 12);
  });

  it('constant or non-finite input gives NaN (poorly normalised)', () => {
    expect(Array.from(scaledRobustSigmoid([2, 2, 2, 2])).every(Number.isNaN)).toBe(true);
    expect(Array.from(scaledRobustSigmoid([1, NaN, 3])).every(Number.isNaN)).toBe(true);
  });

  it('normalises rows or columns of a matrix', () => {
    // 2 × 5 row-major; rows are independent vectors
    const m = Float64Array.from([1, 2, 3, 4, 10, 4, 1, 3, 2, 7]);
    const byRow = srsMatrix(Float64Array.from(m), 2, 5, true);
    expect(Array.from(byRow.subarray(0, 5))).toEqual(Array.from(scaledRobustSigmoid([1, 2, 3, 4, 10])));
    const byCol = srsMatrix(Float64Array.from([1, 4, 2, 1, 3, 3, 4, 2, 10, 7]), 5, 2, false);
    const col0 = [0, 2, 4, 6, 8].map((i) => byCol[i]!);
    expect(col0).toEqual(Array.from(scaledRobustSigmoid([1, 2, 3, 4, 10])));
  });
});
