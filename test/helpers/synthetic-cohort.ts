/**
 * A synthetic cohort with the drug-resistance study's group sizes: DRE 22, DSE 25, HC 27
 * (patients split into TLE and IGE syndromes), one 3-D map per subject on a small grid with
 * a DRE effect and a DSE effect in separate blobs, and a four-region label atlas.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNifti } from '../../shared/nifti/index.ts';
import { stream } from '../../shared/random.ts';

export const DIMS: [number, number, number] = [12, 12, 8];
export const AFFINE = Float64Array.from([3, 0, 0, -18, 0, 3, 0, -18, 0, 0, 3, -12, 0, 0, 0, 1]);
export const V = DIMS[0] * DIMS[1] * DIMS[2];

export interface CohortSubject {
  id: string;
  group: 'DRE' | 'DSE' | 'HC';
  syndrome: '' | 'TLE' | 'IGE';
  age: number;
  sex: 'M' | 'F';
  duration: number | null;
  onset: number | null;
  map: Float32Array;
}

/** Group sizes; TLE/IGE split of each patient group (DRE 12/10, DSE 13/12). */
export const SIZES = { DRE: { TLE: 12, IGE: 10 }, DSE: { TLE: 13, IGE: 12 }, HC: 27 } as const;

function blob(c: [number, number, number], r: number): (i: number, j: number, k: number) => number {
  return (i, j, k) => ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r ? 1 : 0);
}

export function makeCohort(seed = 15): CohortSubject[] {
  const subjects: CohortSubject[] = [];
  const a = blob([3, 3, 3], 2.3);
  const b = blob([8, 8, 4], 2.3);
  const add = (group: CohortSubject['group'], syndrome: CohortSubject['syndrome'], count: number) => {
    for (let s = 0; s < count; s++) {
      const k = subjects.length;
      const rng = stream(seed, k);
      const age = Math.round(20 + 25 * rng.next());
      const sex = rng.next() < 0.5 ? 'M' : 'F';
      const patient = group !== 'HC';
      const duration = patient ? Math.round(1 + 20 * rng.next()) : null;
      const onset = patient ? Math.round(5 + 15 * rng.next()) : null;
      const map = new Float32Array(V);
      for (let kz = 0; kz < DIMS[2]; kz++)
        for (let j = 0; j < DIMS[1]; j++)
          for (let i = 0; i < DIMS[0]; i++) {
            const effect = (group === 'DRE' ? -0.6 * a(i, j, kz) : 0) + (group === 'DSE' ? 0.5 * b(i, j, kz) : 0) + (syndrome === 'IGE' ? 0.2 * b(i, j, kz) : 0);
            map[i + DIMS[0] * (j + DIMS[1] * kz)] = 1 + 0.004 * age + effect + 0.12 * rng.normal();
          }
      const id = `sub-${group.toLowerCase()}${String(subjects.filter((q) => q.group === group).length + 1).padStart(2, '0')}`;
      subjects.push({ id, group, syndrome, age, sex, duration, onset, map });
    }
  };
  add('DRE', 'TLE', SIZES.DRE.TLE);
  add('DRE', 'IGE', SIZES.DRE.IGE);
  add('DSE', 'TLE', SIZES.DSE.TLE);
  add('DSE', 'IGE', SIZES.DSE.IGE);
  add('HC', '', SIZES.HC);
  return subjects;
}

/** Four regions: the quadrants of the x–y plane (labels 1–4), label 0 on the outer z planes. */
export function makeAtlas(): Float32Array {
  const out = new Float32Array(V);
  for (let kz = 1; kz < DIMS[2] - 1; kz++)
    for (let j = 0; j < DIMS[1]; j++) for (let i = 0; i < DIMS[0]; i++) out[i + DIMS[0] * (j + DIMS[1] * kz)] = 1 + (i < 6 ? 0 : 1) + (j < 6 ? 0 : 2);
  return out;
}

/** Write the maps, the participants table (participants.tsv) and the atlas into dir. */
export function writeCohort(dir: string, subjects: CohortSubject[]): { tsv: string; table: string } {
  mkdirSync(join(dir, 'maps'), { recursive: true });
  const nii = (data: Float32Array) => writeNifti({ dims: DIMS, affine: AFFINE, pixdim: [3, 3, 3], data }, { datatype: 'float32' });
  const lines = ['participant_id\tgroup\tsyndrome\tage\tsex\tduration\tonset\tmap'];
  for (const s of subjects) {
    writeFileSync(join(dir, 'maps', `${s.id}.nii.gz`), nii(s.map));
    lines.push([s.id, s.group, s.syndrome, s.age, s.sex, s.duration ?? 'n/a', s.onset ?? 'n/a', `maps/${s.id}.nii.gz`].join('\t'));
  }
  const table = lines.join('\n') + '\n';
  writeFileSync(join(dir, 'participants.tsv'), table);
  writeFileSync(join(dir, 'atlas.nii.gz'), nii(makeAtlas()));
  writeFileSync(join(dir, 'atlas.csv'), 'index,name\n1,Quadrant_A\n2,Quadrant_B\n3,Quadrant_C\n4,Quadrant_D\n');
  return { tsv: join(dir, 'participants.tsv'), table };
}
