import { stream } from '../random.ts';
import { smoothSpm } from '../volume/smooth.ts';

export interface DemoSubject {
  id: string;
  group: string;
  age: number;
  sex: 'F' | 'M';
  tiv: number;
  data: Float32Array;
}

export interface DemoCohort {
  dims: [number, number, number];
  affine: Float64Array;
  voxMm: [number, number, number];
  subjects: DemoSubject[];
  /** planted effects, for the README and tests */
  effects: { group: string; centreMni: [number, number, number]; amplitude: number }[];
}

/**
 * A synthetic three-group gray-matter cohort on the 3 mm MNI grid (61×73×61, the DPABI
 * resting-state grid): an ellipsoidal "brain" with smooth gray-matter values, age and
 * TIV effects, and planted group differences (DRE < HC in the right cerebellum, DRE and
 * DSE < HC in the left thalamus). Deterministic for a seed.
 */
export function demoCohort(seed = 1, perGroup = 12): DemoCohort {
  const dims: [number, number, number] = [61, 73, 61];
  const voxMm: [number, number, number] = [3, 3, 3];
  const affine = Float64Array.from([-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1]);
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  const mm = (i: number, j: number, k: number): [number, number, number] => [90 - 3 * i, -126 + 3 * j, -72 + 3 * k];
  const brain = new Uint8Array(nVox);
  const base = new Float32Array(nVox);
  const rngBase = stream(seed, 0);
  const noiseBase = new Float32Array(nVox).map(() => rngBase.normal());
  const smoothBase = smoothSpm(noiseBase, dims, voxMm, 12);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const [x, y, z] = mm(i, j, k);
        const r = (x / 68) ** 2 + ((y + 18) / 98) ** 2 + ((z - 8) / 72) ** 2;
        const v = i + nx * (j + ny * k);
        if (r <= 1) {
          brain[v] = 1;
          base[v] = 0.45 + 0.25 * Math.cos(r * 3) + 3 * smoothBase[v]!;
        }
      }
  const effects = [
    { group: 'DRE', centreMni: [24, -72, -36] as [number, number, number], amplitude: -0.12 },
    { group: 'DRE', centreMni: [-12, -18, 6] as [number, number, number], amplitude: -0.1 },
    { group: 'DSE', centreMni: [-12, -18, 6] as [number, number, number], amplitude: -0.06 },
  ];
  const groups = ['DRE', 'DSE', 'HC'];
  const subjects: DemoSubject[] = [];
  let s = 0;
  for (const group of groups) {
    for (let g = 0; g < perGroup; g++) {
      s++;
      const rng = stream(seed, s);
      const age = Math.round(20 + rng.next() * 40);
      const sex = rng.next() < 0.5 ? 'F' : 'M';
      const tiv = Math.round(1450 + (sex === 'M' ? 120 : 0) + rng.normal() * 90);
      const noise = new Float32Array(nVox).map(() => rng.normal());
      const sm = smoothSpm(noise, dims, voxMm, 8);
      const data = new Float32Array(nVox);
      for (let k = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            const v = i + nx * (j + ny * k);
            if (!brain[v]) continue;
            const [x, y, z] = mm(i, j, k);
            let val = base[v]! - 0.002 * (age - 40) + 0.0001 * (tiv - 1500) + 0.6 * sm[v]!;
            for (const e of effects) {
              if (e.group !== group) continue;
              const d2 = (x - e.centreMni[0]) ** 2 + (y - e.centreMni[1]) ** 2 + (z - e.centreMni[2]) ** 2;
              val += e.amplitude * Math.exp(-d2 / (2 * 7 ** 2));
            }
            data[v] = Math.min(1, Math.max(0.001, val));
          }
      subjects.push({ id: `sub-${String(s).padStart(3, '0')}`, group, age, sex, tiv, data });
    }
  }
  return { dims, affine, voxMm, subjects, effects };
}
