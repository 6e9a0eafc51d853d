/**
 * Network mapping: seed-to-voxel correlation of 21 study seeds with every voxel of a
 * 2 mm-sized connectome mask (~228k voxels), one run of 124 time points, against a
 * straightforward loop (each seed × voxel: gather both series, two-pass Pearson) timed
 * on a slice and projected; and the cost model's projection for a 1000-subject
 * connectome (2 runs each) on Lambda.
 */
import { stream } from '../shared/random.ts';
import { correlateRun, type Seed } from '../shared/netmap/correlate.ts';
import { estimateCost, SPEED } from '../shared/jobs/cost.ts';

export interface NetmapBench {
  voxels: number;
  seeds: number;
  T: number;
  /** seconds per run, all seeds */
  fast: number;
  /** CPU seconds per run: SIMD kernel and its scalar twin */
  fastCpu: number;
  scalarCpu: number;
  naive: number;
  lambda1000: { wallSeconds: number; usd: number; shards: number };
}

export function netmapBench(V = 228_483, S = 21, T = 124): NetmapBench {
  const rng = stream(9, 0);
  const run = new Float32Array(T * V);
  for (let i = 0; i < run.length; i++) run[i] = rng.normal();
  const seeds: Seed[] = Array.from({ length: S }, (_, k) => {
    const index = Int32Array.from({ length: 33 }, (_, q) => (k * 5000 + q * 7) % V);
    return { index, weight: new Float64Array(33).fill(1) };
  });
  const r = new Float64Array(S * V);
  correlateRun(run, T, V, seeds, r); // warm-up at full size (JIT, and the SIMD kernel's memory is reserved once)
  const t0 = performance.now();
  let c0 = process.cpuUsage();
  correlateRun(run, T, V, seeds, r);
  let c = process.cpuUsage(c0);
  const fast = (performance.now() - t0) / 1000;
  const fastCpu = (c.user + c.system) / 1e6;
  // the scalar JavaScript twin of the SIMD kernel (same r, bit for bit)
  c0 = process.cpuUsage();
  correlateRun(run, T, V, seeds, r, true);
  c = process.cpuUsage(c0);
  const scalarCpu = (c.user + c.system) / 1e6;

  // straightforward: per seed, per voxel, gather series and compute Pearson (timed on a slice)
  const slice = 3000;
  const s0 = performance.now();
  let acc = 0;
  for (let k = 0; k < S; k++) {
    const seed = seeds[k]!;
    const s: number[] = [];
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (const q of seed.index) m += run[t * V + q]!;
      s.push(m / seed.index.length);
    }
    for (let v = 0; v < slice; v++) {
      const x: number[] = [];
      for (let t = 0; t < T; t++) x.push(run[t * V + v]!);
      const ms = s.reduce((a, b) => a + b, 0) / T;
      const mx = x.reduce((a, b) => a + b, 0) / T;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let t = 0; t < T; t++) {
        sxy += (s[t]! - ms) * (x[t]! - mx);
        sxx += (s[t]! - ms) ** 2;
        syy += (x[t]! - mx) ** 2;
      }
      acc += sxy / Math.sqrt(sxx * syy);
    }
  }
  const naive = ((performance.now() - s0) / 1000) * (V / slice);
  if (acc === Infinity) console.log(acc);

  const subjects = 1000;
  const shards = 64;
  const samples = subjects * 2 * T;
  const est = estimateCost(
    [{ stage: 'connectome-chunks', task: 'netmapChunk', shards, msPerShard: (samples / shards) * V * ((S + 1) * SPEED.netmapMsPerSampleVoxelSeed + SPEED.readMsPerValue) }],
    { puts: shards, gets: subjects + shards },
    200,
  );
  return { voxels: V, seeds: S, T, fast, fastCpu, scalarCpu, naive, lambda1000: { wallSeconds: est.wallSeconds, usd: est.totalUsd, shards } };
}
