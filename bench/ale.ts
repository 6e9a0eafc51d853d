/**
 * ALE Monte-Carlo hot loop on the pain dataset (21 experiments, 267 foci, bundled mask):
 * seconds per iteration of the fast kernel vs a straightforward dense implementation
 * (same draws, same arithmetic). Iterations per second per core = 1 / fast.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planBatches } from '../shared/pipelines/ale/context.ts';
import type { AleContext } from '../shared/pipelines/ale/context.ts';
import { estimateAle } from '../shared/pipelines/ale/plan.ts';
import { readNifti } from '../shared/nifti/index.ts';
import { parseCoordinates } from '../shared/ale/coordinates.ts';
import { makeGrid } from '../shared/ale/ale.ts';
import { observeAle } from '../shared/ale/analysis.ts';
import { AleMonteCarlo, naiveIteration } from '../shared/ale/montecarlo.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface AleKernelBench {
  /** wall seconds per iteration, fast kernel / plain twin */
  fast: number;
  naive: number;
  /** CPU seconds per iteration, fast kernel / plain twin (the machine may be shared) */
  fastCpu: number;
  naiveCpu: number;
  /** kernel-box voxels per iteration (Σ foci × side³) and grid voxels */
  boxVoxels: number;
  gridVoxels: number;
}

export function benchAle(iterations = 200, naiveIterations = 3): AleKernelBench {
  const m = readNifti(readFileSync(here('../assets/ale/MNI152_2x2x2_brainmask.nii.gz')), 'mask');
  const grid = makeGrid([m.header.dims[0]!, m.header.dims[1]!, m.header.dims[2]!], m.header.affine, m.data);
  const set = parseCoordinates(readFileSync(here('../data/fixtures/ale/nidm_pain_dset.json')), 'pain');
  const obs = observeAle(grid, set.experiments, 'truncate', 0.001);
  const counts = set.experiments.map((e) => e.foci.length);
  const mc = new AleMonteCarlo(grid, obs.kernels, counts, obs.clusterFormingAle);
  mc.run(1, 0, 10); // warm-up
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  mc.run(1, 10, 10 + iterations);
  let c = process.cpuUsage(c0);
  const fast = (performance.now() - t0) / 1000 / iterations;
  const fastCpu = (c.user + c.system) / 1e6 / iterations;
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (let k = 0; k < naiveIterations; k++) naiveIteration(grid, obs.kernels, counts, obs.clusterFormingAle, 1, k);
  c = process.cpuUsage(c0);
  const naive = (performance.now() - t0) / 1000 / naiveIterations;
  const naiveCpu = (c.user + c.system) / 1e6 / naiveIterations;
  const boxVoxels = obs.kernels.reduce((a, k, e) => a + counts[e]! * k.side ** 3, 0);
  return { fast, naive, fastCpu, naiveCpu, boxVoxels, gridVoxels: grid.mask.length };
}

export interface AleJobBench {
  /** the planner's projection for a 10,000-iteration pain job on Lambda (default budget.maxConcurrency 200) */
  lambda: { wallSeconds: number; usd: number; lambdaGbSeconds: number; monteCarloShards: number };
}

/**
 * The Lambda wall time and cost of a 10,000-iteration pain-dataset ALE job, from the planner's
 * estimate (estimateAle -> estimateCost). The same job run locally on 1 and 2 threads is
 * measured whole in the local-jobs section (bench/speedup.ts).
 */
export function benchAleJob(): AleJobBench {
  const coords = here('../data/fixtures/ale/nidm_pain_dset.json');
  const set = parseCoordinates(readFileSync(coords), 'pain');
  const budget = { maxUsd: 5, maxConcurrency: 200 };
  const ctx = {
    experiments: set.experiments.map((e) => ({ id: e.id, sampleSize: e.sampleSize, foci: e.foci })),
    batches: planBatches(10000, budget.maxConcurrency),
    batchesB: [],
    jackknifeShards: [],
    contrastBatches: [],
    grid: { dims: [91, 109, 91], voxelMm: 2, maskVoxels: 228483 },
    job: { params: { iterations: 10000 }, budget },
  } as unknown as AleContext;
  const est = estimateAle(ctx);
  return { lambda: { wallSeconds: est.wallSeconds, usd: est.totalUsd, lambdaGbSeconds: est.lambdaGbSeconds, monteCarloShards: ctx.batches.length } };
}
