import { describe, expect, it } from 'vitest';
import { makeFToZ } from '../shared/permutation/fast-fz.ts';
import { fToZ } from '../shared/stats/fdist.ts';

describe('fast F → z table', () => {
  it('is within 1e-9 of fToZ for F from 0 to 200 and is monotone', () => {
    for (const [d1, d2] of [[1, 3], [1, 69], [2, 6], [2, 69], [3, 20], [5, 40], [12, 200]]) {
      const fz = makeFToZ(d1!, d2!);
      let worst = 0;
      let prev = -Infinity;
      for (let k = 0; k <= 40_000; k++) {
        const f = k * 0.005 + (k % 7) * 1.3e-5;
        const z = fz.z(f);
        worst = Math.max(worst, Math.abs(z - fToZ(f, d1!, d2!)));
        if (f > 0.01) expect(z, `monotone at F=${f} df=(${d1},${d2})`).toBeGreaterThanOrEqual(prev);
        prev = z;
      }
      expect(worst, `df=(${d1},${d2})`).toBeLessThan(1e-9);
    }
    const fz = makeFToZ(2, 10);
    expect(fz.z(0)).toBe(0);
    expect(fz.z(1e6)).toBe(fToZ(1e6, 2, 10));
  });
});
