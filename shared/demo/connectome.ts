/**
 * A synthetic normative connectome for the demo and the tests: an ellipsoidal brain on a
 * 6 mm grid, subjects with two runs of resting-state-like series in which two planted
 * networks share their own slow signals (network A: a left-thalamus and a right-cerebellum
 * region, with a region anti-correlated to them in the medial frontal lobe; network B:
 * bilateral occipital regions). Deterministic for a seed.
 */
import { stream } from '../random.ts';
import { voxelToMm } from '../nifti/affine.ts';
import { CONNECTOME_FORMAT, type ConnectomeManifest } from '../netmap/connectome.ts';

export interface DemoConnectome {
  manifest: ConnectomeManifest;
  mask: Uint8Array;
  /** per subject, its runs packed as the connectome format stores them (T × V, demeaned) */
  runs: Float32Array[][];
  regions: { name: string; centreMni: [number, number, number]; network: 'A' | 'B'; sign: 1 | -1 }[];
}

export function demoConnectome(seed = 1, nSubjects = 24, T = 60): DemoConnectome {
  const dims: [number, number, number] = [24, 28, 24];
  const affine = Float64Array.from([-6, 0, 0, 69, 0, 6, 0, -105, 0, 0, 6, -60, 0, 0, 0, 1]);
  const N = dims[0] * dims[1] * dims[2];
  const mask = new Uint8Array(N);
  const mm: [number, number, number][] = [];
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const p = voxelToMm(affine, i, j, k);
    const g = i + dims[0] * (j + dims[1] * k);
    mm[g] = p;
    if ((p[0] / 66) ** 2 + ((p[1] + 18) / 84) ** 2 + ((p[2] - 6) / 60) ** 2 <= 1) mask[g] = 1;
  }
  const regions: DemoConnectome['regions'] = [
    { name: 'thalamus_L', centreMni: [-12, -18, 6], network: 'A', sign: 1 },
    { name: 'cerebellum_R', centreMni: [30, -66, -30], network: 'A', sign: 1 },
    { name: 'medial_frontal', centreMni: [0, 42, 24], network: 'A', sign: -1 },
    { name: 'occipital_L', centreMni: [-24, -90, 6], network: 'B', sign: 1 },
    { name: 'occipital_R', centreMni: [24, -90, 6], network: 'B', sign: 1 },
  ];
  const index: number[] = [];
  for (let g = 0; g < N; g++) if (mask[g]) index.push(g);
  const V = index.length;
  // loading of each voxel on networks A and B: Gaussian falloff (σ 8 mm) around region centres
  const load = [new Float64Array(V), new Float64Array(V)];
  index.forEach((g, q) => {
    for (const r of regions) {
      const d2 = (mm[g]![0] - r.centreMni[0]) ** 2 + (mm[g]![1] - r.centreMni[1]) ** 2 + (mm[g]![2] - r.centreMni[2]) ** 2;
      load[r.network === 'A' ? 0 : 1]![q] += r.sign * 1.2 * Math.exp(-d2 / (2 * 8 * 8));
    }
  });
  const runs: Float32Array[][] = [];
  const subjects: ConnectomeManifest['subjects'] = [];
  for (let s = 0; s < nSubjects; s++) {
    const subjectRuns: Float32Array[] = [];
    for (let run = 0; run < 2; run++) {
      const rng = stream(seed, s * 2 + run);
      // slow network signals (AR(1)) and white voxel noise
      const sig = [new Float64Array(T), new Float64Array(T)];
      for (const x of sig) {
        let prev = 0;
        for (let t = 0; t < T; t++) x[t] = prev = 0.8 * prev + rng.normal();
      }
      const data = new Float32Array(T * V);
      for (let q = 0; q < V; q++) {
        let mean = 0;
        for (let t = 0; t < T; t++) {
          const x = load[0]![q]! * sig[0]![t]! + load[1]![q]! * sig[1]![t]! + rng.normal();
          data[t * V + q] = x;
          mean += x;
        }
        mean /= T;
        for (let t = 0; t < T; t++) data[t * V + q]! -= mean;
      }
      subjectRuns.push(data);
    }
    runs.push(subjectRuns);
    const id = `sub-${String(s + 1).padStart(4, '0')}`;
    subjects.push({ id, file: `subjects/${id}.f32`, runs: [T, T] });
  }
  const manifest: ConnectomeManifest = {
    format: CONNECTOME_FORMAT,
    name: `neuroburst synthetic connectome (seed ${seed}, ${nSubjects} subjects)`,
    grid: { dims, affine: Array.from(affine), pixdim: [6, 6, 6] },
    mask: 'mask.nii.gz',
    voxels: V,
    subjects,
    description: 'synthetic: two planted networks (A: thalamus_L, cerebellum_R, anti-correlated medial frontal; B: bilateral occipital)',
  };
  return { manifest, mask, runs, regions };
}
