import { describe, expect, it } from 'vitest';
import { sphereMask } from '../shared/volume/spheres.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';

// the network fixtures' 3 mm grid: x flipped, 61 × 83 × 61
const grid = { dims: [61, 83, 61] as [number, number, number], affine: [-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1] };
const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

describe('sphere masks', () => {
  it('hold 7 voxels for a 3 mm radius on a 3 mm grid (inclusive rule) and 1 for a radius just below', () => {
    expect(count(sphereMask(grid, [[0, 0, 0]], 3))).toBe(7);
    expect(count(sphereMask(grid, [[0, 0, 0]], 2.999))).toBe(1);
    // a 6 mm radius: all lattice points with i²+j²+k² ≤ 4 → 33
    expect(count(sphereMask(grid, [[0, 0, 0]], 6))).toBe(33);
  });
  it('equals a brute-force distance test over the whole grid, for off-grid centres and unions', () => {
    const centres: [number, number, number][] = [[-40.3, 12.1, 7.7], [22, -60, 30], [88, 100, 0]];
    const m = sphereMask(grid, centres, 7.5);
    let mismatches = 0;
    for (let k = 0; k < 61; k++) for (let j = 0; j < 83; j++) for (let i = 0; i < 61; i++) {
      const [x, y, z] = voxelToMm(Float64Array.from(grid.affine), i, j, k);
      const inside = centres.some((c) => (x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 <= 7.5 ** 2);
      if (inside !== (m[i + 61 * (j + 83 * k)] === 1)) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(count(m)).toBeGreaterThan(2 * 33);
  });
  it('refuses non-finite centres and radii', () => {
    expect(() => sphereMask(grid, [[0, NaN, 0]], 3)).toThrow(/finite/);
    expect(() => sphereMask(grid, [[0, 0, 0]], -1)).toThrow(/radius/);
  });
});
