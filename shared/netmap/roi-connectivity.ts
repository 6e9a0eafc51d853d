/**
 * ROI-to-ROI functional connectivity in every connectome subject (Ji et al. 2025: the IGE
 * network's connectivity with the somato-cognitive action network nodes and 12 canonical
 * networks, compared across target groups by a one-way repeated-measures ANOVA).
 *
 * Per subject and run (the connectome format of shared/netmap/connectome.ts: T × V float32,
 * voxel fastest, each voxel's series demeaned): each ROI's time course is the weighted mean
 * of its voxels' series (weights as for seeds: spheres 1, masks their values); r = Pearson
 * correlation of the source's and each target's time course. Per subject: r averaged over
 * the runs where it is defined, Fisher z = atanh(r) with |r| clamped to 1 − 1e-7 (as the
 * seed maps of shared/netmap/correlate.ts). A target group's value in a subject is the mean
 * z over the group's target ROIs. The ANOVA across groups is repeated-measures because the
 * same subjects contribute to every group (shared/stats/rm-anova.ts).
 */
import { InvalidParameter } from '../errors.ts';
import { rmAnovaOneWay, type RmAnova } from '../stats/rm-anova.ts';
import { R_CLAMP, type Seed } from './correlate.ts';
import { subjectRuns } from './connectome.ts';

/** Seed (compact connectome indices and weights) from weights on the full grid; NaN, ±Inf and |w| < 1e-4 count as 0 (as Lead-DBS). */
export function seedFromWeights(weights: ArrayLike<number>, compact: Int32Array, input = 'roi'): Seed {
  if (weights.length !== compact.length) throw new InvalidParameter(`ROI has ${weights.length} voxels; the connectome grid has ${compact.length}`, input);
  const idx: number[] = [];
  const w: number[] = [];
  for (let g = 0; g < weights.length; g++) {
    const x = weights[g]!;
    if (compact[g]! < 0 || !Number.isFinite(x) || Math.abs(x) < 1e-4) continue;
    idx.push(compact[g]!);
    w.push(x);
  }
  if (idx.length === 0) throw new InvalidParameter('ROI holds no voxel of the connectome mask', input);
  if (w.reduce((a, b) => a + b, 0) === 0) throw new InvalidParameter('ROI weights sum to 0', input);
  return { index: Int32Array.from(idx), weight: Float64Array.from(w) };
}

/** Weighted mean time course of a ROI in one run (T values). */
export function roiSeries(run: Float32Array, T: number, V: number, roi: Seed, out = new Float64Array(T)): Float64Array {
  let ws = 0;
  for (let q = 0; q < roi.index.length; q++) ws += roi.weight[q]!;
  for (let t = 0; t < T; t++) {
    let a = 0;
    const row = t * V;
    for (let q = 0; q < roi.index.length; q++) a += roi.weight[q]! * run[row + roi.index[q]!]!;
    out[t] = a / ws;
  }
  return out;
}

function pearsonSeries(a: Float64Array, b: Float64Array): number {
  const T = a.length;
  let ma = 0;
  let mb = 0;
  for (let t = 0; t < T; t++) (ma += a[t]!), (mb += b[t]!);
  ma /= T;
  mb /= T;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let t = 0; t < T; t++) {
    const x = a[t]! - ma;
    const y = b[t]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Fisher z of the source ROI with each target ROI in one subject (NaN where no run defines r). */
export function roiToRoiSubject(runs: readonly { data: Float32Array; T: number }[], V: number, source: Seed, targets: readonly Seed[]): Float64Array {
  const K = targets.length;
  const rSum = new Float64Array(K);
  const rN = new Int32Array(K);
  for (const run of runs) {
    if (run.data.length !== run.T * V) throw new InvalidParameter(`run holds ${run.data.length} values; expected ${run.T} × ${V}`);
    const s = roiSeries(run.data, run.T, V, source);
    const tc = new Float64Array(run.T);
    targets.forEach((tg, k) => {
      const r = pearsonSeries(s, roiSeries(run.data, run.T, V, tg, tc));
      if (r === r) (rSum[k] += r), rN[k]!++;
    });
  }
  const z = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    if (rN[k] === 0) {
      z[k] = NaN;
      continue;
    }
    const m = Math.max(-R_CLAMP, Math.min(R_CLAMP, rSum[k]! / rN[k]!));
    z[k] = Math.atanh(m);
  }
  return z;
}

/** The same for a subject file of the connectome (runs concatenated, see connectome.ts). */
export function roiToRoiSubjectFile(bytes: Uint8Array, runs: readonly number[], V: number, source: Seed, targets: readonly Seed[], file = 'subject'): Float64Array {
  return roiToRoiSubject(subjectRuns(bytes, runs, V, file), V, source, targets);
}

export interface RoiTarget {
  name: string;
  group: string;
}

export interface RoiConnectivityGroups {
  /** group names in first-appearance order of the targets */
  groups: string[];
  /** subjects used (complete rows), in input order */
  subjects: string[];
  /** subjects left out because a target had no defined r */
  excluded: string[];
  /** subjects × groups mean z (row-major) */
  values: Float64Array;
  anova: RmAnova;
}

/**
 * Group table and repeated-measures ANOVA across target groups: per subject, mean z over
 * each group's targets; subjects with any undefined z are left out (and listed).
 */
export function roiConnectivityAnova(subjects: readonly string[], z: readonly Float64Array[], targets: readonly RoiTarget[], input = 'roiConnectivity'): RoiConnectivityGroups {
  if (z.length !== subjects.length) throw new InvalidParameter(`${z.length} rows for ${subjects.length} subjects`, input);
  const groups: string[] = [];
  const gi = targets.map((t) => {
    let i = groups.indexOf(t.group);
    if (i < 0) i = groups.push(t.group) - 1;
    return i;
  });
  if (groups.length < 2) throw new InvalidParameter(`target ROIs form ${groups.length} group(s); the ANOVA compares at least 2`, `${input}.targets`);
  const G = groups.length;
  const used: string[] = [];
  const excluded: string[] = [];
  const rows: number[] = [];
  z.forEach((row, s) => {
    if (row.length !== targets.length) throw new InvalidParameter(`subject ${subjects[s]} has ${row.length} values for ${targets.length} targets`, input);
    if (row.some((x) => !Number.isFinite(x))) {
      excluded.push(subjects[s]!);
      return;
    }
    const sum = new Float64Array(G);
    const cnt = new Float64Array(G);
    row.forEach((x, k) => {
      sum[gi[k]!] += x;
      cnt[gi[k]!]++;
    });
    for (let g = 0; g < G; g++) rows.push(sum[g]! / cnt[g]!);
    used.push(subjects[s]!);
  });
  const values = Float64Array.from(rows);
  return { groups, subjects: used, excluded, values, anova: rmAnovaOneWay(values, used.length, G, input) };
}
