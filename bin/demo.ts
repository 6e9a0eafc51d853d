import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCohort } from '../shared/demo/cohort.ts';
import { writeNifti } from '../shared/nifti/index.ts';

/** Write the synthetic cohort (NIfTI maps, participants.tsv, job.json) into dir; returns the job.json path. */
export function writeDemoJob(dir: string, seed = 1): string {
  const cohort = demoCohort(seed);
  mkdirSync(join(dir, 'maps'), { recursive: true });
  const rows = ['participant_id\tgroup\tage\tsex\ttiv\tmap'];
  for (const s of cohort.subjects) {
    const rel = `maps/${s.id}_gm.nii.gz`;
    writeFileSync(join(dir, rel), writeNifti({ dims: cohort.dims, affine: cohort.affine, pixdim: cohort.voxMm, data: s.data }, { datatype: 'float32' }));
    rows.push([s.id, s.group, s.age, s.sex, s.tiv, rel].join('\t'));
  }
  writeFileSync(join(dir, 'participants.tsv'), rows.join('\n') + '\n');
  const job = {
    jobId: 'demo-glm',
    pipeline: 'glm',
    description: 'synthetic DRE / DSE / HC gray-matter cohort (neuroburst demo)',
    inputs: { participants: 'participants.tsv', mapColumn: 'map' },
    params: {
      contrasts: ['DRE-HC', 'DSE-HC', 'DRE-DSE'],
      covariates: ['age', { name: 'sex', type: 'categorical' }, 'tiv'],
      smoothFwhmMm: 6,
      maskRule: { allFinite: true, allNonzero: true, minMean: 0.2 },
      inference: { grf: { voxelP: 0.005, clusterP: 0.05, twoTailed: true, connectivity: 26 } },
    },
    seed: 1,
    budget: { maxUsd: 1, maxConcurrency: 200 },
  };
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify(job, null, 2) + '\n');
  return path;
}
