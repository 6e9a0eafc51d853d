/**
 * ALE contrast on the semantic fixture sets (knowledge vs relatedness, children; the
 * sets of NiMARE's two-sample ALE example). No reference-tool numbers are at hand for
 * them, so the checks are: counts, both sets' observed maps against the direct
 * analysis, map identities (difference, conjunction), and invariance to batch sizes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../shared/runner/local.ts';
import { readNifti } from '../shared/nifti/index.ts';
import { makeGrid } from '../shared/ale/ale.ts';
import { parseSleuth } from '../shared/ale/coordinates.ts';
import { observeAle } from '../shared/ale/analysis.ts';
import { FIXTURES } from './helpers/fixture-job.ts';
import { tmpDir } from './helpers/tmp.ts';

const SLEUTH = join(FIXTURES, 'ale', 'sleuth');
const KNOW = join(SLEUTH, 'semantic_knowledge_children.txt');
const REL = join(SLEUTH, 'semantic_relatedness_children.txt');

function strip(r: Record<string, any>) {
  const { cost: _c, shards: _s, methods: _m, specHash: _h, ...rest } = r;
  const { shards: _cs, ...contrast } = rest.contrast;
  return { ...rest, contrast };
}

describe('ale contrast: semantic knowledge (A) vs relatedness (B)', () => {
  const runs: { out: string; result: any }[] = [];
  beforeAll(async () => {
    for (const [batchSize, cBatch] of [[7, 45], [40, 200]] as const) {
      const dir = tmpDir('nb-alesem-');
      mkdirSync(join(dir, 'in'));
      const job = { jobId: 'sem', pipeline: 'ale', seed: 4, inputs: { coordinates: KNOW, coordinates2: REL }, params: { iterations: 40, batchSize, contrast: { iterations: 200, p: 0.05, batchSize: cBatch } } };
      writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify(job));
      const r = await runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'ale', outDir: join(dir, 'out'), threads: 2 });
      if (r.status !== 'succeeded') throw new Error(`${r.error}: ${r.message}`);
      const out = join(dir, 'out', 'sem');
      runs.push({ out, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) });
    }
  }, 300_000);

  it('analyses both sets as the direct analysis does and writes the contrast outputs', () => {
    const { out, result: r } = runs[0]!;
    expect([r.nExperiments, r.nFoci, r.nSubjects]).toEqual([21, 262, 456]);
    const b = r.contrast.setB;
    expect([b.nExperiments, b.nFoci, b.nSubjects]).toEqual([16, 201, 353]);
    for (const f of ['maps/ale_B.nii.gz', 'maps/contrast_A_minus_B_z.nii.gz', 'maps/contrast_B_minus_A_z.nii.gz', 'maps/contrast_A_minus_B_ale.nii.gz', 'maps/contrast_z_two_sided.nii.gz', 'maps/conjunction.nii.gz']) {
      expect(r.outputs).toContain(f);
    }
    const m = readNifti(readFileSync(join(FIXTURES, 'ale', 'masks', 'MNI152_2x2x2_brainmask.nii.gz')), 'mask');
    const grid = makeGrid([91, 109, 91], m.header.affine, m.data);
    const direct = [KNOW, REL].map((f) => observeAle(grid, parseSleuth(readFileSync(f, 'utf8'), f).experiments, 'truncate', 0.001));
    const max = (a: Float64Array) => grid.maskIndex.reduce((s, v) => Math.max(s, a[v]!), 0);
    expect(r.maxAle).toBe(max(direct[0]!.ale));
    expect(b.maxAle).toBe(max(direct[1]!.ale));
    expect(r.clusterFormingAle).toBe(direct[0]!.clusterFormingAle);
    expect(b.clusterFormingAle).toBe(direct[1]!.clusterFormingAle);

    const read = (f: string) => readNifti(readFileSync(join(out, 'maps', f)), f).data;
    const [aleA, aleB, diff, conj, zAB, zBA] = ['ale', 'ale_B', 'contrast_A_minus_B_ale', 'conjunction', 'contrast_A_minus_B_z', 'contrast_B_minus_A_z'].map((f) => read(`${f}.nii.gz`));
    const cfwe = read('cfwe_0.05_z.nii.gz');
    let nConj = 0;
    let nAB = 0;
    const bad = { diff: 0, aleB: 0, conjOutsideA: 0, conjValue: 0, bothSides: 0 };
    for (let v = 0; v < aleA!.length; v++) {
      if (!(Math.abs(diff![v]! - (direct[0]!.ale[v]! - direct[1]!.ale[v]!)) < 1e-8)) bad.diff++;
      if (aleB![v] !== Math.fround(direct[1]!.ale[v]!)) bad.aleB++;
      if (conj![v]! > 0) {
        nConj++;
        if (!(cfwe![v]! > 0)) bad.conjOutsideA++; // inside A's cFWE-surviving clusters
        if (conj![v] !== Math.fround(Math.min(direct[0]!.ale[v]!, direct[1]!.ale[v]!))) bad.conjValue++;
      }
      if (zAB![v]! > 0) {
        nAB++;
        if (zBA![v] !== 0) bad.bothSides++;
      }
    }
    expect(bad).toEqual({ diff: 0, aleB: 0, conjOutsideA: 0, conjValue: 0, bothSides: 0 });
    expect(nConj).toBe(r.contrast.conjunction.voxels);
    expect(nConj).toBeGreaterThan(0);
    expect(nAB).toBe(r.contrast.aMinusB.voxels);
    expect(r.contrast.domainVoxels).toBeGreaterThan(nConj);
    // with 200 permutations the smallest p is 1/200: z ≤ Φ⁻¹(1 − 0.005)
    expect(r.contrast.aMinusB.max).toBeLessThanOrEqual(2.5758293035489);
  });

  it('gives identical results for different Monte-Carlo and permutation batch sizes', () => {
    expect(runs[0]!.result.contrast.shards).toEqual({ batches: 5, batchesB: 6 });
    expect(runs[1]!.result.contrast.shards).toEqual({ batches: 1, batchesB: 1 });
    expect(strip(runs[1]!.result)).toEqual(strip(runs[0]!.result));
    for (const f of ['ale_B', 'contrast_A_minus_B_z', 'contrast_B_minus_A_z', 'contrast_z_two_sided', 'conjunction']) {
      expect(readFileSync(join(runs[1]!.out, `maps/${f}.nii.gz`)).equals(readFileSync(join(runs[0]!.out, `maps/${f}.nii.gz`))), f).toBe(true);
    }
  });
});
