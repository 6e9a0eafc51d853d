/**
 * The glm demo: a synthetic three-group gray-matter cohort on the 3 mm MNI grid (61×73×61,
 * the DPABI resting-state grid) — an ellipsoidal "brain" with smooth gray-matter values, age
 * and TIV effects, smooth subject noise, and planted Gaussian atrophy blobs of a realistic
 * size (amplitude 0.13 against a subject noise sd ≈ 0.063, i.e. peak Cohen's d ≈ 2, Gaussian σ 9 mm) in 15
 * subjects per group: DRE < HC in the left hippocampus and the right
 * cerebellum, DRE and DSE < HC (equally) in the right thalamus. So DRE−HC should show three
 * negative clusters, DSE−HC one (thalamus) and DRE−DSE two (hippocampus, cerebellum).
 * Deterministic for a seed; pure (the caller writes the files).
 */
import { stream } from '../random.ts';
import { smoothSpm } from '../volume/smooth.ts';
import { distance, mm, tick, type Check, type Finding, type Mni } from './finding.ts';

export interface DemoSubject {
  id: string;
  group: string;
  age: number;
  sex: 'F' | 'M';
  tiv: number;
  data: Float32Array;
}

export interface PlantedBlob {
  region: string;
  group: string;
  centreMni: Mni;
  /** added to the gray-matter value at the centre (subject noise sd ≈ 0.063) */
  amplitude: number;
  sigmaMm: number;
}

export interface DemoCohort {
  dims: [number, number, number];
  affine: Float64Array;
  voxMm: [number, number, number];
  subjects: DemoSubject[];
  /** planted effects, for the README, the demo's printout and the tests */
  effects: PlantedBlob[];
}

export const GLM_GROUPS = ['DRE', 'DSE', 'HC'] as const;
export const GLM_CONTRASTS = ['DRE-HC', 'DSE-HC', 'DRE-DSE'] as const;

export const GLM_EFFECTS: readonly PlantedBlob[] = [
  { region: 'hippocampus_L', group: 'DRE', centreMni: [-30, -18, -21], amplitude: -0.13, sigmaMm: 9 },
  { region: 'cerebellum_R', group: 'DRE', centreMni: [24, -66, -30], amplitude: -0.13, sigmaMm: 9 },
  { region: 'thalamus_R', group: 'DRE', centreMni: [12, -18, 6], amplitude: -0.13, sigmaMm: 9 },
  { region: 'thalamus_R', group: 'DSE', centreMni: [12, -18, 6], amplitude: -0.13, sigmaMm: 9 },
];

/** `noiseScale` multiplies the subject noise (0: none, for checking what is planted exactly). */
export function demoCohort(seed = 1, perGroup = 15, noiseScale = 1): DemoCohort {
  const dims: [number, number, number] = [61, 73, 61];
  const voxMm: [number, number, number] = [3, 3, 3];
  const affine = Float64Array.from([-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1]);
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  const mmOf = (i: number, j: number, k: number): [number, number, number] => [90 - 3 * i, -126 + 3 * j, -72 + 3 * k];
  const brain = new Uint8Array(nVox);
  const base = new Float32Array(nVox);
  const rngBase = stream(seed, 0);
  const noiseBase = new Float32Array(nVox).map(() => rngBase.normal());
  const smoothBase = smoothSpm(noiseBase, dims, voxMm, 12);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const [x, y, z] = mmOf(i, j, k);
        const r = (x / 68) ** 2 + ((y + 18) / 98) ** 2 + ((z - 8) / 72) ** 2;
        const v = i + nx * (j + ny * k);
        if (r <= 1) {
          brain[v] = 1;
          base[v] = 0.45 + 0.25 * Math.cos(r * 3) + 3 * smoothBase[v]!;
        }
      }
  const effects = GLM_EFFECTS.map((e) => ({ ...e, centreMni: [...e.centreMni] as Mni }));
  const subjects: DemoSubject[] = [];
  let s = 0;
  for (const group of GLM_GROUPS) {
    const mine = effects.filter((e) => e.group === group);
    for (let g = 0; g < perGroup; g++) {
      s++;
      const rng = stream(seed, s);
      const age = Math.round(20 + rng.next() * 40);
      const sex = rng.next() < 0.5 ? 'F' : 'M';
      const tiv = Math.round(1450 + (sex === 'M' ? 120 : 0) + rng.normal() * 90);
      const sm = noiseScale === 0 ? new Float32Array(nVox) : smoothSpm(new Float32Array(nVox).map(() => noiseScale * rng.normal()), dims, voxMm, 8);
      const data = new Float32Array(nVox);
      for (let k = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            const v = i + nx * (j + ny * k);
            if (!brain[v]) continue;
            const [x, y, z] = mmOf(i, j, k);
            let val = base[v]! - 0.002 * (age - 40) + 0.0001 * (tiv - 1500) + 0.6 * sm[v]!;
            for (const e of mine) {
              const d2 = (x - e.centreMni[0]) ** 2 + (y - e.centreMni[1]) ** 2 + (z - e.centreMni[2]) ** 2;
              val += e.amplitude * Math.exp(-d2 / (2 * e.sigmaMm ** 2));
            }
            data[v] = Math.min(1, Math.max(0.001, val));
          }
      subjects.push({ id: `sub-${String(s).padStart(3, '0')}`, group, age, sex, tiv, data });
    }
  }
  return { dims, affine, voxMm, subjects, effects };
}

/** The participants table (TSV) of a cohort whose maps are written as `maps/<id>_gm.nii.gz`. */
export function glmParticipantsTsv(cohort: DemoCohort): string {
  const rows = ['participant_id\tgroup\tage\tsex\ttiv\tmap'];
  for (const s of cohort.subjects) rows.push([s.id, s.group, s.age, s.sex, s.tiv, glmMapPath(s.id)].join('\t'));
  return rows.join('\n') + '\n';
}

export const glmMapPath = (id: string): string => `maps/${id}_gm.nii.gz`;

export function glmDemoJob(seed = 1): Record<string, unknown> {
  return {
    jobId: 'demo-glm',
    pipeline: 'glm',
    description: 'synthetic DRE / DSE / HC gray-matter cohort (neuroburst demo)',
    inputs: { participants: 'participants.tsv', mapColumn: 'map' },
    params: {
      contrasts: [...GLM_CONTRASTS],
      covariates: ['age', { name: 'sex', type: 'categorical' }, 'tiv'],
      smoothFwhmMm: 6,
      maskRule: { allFinite: true, allNonzero: true, minMean: 0.2 },
      inference: { grf: { voxelP: 0.005, clusterP: 0.05, twoTailed: true, connectivity: 26 } },
    },
    seed,
    budget: { maxUsd: 1, maxConcurrency: 200 },
  };
}

/** An effect a contrast A−B should show: the planted difference of A and B at one place. */
export interface ExpectedCluster {
  contrast: string;
  region: string;
  centreMni: Mni;
  tail: '+' | '-';
  difference: number;
}

/** Per contrast "A-B", the places where the planted amplitudes of A and B differ. */
export function expectedClusters(effects: readonly PlantedBlob[], contrasts: readonly string[] = GLM_CONTRASTS): ExpectedCluster[] {
  const out: ExpectedCluster[] = [];
  const places = new Map<string, Mni>();
  for (const e of effects) places.set(e.region, e.centreMni);
  for (const contrast of contrasts) {
    const [a, b] = contrast.split('-') as [string, string];
    for (const [region, centreMni] of places) {
      const amp = (g: string) => effects.filter((e) => e.region === region && e.group === g).reduce((s, e) => s + e.amplitude, 0);
      const difference = amp(a) - amp(b);
      if (Math.abs(difference) > 1e-9) out.push({ contrast, region, centreMni, tail: difference > 0 ? '+' : '-', difference });
    }
  }
  return out;
}

export interface GlmClusterLike {
  tail: string;
  voxels: number;
  peakT: number;
  peakMni: number[];
}

export interface GlmResultLike {
  contrasts: Record<string, { clusters: GlmClusterLike[]; clusterSizeThreshold: number; zThreshold: number }>;
}

/** Largest distance (mm) between a planted centre and the peak of the cluster that recovers it. */
export const GLM_TOLERANCE_MM = 12;

/**
 * Match the result's GRF clusters with the planted effects: an expected effect is recovered
 * by a cluster of its sign whose peak lies within GLM_TOLERANCE_MM of the planted centre;
 * a cluster near no planted effect of its contrast is unexpected (a false positive).
 */
export function glmFinding(result: GlmResultLike, effects: readonly PlantedBlob[] = GLM_EFFECTS, contrasts: readonly string[] = GLM_CONTRASTS): Finding {
  const expected = expectedClusters(effects, contrasts);
  const checks: Check[] = [];
  const details: string[] = [];
  const parts: string[] = [];
  let unexpected = 0;
  for (const name of contrasts) {
    const c = result.contrasts[name];
    const clusters = c?.clusters ?? [];
    const used = new Set<number>();
    const lines: string[] = [];
    for (const e of expected.filter((x) => x.contrast === name)) {
      let best = -1;
      let bestD = Infinity;
      clusters.forEach((k, i) => {
        const d = distance(k.peakMni, e.centreMni);
        if (k.tail === e.tail && d < bestD) [best, bestD] = [i, d];
      });
      const ok = best >= 0 && bestD <= GLM_TOLERANCE_MM;
      if (ok) used.add(best);
      const k = best >= 0 ? clusters[best]! : undefined;
      checks.push({ what: `${name} ${e.region}`, plantedMni: e.centreMni, foundMni: k ? (k.peakMni as Mni) : null, distanceMm: k ? round1(bestD) : null, value: k?.peakT ?? null, ok });
      lines.push(ok ? `${e.region} peak ${mm(k!.peakMni)} t = ${k!.peakT.toFixed(1)} (${k!.voxels} voxels), planted at ${mm(e.centreMni)} ${tick(true)}` : `${e.region} planted at ${mm(e.centreMni)} not found ${tick(false)}`);
    }
    const extra = clusters.filter((_, i) => !used.has(i));
    unexpected += extra.length;
    for (const k of extra) lines.push(`unexpected ${k.tail} cluster, peak ${mm(k.peakMni)} t = ${k.peakT.toFixed(1)} (${k.voxels} voxels) ${tick(false)}`);
    const top = [...clusters].sort((x, y) => Math.abs(y.peakT) - Math.abs(x.peakT))[0];
    parts.push(`${name} ${clusters.length} cluster${clusters.length === 1 ? '' : 's'}${top ? ` (peak ${mm(top.peakMni)} t = ${top.peakT.toFixed(1)})` : ''}`);
    details.push(`${name} (k ≥ ${c?.clusterSizeThreshold ?? '?'} voxels at z > ${c?.zThreshold.toFixed(2) ?? '?'}): ${lines.length ? lines.join('; ') : 'no cluster, none planted'}`);
  }
  const found = checks.filter((x) => x.ok).length;
  const recovered = found === checks.length && unexpected === 0;
  const line = `${parts.join(', ')} — ${found}/${checks.length} planted effects at their places${unexpected ? `, ${unexpected} unexpected` : ''} ${tick(recovered)}`;
  const regions = [...new Set(effects.map((e) => e.region))];
  const planted = regions.map((region) => {
    const es = effects.filter((e) => e.region === region);
    return `${region} ${mm(es[0]!.centreMni)}: gray matter ${es.map((e) => `${e.group} ${e.amplitude > 0 ? '+' : ''}${e.amplitude}`).join(', ')} vs HC (subject noise sd ≈ 0.063), Gaussian σ ${es[0]!.sigmaMm} mm`;
  });
  return { pipeline: 'glm', recovered, line, planted, details, checks };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
