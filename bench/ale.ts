/**
 * ALE Monte-Carlo hot loop on the pain dataset (21 experiments, 267 foci, bundled mask):
 * seconds per iteration of the fast kernel vs a straightforward dense implementation
 * (same draws, same arithmetic). Iterations per second per core = 1 / fast.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readNifti } from '../shared/nifti/index.ts';
import { parseCoordinates } from '../shared/ale/coordinates.ts';
import { makeGrid } from '../shared/ale/ale.ts';
import { observeAle } from '../shared/ale/analysis.ts';
import { AleMonteCarlo, naiveIteration } from '../shared/ale/montecarlo.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export function benchAle(iterations = 100, naiveIterations = 5): { fast: number; naive: number } {
  const m = readNifti(readFileSync(here('../assets/ale/MNI152_2x2x2_brainmask.nii.gz')), 'mask');
  const grid = makeGrid([m.header.dims[0]!, m.header.dims[1]!, m.header.dims[2]!], m.header.affine, m.data);
  const set = parseCoordinates(readFileSync(here('../../shared/fixtures/ale/nidm_pain_dset.json')), 'pain');
  const obs = observeAle(grid, set.experiments, 'truncate', 0.001);
  const counts = set.experiments.map((e) => e.foci.length);
  const mc = new AleMonteCarlo(grid, obs.kernels, counts, obs.clusterFormingAle);
  mc.run(1, 0, 10); // warm-up
  let t0 = performance.now();
  mc.run(1, 10, 10 + iterations);
  const fast = (performance.now() - t0) / 1000 / iterations;
  t0 = performance.now();
  for (let k = 0; k < naiveIterations; k++) naiveIteration(grid, obs.kernels, counts, obs.clusterFormingAle, 1, k);
  const naive = (performance.now() - t0) / 1000 / naiveIterations;
  return { fast, naive };
}
