import { describe, expect, it } from 'vitest';
import { convergentMap, weightedMeanMap, zScoreMap } from '../shared/netmap/dbs.ts';

import { expectNamed } from './helpers/errors.ts';

const f32 = (a: number[]) => Array.from(Float32Array.from(a));

describe('DBS weighted mean map', () => {
  // two patients, 3 voxels; weights 50 % and −25 % (one patient worse)
  const m1 = Float32Array.from([1, 2, NaN]);
  const m2 = Float32Array.from([3, -1, 4]);
  it('hand-computed with each normalisation (NaN counts as 0)', () => {
    // Σw·m = [50−75, 100+25, 0−100] = [−25, 125, −100]; Σw = 25; Σ|w| = 75
    expect(Array.from(weightedMeanMap([m1, m2], [50, -25]))).toEqual(f32([-1, 5, -4]));
    expect(Array.from(weightedMeanMap([m1, m2], [50, -25], { normalise: 'abs' }))).toEqual(f32([-25 / 75, 125 / 75, -100 / 75]));
    expect(Array.from(weightedMeanMap([m1, m2], [50, -25], { normalise: 'none' }))).toEqual(f32([-25, 125, -100]));
    // equal weights give the plain mean
    expect(Array.from(weightedMeanMap([m2, Float32Array.from([1, 1, 0])], [80, 80]))).toEqual(f32([2, 0, 2]));
  });
  it('named errors', () => {
    expectNamed(() => weightedMeanMap([m1, m2], [10, -10]), 'InvalidParameter'); // Σw = 0
    expectNamed(() => weightedMeanMap([m1, m2], [10]), 'InvalidParameter');
    expectNamed(() => weightedMeanMap([m1, m2], [10, NaN]), 'InvalidParameter');
    expectNamed(() => weightedMeanMap([m1, new Float32Array(2)], [1, 1]), 'SpaceMismatch');
    expectNamed(() => weightedMeanMap([], []), 'InvalidParameter');
    expectNamed(() => weightedMeanMap([m1, m2], [0, 0], { normalise: 'abs' }), 'InvalidParameter');
    expectNamed(() => weightedMeanMap([m1], [1], { normalise: 'bogus' as never }), 'InvalidParameter');
  });
});

describe('z-scores and convergent map', () => {
  const mask = Uint8Array.from([1, 1, 1, 1, 0]);
  it('z-scores over the mask: sample sd (ddof 1) and population sd (ddof 0), 0 outside', () => {
    const map = Float32Array.from([1, 2, 3, 4, 100]);
    // mean 2.5; Σ(x−m)² = 5; sd₁ = √(5/3); sd₀ = √(5/4)
    const s1 = Math.sqrt(5 / 3);
    const r = zScoreMap(map, mask);
    expect(r.mean).toBe(2.5);
    expect(r.sd).toBeCloseTo(s1, 14);
    expect(Array.from(r.z)).toEqual(f32([-1.5 / s1, -0.5 / s1, 0.5 / s1, 1.5 / s1, 0]));
    const s0 = Math.sqrt(5 / 4);
    expect(Array.from(zScoreMap(map, mask, { ddof: 0 }).z)).toEqual(f32([-1.5 / s0, -0.5 / s0, 0.5 / s0, 1.5 / s0, 0]));
  });
  it('convergent map: mean of z-maps (hand cases)', () => {
    const a = Float32Array.from([1, 2, 3, 4, 7]);
    const b = Float32Array.from([10, 20, 30, 40, -7]); // same z as a
    const c = Float32Array.from([4, 3, 2, 1, 0]); // z = −z(a)
    const s1 = Math.sqrt(5 / 3);
    expect(Array.from(convergentMap([a, b], mask).map)).toEqual(f32([-1.5 / s1, -0.5 / s1, 0.5 / s1, 1.5 / s1, 0]));
    expect(Array.from(convergentMap([a, c], mask).map)).toEqual([0, 0, 0, 0, 0]);
    // three maps: z(a) + z(b) + z(c) = z(a) → mean z(a)/3
    const three = convergentMap([a, b, c], mask);
    expect(Array.from(three.map)).toEqual(f32([-0.5 / s1, -0.5 / 3 / s1, 0.5 / 3 / s1, 0.5 / s1, 0]));
    expect(Array.from(three.means)).toEqual([2.5, 25, 2.5]);
    expect(three.sds[1]).toBeCloseTo(10 * s1, 12);
  });
  it('named errors', () => {
    expectNamed(() => zScoreMap(Float32Array.from([1, 1, 1, 1, 5]), mask), 'InvalidParameter'); // constant in mask
    expectNamed(() => zScoreMap(Float32Array.from([1, 2, 3, 4, 5]), new Uint8Array(5)), 'EmptyData');
    expectNamed(() => zScoreMap(Float32Array.from([1, 2]), mask), 'SpaceMismatch');
    expectNamed(() => convergentMap([Float32Array.from([1, 2, 3, 4, 5]), new Float32Array(4)], mask), 'SpaceMismatch');
    expectNamed(() => convergentMap([], mask), 'InvalidParameter');
  });
});
