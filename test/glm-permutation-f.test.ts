/**
 * glm job with an F-contrast (three-group main effect, ANCOVA with age and sex) and
 * permutation inference: the reducer's FWE / uncorrected / FDR maps and its cluster table
 * are those of the in-process permutation engine on the same design and data.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { permutationTest, type PermutationOutcome } from '../shared/permutation/inference.ts';
import { toGrid } from '../shared/permutation/lattice.ts';
import { normalQuantile } from '../shared/stats/distributions.ts';
import { AFFINE, DIMS, makeCohort, V, writeCohort, type CohortSubject } from './helpers/synthetic-cohort.ts';
import { tmpDir } from './helpers/tmp.ts';

const GROUPS = ['DRE', 'DSE', 'HC'];
const STATS = ['maxT', 'clusterExtent', 'clusterMass', 'tfce'] as const;
const SEED = 4242;

function design(subjects: CohortSubject[]): Float64Array {
  const p = GROUPS.length + 2;
  const X = new Float64Array(subjects.length * p);
  subjects.forEach((s, i) => {
    X[i * p + GROUPS.indexOf(s.group)] = 1;
    X[i * p + 3] = s.age;
    X[i * p + 4] = s.sex === 'M' ? 1 : 0;
  });
  return X;
}

describe('glm job with fContrasts and inference.permutation', () => {
  const subjects = makeCohort();
  let out = '';
  let result: Record<string, any> = {};
  let ref: PermutationOutcome;

  beforeAll(async () => {
    const dir = tmpDir('nb-glm-perm-f-');
    const inDir = join(dir, 'in');
    writeCohort(inDir, subjects);
    writeFileSync(join(inDir, 'mask.nii.gz'), writeNifti({ dims: DIMS, affine: AFFINE, pixdim: [3, 3, 3], data: new Float32Array(V).fill(1) }, { datatype: 'float32' }));
    const perm = { n: 100, batchSize: 30, clusterFormingP: 0.01, connectivity: 26 };
    const job = {
      jobId: 'perm-f',
      pipeline: 'glm',
      seed: SEED,
      inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz' },
      params: {
        groups: GROUPS,
        contrasts: ['DRE-HC'],
        covariates: ['age', { name: 'sex', type: 'categorical' }],
        fContrasts: [{ name: 'groups', groups: GROUPS }],
        inference: { permutation: perm },
      },
    };
    writeFileSync(join(inDir, 'job.json'), JSON.stringify(job));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(inDir, 'job.json')).href, pipeline: 'glm', outDir: join(dir, 'out'), threads: 2 });
    if (outcome.status !== 'succeeded') throw new Error(`perm-f job: ${JSON.stringify(outcome)}`);
    out = join(dir, 'out', 'perm-f');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    const Y = new Float32Array(subjects.length * V);
    subjects.forEach((s, k) => Y.set(s.map, k * V));
    const rows = [Float64Array.from([1, -1, 0, 0, 0]), Float64Array.from([0, 1, -1, 0, 0])];
    ref = permutationTest(
      { M: design(subjects), n: subjects.length, p: 5, contrast: rows[0]!, fRows: rows, kind: 'permute', Y, mask: new Uint8Array(V).fill(1), dims: DIMS },
      { n: 100, seed: SEED, statistics: [...STATS], twoTailed: true, clusterFormingP: 0.01, tfce: { H: 2, E: 0.5 }, connectivity: 26 },
    );
  }, 600_000);

  it('writes one-sided permutation maps and a cluster table for the F-contrast', () => {
    for (const f of ['maps/groups_uncp.nii.gz', 'maps/groups_fdrp.nii.gz', 'maps/groups_tfce.nii.gz', 'tables/groups_permutation_clusters.csv', ...STATS.map((s) => `maps/groups_${s}_fwep.nii.gz`)]) {
      expect(result.outputs, f).toContain(f);
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const perm = result.contrasts.groups.permutation;
    expect(perm.permutations).toBe(100);
    expect(perm.twoTailed).toBe(false);
    // one-sided: the cluster-forming p is not split over two tails
    expect(perm.clusterFormingZ).toBeCloseTo(normalQuantile(0.99), 6);
    // the t contrast of the same job stays two-tailed
    expect(result.contrasts['DRE-HC'].permutation.twoTailed).toBe(true);
  });

  it('matches the in-process engine on the same design and data (maps, null quantiles, clusters)', () => {
    const s = ref.summary;
    const lat = ref.setup.lattice;
    expect(lat.V).toBe(V);
    const read = (rel: string) => readNifti(readFileSync(join(out, rel)), rel).data;
    const check = (rel: string, p: Float64Array) => {
      const want = toGrid(lat, Float64Array.from(p, (x) => 1 - x));
      const got = read(rel);
      let w = 0;
      for (let g = 0; g < V; g++) w = Math.max(w, Math.abs(got[g]! - want[g]!));
      expect(w, rel).toBeLessThan(1e-6);
    };
    check('maps/groups_uncp.nii.gz', s.uncorrectedP);
    check('maps/groups_fdrp.nii.gz', s.fdrQ);
    for (const st of STATS) check(`maps/groups_${st}_fwep.nii.gz`, s.fweP[st]!);
    const perm = result.contrasts.groups.permutation;
    for (const st of STATS) expect(perm.nullQuantiles[st].q95).toBeCloseTo(s.quantiles[st]!.q95, 6);
    expect(s.clusters.length).toBeGreaterThan(0);
    expect(perm.clusters.map((c: any) => [c.voxels, c.pFweExtent, c.pFweMass])).toEqual(s.clusters.map((c) => [c.size, c.pFweExtent, c.pFweMass]));
    // the cohort's planted group differences are found
    expect(perm.minFweP.maxT).toBeLessThanOrEqual(0.05);
  });
});
