/**
 * The reho demo: a small synthetic resting-state cohort on a 6 mm MNI grid (24×28×24, an
 * ellipsoidal brain), 4-D series with slow motion drifts, WM/CSF signals and white noise,
 * and planted local synchrony: in every subject the voxels around the posterior cingulate
 * share a slow signal (high ReHo in both groups: no difference expected), and in the DRE
 * group the voxels around the left hippocampus share one too (ReHo higher in DRE than in
 * HC there: the group step's DRE−HC contrast should find one positive cluster at that place
 * and nothing at the cingulate). One DRE subject moves 4 mm mid-run and must be excluded by
 * the motion QC. Deterministic for a seed; pure (the caller writes the files).
 */
import { stream } from '../random.ts';
import { voxelToMm } from '../nifti/affine.ts';
import { distance, mm, tick, type Check, type Finding, type Mni } from './finding.ts';

export interface RehoSynchrony {
  region: string;
  centreMni: Mni;
  sigmaMm: number;
  /** amplitude of the shared slow signal by group (white noise sd 1) */
  amplitude: Record<string, number>;
}

export const REHO_SYNCHRONY: readonly RehoSynchrony[] = [
  { region: 'hippocampus_L', centreMni: [-27, -21, -15], sigmaMm: 7, amplitude: { DRE: 0.3, HC: 0 } },
  { region: 'posterior_cingulate', centreMni: [3, -51, 27], sigmaMm: 7, amplitude: { DRE: 0.7, HC: 0.7 } },
];

export interface RehoDemoSubject {
  id: string;
  group: string;
  age: number;
  /** T × V volume-major 4-D data (x fastest, then y, z, t) */
  data: Float32Array;
  /** T rows of 6 motion parameters (mm, radians) as SPM rp_*.txt */
  rp: number[][];
  wm: number[];
  csf: number[];
  /** planted: this subject moves too much and must be excluded */
  mover: boolean;
}

export interface RehoDemoCohort {
  dims: [number, number, number];
  affine: Float64Array;
  tr: number;
  volumes: number;
  mask: Uint8Array;
  subjects: RehoDemoSubject[];
  synchrony: RehoSynchrony[];
  /** ids of the subjects planted to fail the motion QC */
  movers: string[];
}

/** A few slow sinusoids in 0.015–0.07 Hz with random phases and amplitudes (inside the 0.01–0.08 Hz band-pass). */
function slowSignal(rng: ReturnType<typeof stream>, T: number, tr: number): Float64Array {
  const x = new Float64Array(T);
  for (let c = 0; c < 6; c++) {
    const f = 0.015 + 0.055 * rng.next();
    const phase = 2 * Math.PI * rng.next();
    const a = 0.5 + rng.next();
    for (let t = 0; t < T; t++) x[t]! += a * Math.sin(2 * Math.PI * f * tr * t + phase);
  }
  let ss = 0;
  for (let t = 0; t < T; t++) ss += x[t]! ** 2;
  const sd = Math.sqrt(ss / T);
  return x.map((v) => v / sd);
}

export function rehoDemoCohort(seed = 1, perGroup = 12, volumes = 100): RehoDemoCohort {
  const dims: [number, number, number] = [24, 28, 24];
  const affine = Float64Array.from([-6, 0, 0, 69, 0, 6, 0, -105, 0, 0, 6, -60, 0, 0, 0, 1]);
  const tr = 2;
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  const mask = new Uint8Array(nVox);
  const where: Mni[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        const p = voxelToMm(affine, i, j, k) as Mni;
        where[v] = p;
        if ((p[0] / 66) ** 2 + ((p[1] + 18) / 84) ** 2 + ((p[2] - 6) / 60) ** 2 <= 1) mask[v] = 1;
      }
  const synchrony = REHO_SYNCHRONY.map((s) => ({ ...s, centreMni: [...s.centreMni] as Mni, amplitude: { ...s.amplitude } }));
  const load = synchrony.map((s) => Float64Array.from(where, (p) => Math.exp(-(distance(p, s.centreMni) ** 2) / (2 * s.sigmaMm ** 2))));
  const T = volumes;
  const subjects: RehoDemoSubject[] = [];
  const movers: string[] = [];
  let n = 0;
  for (const group of ['DRE', 'HC']) {
    const count = group === 'DRE' ? perGroup + 1 : perGroup;
    for (let g = 0; g < count; g++) {
      n++;
      const id = `sub-${String(n).padStart(2, '0')}`;
      const mover = group === 'DRE' && g === count - 1;
      if (mover) movers.push(id);
      const rng = stream(seed, 1000 + n);
      const age = Math.round(20 + 40 * rng.next());
      const rp: number[][] = [];
      const cur = [0, 0, 0, 0, 0, 0];
      for (let t = 0; t < T; t++) {
        for (let c = 0; c < 6; c++) cur[c]! += (c < 3 ? 0.015 : 0.0002) * rng.normal();
        if (mover && t === Math.floor(T / 2)) cur[1]! += 4;
        rp.push([...cur]);
      }
      const wm = Array.from({ length: T }, (_, t) => 500 + 3 * Math.sin(t / 7 + n) + rng.normal());
      const csf = Array.from({ length: T }, (_, t) => 800 + 5 * Math.cos(t / 3 + n) + rng.normal());
      const shared = synchrony.map(() => slowSignal(rng, T, tr));
      const amp = synchrony.map((s) => s.amplitude[group] ?? 0);
      const data = new Float32Array(nVox * T);
      for (let v = 0; v < nVox; v++) {
        if (!mask[v]) continue;
        const base = 1000 + 50 * Math.cos(where[v]![2] / 40);
        for (let t = 0; t < T; t++) {
          let x = base + rng.normal() + 0.05 * (wm[t]! - 500) + 2 * rp[t]![1]!;
          for (let r = 0; r < synchrony.length; r++) x += amp[r]! * load[r]![v]! * shared[r]![t]!;
          data[v + t * nVox] = x;
        }
      }
      subjects.push({ id, group, age, data, rp, wm, csf, mover });
    }
  }
  return { dims, affine, tr, volumes: T, mask, subjects, synchrony, movers };
}

export const rehoFiles = (id: string) => ({ func: `func/${id}_bold.nii`, confounds: `func/${id}_rp.txt`, wmCsf: `func/${id}_wm_csf.txt` });

export function rehoParticipantsTsv(cohort: RehoDemoCohort): string {
  const rows = ['participant_id\tgroup\tage\tfunc\tconfounds\twm_csf'];
  for (const s of cohort.subjects) {
    const f = rehoFiles(s.id);
    rows.push([s.id, s.group, s.age, f.func, f.confounds, f.wmCsf].join('\t'));
  }
  return rows.join('\n') + '\n';
}

export const rpText = (rp: number[][]): string => rp.map((r) => r.map((x) => x.toExponential(8)).join('  ')).join('\n') + '\n';
export const wmCsfText = (s: RehoDemoSubject): string => s.wm.map((w, t) => `${w.toFixed(6)} ${s.csf[t]!.toFixed(6)}`).join('\n') + '\n';

export function rehoDemoJob(seed = 1): Record<string, unknown> {
  return {
    jobId: 'demo-reho',
    pipeline: 'reho',
    description: 'synthetic DRE / HC resting-state cohort with planted local synchrony (neuroburst demo)',
    inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz' },
    params: {
      preprocess: true,
      smoothFwhmMm: 6,
      group: { contrasts: ['DRE-HC'], covariates: ['age'], inference: { grf: { voxelP: 0.005, clusterP: 0.05, twoTailed: true, connectivity: 26 } } },
    },
    seed,
    budget: { maxUsd: 1, maxConcurrency: 200 },
  };
}

export interface RehoResultLike {
  excluded: { id: string; reasons: string[] }[];
  group: { contrasts: Record<string, { clusters: { tail: string; voxels: number; peakT: number; peakMni: number[] }[]; clusterSizeThreshold: number }> } | null;
}

/** Largest distance (mm) between the planted centre and the recovering cluster's peak (two 6 mm voxels). */
export const REHO_TOLERANCE_MM = 12;

/**
 * The planted differences (DRE amplitude ≠ HC amplitude) must each be the peak of a positive
 * DRE−HC cluster within REHO_TOLERANCE_MM; no cluster may lie elsewhere (in particular at the
 * equal-synchrony control region); the planted movers, and only they, are excluded.
 */
export function rehoFinding(result: RehoResultLike, synchrony: readonly RehoSynchrony[] = REHO_SYNCHRONY, movers: readonly string[]): Finding {
  const c = result.group?.contrasts['DRE-HC'];
  const clusters = c?.clusters ?? [];
  const checks: Check[] = [];
  const used = new Set<number>();
  const details: string[] = [];
  for (const s of synchrony) {
    const diff = (s.amplitude.DRE ?? 0) - (s.amplitude.HC ?? 0);
    if (diff === 0) continue;
    const tail = diff > 0 ? '+' : '-';
    let best = -1;
    let bestD = Infinity;
    clusters.forEach((k, i) => {
      const d = distance(k.peakMni, s.centreMni);
      if (k.tail === tail && d < bestD) [best, bestD] = [i, d];
    });
    const ok = best >= 0 && bestD <= REHO_TOLERANCE_MM;
    if (ok) used.add(best);
    const k = best >= 0 ? clusters[best] : undefined;
    checks.push({ what: `DRE-HC ${s.region}`, plantedMni: s.centreMni, foundMni: k ? (k.peakMni as Mni) : null, distanceMm: k ? Math.round(bestD * 10) / 10 : null, value: k?.peakT ?? null, ok });
    details.push(ok ? `DRE-HC ${s.region}: peak ${mm(k!.peakMni)} t = ${k!.peakT.toFixed(1)} (${k!.voxels} voxels), planted at ${mm(s.centreMni)} ${tick(true)}` : `DRE-HC ${s.region} planted at ${mm(s.centreMni)} not found ${tick(false)}`);
  }
  const extra = clusters.filter((_, i) => !used.has(i));
  for (const k of extra) details.push(`unexpected ${k.tail} cluster, peak ${mm(k.peakMni)} t = ${k.peakT.toFixed(1)} ${tick(false)}`);
  const controls = synchrony.filter((s) => (s.amplitude.DRE ?? 0) === (s.amplitude.HC ?? 0));
  for (const s of controls) {
    const near = clusters.some((k) => distance(k.peakMni, s.centreMni) <= REHO_TOLERANCE_MM);
    checks.push({ what: `no DRE-HC cluster at ${s.region} (equal synchrony)`, plantedMni: s.centreMni, ok: !near });
  }
  const excluded = result.excluded.map((e) => e.id).sort();
  const moversOk = excluded.join(',') === [...movers].sort().join(',');
  checks.push({ what: `motion exclusions = planted movers (${movers.join(', ')})`, ok: moversOk });
  details.push(`excluded for motion: ${excluded.length ? result.excluded.map((e) => `${e.id} (${e.reasons.join('; ')})`).join(', ') : 'none'} — planted: ${movers.join(', ') || 'none'} ${tick(moversOk)}`);
  const recovered = checks.every((x) => x.ok) && extra.length === 0;
  const top = checks.find((x) => x.foundMni);
  const line =
    `DRE-HC ${clusters.length} cluster${clusters.length === 1 ? '' : 's'}` +
    (top?.foundMni ? ` — peak ${mm(top.foundMni)} t = ${top.value!.toFixed(1)}, planted at ${mm(top.plantedMni!)}` : '') +
    `; ${excluded.length} subject${excluded.length === 1 ? '' : 's'} excluded for motion ${tick(recovered)}`;
  const planted = [
    ...synchrony.map((s) => `shared slow signal (Gaussian σ ${s.sigmaMm} mm) at ${s.region} ${mm(s.centreMni)}, amplitude ${Object.entries(s.amplitude).map(([g, a]) => `${g} ${a}`).join(', ')} (noise sd 1)`),
    `${movers.join(', ')} moves 4 mm mid-run (exclusion limit 3 mm)`,
  ];
  return { pipeline: 'reho', recovered, line, planted, details, checks };
}
