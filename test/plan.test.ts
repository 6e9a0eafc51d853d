import { describe, expect, it } from 'vitest';
import { MIN_SLABS, MIN_VOXEL_SUBJECTS_PER_SLAB, planSlabs, slabCount, VOXEL_SUBJECTS_PER_SLAB } from '../shared/pipelines/common/shards.ts';
import { enforceBudget, estimateCost, pricesFor } from '../shared/jobs/cost.ts';
import { stream } from '../shared/random.ts';

describe('planSlabs', () => {
  it('covers every plane exactly once with non-empty contiguous slabs', () => {
    const rng = stream(3, 0);
    for (let trial = 0; trial < 200; trial++) {
      const nz = 1 + rng.int(40);
      const counts = Array.from({ length: nz }, () => (rng.next() < 0.3 ? 0 : rng.int(1000)));
      const forced = rng.next() < 0.5 ? 1 + rng.int(60) : undefined;
      const slabs = planSlabs(counts, 74, 1 + rng.int(50), forced);
      expect(slabs[0]!.z0).toBe(0);
      expect(slabs[slabs.length - 1]!.z1).toBe(nz);
      for (let s = 0; s < slabs.length; s++) {
        expect(slabs[s]!.z1).toBeGreaterThan(slabs[s]!.z0);
        if (s > 0) expect(slabs[s]!.z0).toBe(slabs[s - 1]!.z1);
      }
      if (forced) expect(slabs.length).toBe(Math.min(forced, nz));
    }
  });

  it('sizes the slab count from the data alone: up to minSlabs shards while each keeps ≥ MIN_VOXEL_SUBJECTS_PER_SLAB, never over the budget or nz', () => {
    // hand-computed cases: [voxels, subjects, maxConcurrency, nz, forced, minSlabs] → count
    expect(slabCount(3264, 24, 200, 20, undefined, MIN_SLABS)).toBe(1); // 78k voxel·subjects: one slab
    expect(slabCount(MIN_VOXEL_SUBJECTS_PER_SLAB * 3, 1, 200, 61, undefined, MIN_SLABS)).toBe(3);
    expect(slabCount(60_000, 45, 200, 61, undefined, MIN_SLABS)).toBe(Math.min(MIN_SLABS, Math.floor(2_700_000 / MIN_VOXEL_SUBJECTS_PER_SLAB)));
    expect(slabCount(60_000, 45, 200, 61)).toBe(1); // without a floor: by size only
    expect(slabCount(200_000, 74, 200, 91, undefined, MIN_SLABS)).toBe(MIN_SLABS); // 4 by size, raised to the floor
    expect(slabCount(200_000, 74, 200, 91)).toBe(4);
    expect(slabCount(500_000, 74, 200, 91, undefined, MIN_SLABS)).toBe(Math.ceil((500_000 * 74) / VOXEL_SUBJECTS_PER_SLAB)); // 10 by size, above the floor
    expect(slabCount(200_000, 74, 2, 91, undefined, MIN_SLABS)).toBe(2); // the budget caps
    expect(slabCount(10_000_000, 10, 200, 5)).toBe(5); // one plane per slab at most
    expect(slabCount(10_000_000, 10, 200, 91, 3, MIN_SLABS)).toBe(3); // params.slabs wins
    for (let v = 1000; v < 5e6; v *= 1.7) {
      const n = slabCount(v, 30, 200, 1000, undefined, MIN_SLABS);
      expect(n).toBeGreaterThanOrEqual(1);
      if (n > 1 && n <= MIN_SLABS) expect((v * 30) / n).toBeGreaterThanOrEqual(MIN_VOXEL_SUBJECTS_PER_SLAB);
      expect(planSlabs(Array.from({ length: 1000 }, () => v / 1000), 30, 200, undefined, MIN_SLABS)).toHaveLength(n);
    }
  });

  it('balances in-mask voxels', () => {
    const counts = Array.from({ length: 100 }, (_, z) => (z < 50 ? 10 : 1000));
    const slabs = planSlabs(counts, 10, 100, 4);
    const loads = slabs.map((s) => counts.slice(s.z0, s.z1).reduce((a, b) => a + b, 0));
    expect(Math.max(...loads) / Math.min(...loads)).toBeLessThan(1.2);
  });
});

describe('cost model', () => {
  it('adds GB-seconds, requests and transitions by hand', () => {
    const prices = pricesFor('us-east-1', 'arm64');
    const est = estimateCost([{ stage: 's', task: 'glmSlab', shards: 10, msPerShard: 850 }], { puts: 1000, gets: 0 }, 5, prices);
    const gbs = (10 * (850 + 150) * (3008 / 1024)) / 1000;
    expect(est.lambdaGbSeconds).toBeCloseTo(gbs, 10);
    expect(est.totalUsd).toBeCloseTo(gbs * prices.lambdaGbSecond + 10 * prices.lambdaRequest + est.stateTransitions * prices.stateTransition + 1000 * prices.s3Put, 12);
    expect(est.wallSeconds).toBeCloseTo(2, 10);
  });
  it('refuses a job over budget with the estimate in the message', () => {
    const est = estimateCost([{ stage: 's', task: 'glmSlab', shards: 100000, msPerShard: 60000 }], { puts: 0, gets: 0 }, 10);
    expect(() => enforceBudget(est, 1)).toThrow(/estimated cost \$\d+\.\d+ exceeds budget\.maxUsd \$1/);
    expect(() => enforceBudget(est, est.totalUsd + 1)).not.toThrow();
  });
});

describe('random streams', () => {
  it('stream k is a pure function of (seed, k) and streams differ', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(stream(7, 3)));
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(stream(7, 3)));
    const c = Array.from({ length: 5 }, ((r) => () => r.next())(stream(7, 4)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
  it('is close to uniform and normal', () => {
    const r = stream(1, 0);
    const n = 200000;
    let s = 0, s2 = 0, u = 0;
    const bins = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x; s2 += x * x;
      const v = r.next(); u += v; bins[Math.floor(v * 10)]++;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.005);
    for (const b of bins) expect(Math.abs(b / n - 0.1)).toBeLessThan(0.005);
  });
});
