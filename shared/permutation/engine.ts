/**
 * Permutation inference over batches of permutations (PALM / FSL randomise
 * conventions, see README "Permutation inference"):
 *
 * - every t is converted to z through the t CDF with the model's df before any
 *   maximum, cluster or TFCE (as PALM);
 * - two-tailed tests work on |z| (clusters and TFCE are built on |z|, so touching
 *   positive and negative blobs merge; p is not doubled); one-tailed tests on z;
 * - per permutation the maximum statistic, maximum cluster extent and mass at the
 *   cluster-forming threshold (inclusive, on the lattice's connectivity) and the
 *   maximum TFCE are recorded; per voxel the number of permutations whose
 *   statistic (and TFCE) reaches the observed one;
 * - F-contrasts (a model from `permutationModelF`) are one-sided, as in PALM and
 *   randomise: F is converted to z through the F CDF with df (r, n − p) (`fToZ`, tabulated in
 *   `fast-fz.ts`) and
 *   the maximum, clusters and TFCE work on that z; `twoTailed` is ignored (forced
 *   false by `permutationSetup`) and exceedance is F ≥ F_obs;
 * - permutation 0 is the identity and belongs to the null: p = #(null ≥ obs)/N.
 *
 * "≥" allows a relative 1e-9 so that relabellings that are mathematical mirror
 * images (e.g. swapping two equal-sized groups) tie with the observed value as
 * they should, instead of missing it by one rounding unit.
 */
import type { Lattice } from './lattice.ts';
import { permuteScratch, permutedF, permutedT, type PermutationModel, type PermuteScratch } from './model.ts';
import { shuffle, type ShufflePlan } from './shuffles.ts';
import { clusterWork, labelClusters, type ClusterWork } from './clusters.ts';
import { tfce, tfceWork, type TfceParams, type TfceWork } from './tfce.ts';
import { makeTToZ, type TToZ } from './fast-tz.ts';
import { makeFToZ, type FToZ } from './fast-fz.ts';

export const STATISTICS = ['maxT', 'clusterExtent', 'clusterMass', 'tfce'] as const;
export type Statistic = (typeof STATISTICS)[number];

export interface PermutationOptions {
  statistics: Statistic[];
  twoTailed: boolean;
  /** cluster-forming threshold on the z (|z| when two-tailed) scale */
  clusterFormingZ: number;
  tfce: TfceParams;
}

export interface PermutationSetup {
  model: PermutationModel;
  lattice: Lattice;
  plan: ShufflePlan;
  options: PermutationOptions;
}

export const TIE = 1e-9;
export const atLeast = (x: number, ref: number): boolean => x >= ref - TIE * Math.abs(ref);

interface Work {
  tz: TToZ;
  /** F → z with df (r, n − p), F-contrasts only */
  fz?: FToZ;
  scratch: PermuteScratch;
  perm: Int32Array;
  sign: Float64Array;
  t: Float64Array;
  stat: Float64Array;
  tfceMap: Float64Array;
  clusters: ClusterWork;
  tfce: TfceWork;
}

/** t → z tables by df (built once per df: every batch of a job shares its model's df) */
const tzByDf = new Map<number, TToZ>();
function tToZFor(df: number): TToZ {
  let tz = tzByDf.get(df);
  if (!tz) {
    if (tzByDf.size >= 16) tzByDf.clear();
    tz = makeTToZ(df);
    tzByDf.set(df, tz);
  }
  return tz;
}

/**
 * Scratch of a setup, reused by its later batches (work areas are overwritten by every
 * permutation before they are read, so reuse cannot change a result; this thread runs
 * one batch at a time).
 */
const works = new WeakMap<PermutationSetup, Work>();
function work(setup: PermutationSetup): Work {
  let w = works.get(setup);
  if (!w) {
    w = newWork(setup);
    works.set(setup, w);
  }
  return w;
}

function newWork(setup: PermutationSetup): Work {
  const { model, lattice } = setup;
  const V = lattice.V;
  return {
    tz: tToZFor(model.dof),
    fz: model.f ? makeFToZ(model.f.rank, model.dof) : undefined,
    scratch: permuteScratch(model),
    perm: new Int32Array(model.n),
    sign: new Float64Array(model.n),
    t: new Float64Array(V),
    stat: new Float64Array(V),
    tfceMap: new Float64Array(V),
    clusters: clusterWork(V),
    tfce: tfceWork(V),
  };
}

interface PermStats {
  maxStat: number;
  maxExtent: number;
  maxMass: number;
  maxTfce: number;
}

function evaluate(setup: PermutationSetup, k: number, w: Work): PermStats {
  const { model, lattice, plan, options } = setup;
  shuffle(plan, k, w.perm, w.sign);
  const V = lattice.V;
  let maxStat = -Infinity;
  if (model.f) {
    permutedF(model, w.perm, plan.set.kind === 'flip' ? w.sign : undefined, w.t, w.scratch);
    const fz = w.fz!;
    for (let v = 0; v < V; v++) {
      const z = fz.z(w.t[v]!);
      w.stat[v] = z;
      if (z > maxStat) maxStat = z;
    }
  } else {
    permutedT(model, w.perm, plan.set.kind === 'flip' ? w.sign : undefined, w.t, w.scratch);
    const { t, stat, tz } = w;
    if (options.twoTailed) {
      for (let v = 0; v < V; v++) {
        const s = Math.abs(tz.z(t[v]!));
        stat[v] = s;
        if (s > maxStat) maxStat = s;
      }
    } else {
      for (let v = 0; v < V; v++) {
        const s = tz.z(t[v]!);
        stat[v] = s;
        if (s > maxStat) maxStat = s;
      }
    }
  }
  const wantClusters = options.statistics.includes('clusterExtent') || options.statistics.includes('clusterMass');
  const cl = wantClusters ? labelClusters(w.stat, options.clusterFormingZ, lattice, w.clusters) : { maxExtent: 0, maxMass: 0 };
  const maxTfce = options.statistics.includes('tfce') ? tfce(w.stat, lattice, options.tfce, w.tfceMap, w.tfce, maxStat) : 0;
  return { maxStat, maxExtent: cl.maxExtent, maxMass: cl.maxMass, maxTfce };
}

export interface Observed {
  /** t (F for an F-contrast) and the test statistic (|z| two-tailed; z from F) per in-mask voxel */
  t: Float64Array;
  stat: Float64Array;
  tfce?: Float64Array;
  /** cluster of each voxel at the cluster-forming threshold (−1 none) with its extent and mass */
  clusterRoot: Int32Array;
  clusterSize: Int32Array;
  clusterMass: Float64Array;
}

/** The unpermuted statistics (permutation 0). */
export function observe(setup: PermutationSetup): Observed {
  const w = work(setup);
  evaluate(setup, 0, w);
  const V = setup.lattice.V;
  const clusterRoot = new Int32Array(V).fill(-1);
  const wantClusters = setup.options.statistics.includes('clusterExtent') || setup.options.statistics.includes('clusterMass');
  if (wantClusters) {
    const { parent } = w.clusters;
    for (let v = 0; v < V; v++) {
      if (parent[v]! < 0) continue;
      let r = v;
      while (parent[r] !== r) r = parent[r]!;
      clusterRoot[v] = r;
    }
  }
  return {
    t: w.t.slice(),
    stat: w.stat.slice(),
    tfce: setup.options.statistics.includes('tfce') ? w.tfceMap.slice() : undefined,
    clusterRoot,
    clusterSize: w.clusters.size.slice(),
    clusterMass: w.clusters.mass.slice(),
  };
}

export interface BatchResult {
  k0: number;
  k1: number;
  maxStat: Float64Array;
  maxExtent: Float64Array;
  maxMass: Float64Array;
  maxTfce: Float64Array;
  /** per voxel: permutations of the batch with stat ≥ observed */
  exceedStat: Uint32Array;
  exceedTfce: Uint32Array;
}

/** ref − TIE·|ref| per voxel: x reaches ref (`atLeast`) iff x ≥ this */
function reachFloor(ref: Float64Array): Float64Array {
  const out = new Float64Array(ref.length);
  for (let v = 0; v < ref.length; v++) out[v] = ref[v]! - TIE * Math.abs(ref[v]!);
  return out;
}

/** Permutations k0 … k1−1 (clipped to the plan's count). */
export function runBatch(setup: PermutationSetup, k0: number, k1: number, observed: Observed): BatchResult {
  const end = Math.min(k1, setup.plan.count);
  const len = Math.max(0, end - k0);
  const V = setup.lattice.V;
  const w = work(setup);
  const out: BatchResult = {
    k0,
    k1: k0 + len,
    maxStat: new Float64Array(len),
    maxExtent: new Float64Array(len),
    maxMass: new Float64Array(len),
    maxTfce: new Float64Array(len),
    exceedStat: new Uint32Array(V),
    exceedTfce: new Uint32Array(setup.options.statistics.includes('tfce') ? V : 0),
  };
  // atLeast(x, ref) is x ≥ ref − TIE·|ref|: the right-hand sides once per batch
  const statFloor = reachFloor(observed.stat);
  const tfceFloor = observed.tfce ? reachFloor(observed.tfce) : undefined;
  const { exceedStat, exceedTfce } = out;
  for (let q = 0; q < len; q++) {
    const s = evaluate(setup, k0 + q, w);
    out.maxStat[q] = s.maxStat;
    out.maxExtent[q] = s.maxExtent;
    out.maxMass[q] = s.maxMass;
    out.maxTfce[q] = s.maxTfce;
    const stat = w.stat;
    for (let v = 0; v < V; v++) exceedStat[v] += stat[v]! >= statFloor[v]! ? 1 : 0;
    if (tfceFloor) {
      const map = w.tfceMap;
      for (let v = 0; v < V; v++) exceedTfce[v] += map[v]! >= tfceFloor[v]! ? 1 : 0;
    }
  }
  return out;
}

/** Concatenate batch results in k order (batches must tile 0 … N−1). */
export function poolBatches(batches: BatchResult[], V: number, N: number): BatchResult {
  const sorted = [...batches].sort((a, b) => a.k0 - b.k0);
  const pooled: BatchResult = {
    k0: 0,
    k1: N,
    maxStat: new Float64Array(N),
    maxExtent: new Float64Array(N),
    maxMass: new Float64Array(N),
    maxTfce: new Float64Array(N),
    exceedStat: new Uint32Array(V),
    exceedTfce: new Uint32Array(sorted[0]?.exceedTfce.length ?? 0),
  };
  let next = 0;
  for (const b of sorted) {
    if (b.k0 !== next) throw new Error(`permutation batches do not tile 0…${N - 1}: expected a batch starting at ${next}, got ${b.k0}`);
    pooled.maxStat.set(b.maxStat, b.k0);
    pooled.maxExtent.set(b.maxExtent, b.k0);
    pooled.maxMass.set(b.maxMass, b.k0);
    pooled.maxTfce.set(b.maxTfce, b.k0);
    for (let v = 0; v < V; v++) pooled.exceedStat[v] += b.exceedStat[v]!;
    for (let v = 0; v < pooled.exceedTfce.length; v++) pooled.exceedTfce[v] += b.exceedTfce[v]!;
    next = b.k1;
  }
  if (next !== N) throw new Error(`permutation batches cover 0…${next - 1}; expected 0…${N - 1}`);
  return pooled;
}
