/**
 * Connected components against a brute-force labelling written plainly here
 * (union–find over every pair of in-mask voxels whose coordinates differ by at
 * most 1 per axis, with the neighbour rule stated as a Chebyshev/Manhattan
 * test), and supra-threshold clusters against hand-built maps.
 */
import { describe, expect, it } from 'vitest';
import { labelComponents, type Connectivity } from '../shared/volume/components.ts';
import { clusterMap, findClusters } from '../shared/volume/clusters.ts';
import { expectNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';

/** Are voxels a and b neighbours? 6: share a face; 18: face or edge; 26: any touching. */
function adjacent(a: number[], b: number[], conn: Connectivity): boolean {
  const d = [0, 1, 2].map((k) => Math.abs(a[k] - b[k]));
  if (Math.max(...d) !== 1) return false;
  const nChanged = d.filter((x) => x === 1).length;
  return conn === 6 ? nChanged === 1 : conn === 18 ? nChanged <= 2 : true;
}

/** O(N²) reference: union every adjacent pair, then number roots by first voxel in memory order. */
function bruteLabels(mask: Uint8Array, dims: [number, number, number], conn: Connectivity): Int32Array {
  const [nx, ny] = dims;
  const on: number[] = [];
  for (let v = 0; v < mask.length; v++) if (mask[v]) on.push(v);
  const coord = (v: number) => [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
  const parent = new Map<number, number>(on.map((v) => [v, v]));
  const find = (v: number): number => {
    while (parent.get(v) !== v) v = parent.get(v)!;
    return v;
  };
  for (let a = 0; a < on.length; a++) {
    for (let b = a + 1; b < on.length; b++) {
      if (adjacent(coord(on[a]), coord(on[b]), conn)) {
        const ra = find(on[a]);
        const rb = find(on[b]);
        if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
      }
    }
  }
  const out = new Int32Array(mask.length);
  const rootLabel = new Map<number, number>();
  for (const v of on) {
    const r = find(v);
    if (!rootLabel.has(r)) rootLabel.set(r, rootLabel.size + 1);
    out[v] = rootLabel.get(r)!;
  }
  return out;
}

function volume(dims: [number, number, number], on: Array<[number, number, number]>): Uint8Array {
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (const [x, y, z] of on) m[x + dims[0] * (y + dims[1] * z)] = 1;
  return m;
}

describe('labelComponents', () => {
  const shapes: Array<[number, number, number]> = [
    [7, 6, 5], [10, 9, 8], [1, 1, 1], [1, 12, 1], [13, 1, 7], [4, 4, 4], [2, 3, 11],
  ];
  for (const conn of [6, 18, 26] as Connectivity[]) {
    it(`matches brute force on random volumes (${conn}-connectivity)`, () => {
      const r = rng(conn).u;
      for (const dims of shapes) {
        for (const density of [0.1, 0.3, 0.5, 0.7, 1]) {
          const N = dims[0] * dims[1] * dims[2];
          const mask = new Uint8Array(N);
          for (let v = 0; v < N; v++) mask[v] = r() < density ? 1 + Math.floor(r() * 3) : 0;
          const ref = bruteLabels(mask, dims, conn);
          const got = labelComponents(mask, dims, conn);
          expect(Array.from(got.labels)).toEqual(Array.from(ref));
          const count = Math.max(0, ...ref);
          expect(got.count).toBe(count);
          const sizes = new Array(count).fill(0);
          for (const l of ref) if (l > 0) sizes[l - 1]++;
          expect(Array.from(got.sizes)).toEqual(sizes);
        }
      }
    });
  }

  it('distinguishes face, edge and corner contacts', () => {
    const dims: [number, number, number] = [3, 3, 3];
    const edge = volume(dims, [[0, 0, 0], [1, 1, 0]]);
    const corner = volume(dims, [[0, 0, 0], [1, 1, 1]]);
    const face = volume(dims, [[1, 1, 1], [1, 1, 2]]);
    expect(labelComponents(edge, dims, 6).count).toBe(2);
    expect(labelComponents(edge, dims, 18).count).toBe(1);
    expect(labelComponents(corner, dims, 18).count).toBe(2);
    expect(labelComponents(corner, dims, 26).count).toBe(1);
    for (const c of [6, 18, 26] as Connectivity[]) expect(labelComponents(face, dims, c).count).toBe(1);
    // No wrap-around across rows or slices: x = nx−1 and x = 0 of the next row are not neighbours.
    const wrap = volume(dims, [[2, 0, 0], [0, 1, 0]]);
    expect(labelComponents(wrap, dims, 26).count).toBe(2);
    const wrapZ = volume(dims, [[2, 2, 0], [0, 0, 1]]);
    expect(labelComponents(wrapZ, dims, 26).count).toBe(2);
  });

  it('numbers labels by first voxel in memory order and fills labelsOut', () => {
    const dims: [number, number, number] = [5, 4, 3];
    // Component A starts at (3,0,0) but extends down to z=2; component B starts later at (0,2,0).
    const m = volume(dims, [[3, 0, 0], [3, 0, 1], [3, 0, 2], [0, 2, 0], [0, 3, 0], [1, 0, 2]]);
    const out = new Int32Array(60).fill(99);
    const res = labelComponents(m, dims, 6, out);
    expect(res.labels).toBe(out);
    expect(res.count).toBe(3);
    const at = (x: number, y: number, z: number) => out[x + 5 * (y + 4 * z)];
    expect(at(3, 0, 0)).toBe(1);
    expect(at(3, 0, 2)).toBe(1);
    expect(at(0, 2, 0)).toBe(2);
    expect(at(1, 0, 2)).toBe(3);
    expect(at(4, 3, 2)).toBe(0);
    expect(Array.from(res.sizes)).toEqual([3, 2, 1]);
  });

  it('handles large single components without recursion', () => {
    // A serpentine path through a 200×200×20 volume: one component of ~400k voxels.
    const dims: [number, number, number] = [200, 200, 20];
    const m = new Uint8Array(200 * 200 * 20);
    let count = 0;
    for (let z = 0; z < 20; z++) {
      for (let y = 0; y < 200; y++) {
        for (let x = 0; x < 200; x++) {
          const rowOn = y % 2 === 0 || (Math.floor(y / 2) % 2 === 0 ? x === 199 : x === 0);
          const keep = z % 2 === 0 ? rowOn : x === 0 && y === 0; // odd slices: one connector voxel
          if (keep) {
            m[x + 200 * (y + 200 * z)] = 1;
            count++;
          }
        }
      }
    }
    const res = labelComponents(m, dims, 6);
    expect(res.count).toBe(1);
    expect(res.sizes[0]).toBe(count);
    expect(labelComponents(new Uint8Array(200 * 200 * 20).fill(1), dims, 26).sizes[0]).toBe(800_000);
  });

  it('rejects bad dims, masks and connectivity', () => {
    expectNamed(() => labelComponents(new Uint8Array(5), [2, 2, 2], 6), 'InvalidParameter');
    expectNamed(() => labelComponents(new Uint8Array(8), [2, 2, 2], 7 as Connectivity), 'InvalidParameter');
    expectNamed(() => labelComponents(new Uint8Array(0), [0, 2, 2], 6), 'InvalidParameter');
    expectNamed(() => labelComponents(new Uint8Array(8), [2, 2, 2], 6, new Int32Array(7)), 'InvalidParameter');
  });
});

describe('findClusters', () => {
  const dims: [number, number, number] = [6, 5, 4];
  const N = 6 * 5 * 4;
  const idx = (x: number, y: number, z: number) => x + 6 * (y + 5 * z);

  function map(): Float32Array {
    const s = new Float32Array(N);
    // Positive cluster P1: 4 voxels in a row, one exactly at threshold 3.
    s[idx(0, 0, 0)] = 3;
    s[idx(1, 0, 0)] = 4;
    s[idx(2, 0, 0)] = 5;
    s[idx(3, 0, 0)] = 3.5;
    // Positive cluster P2: 2 voxels with tied peaks (lowest index wins).
    s[idx(0, 4, 3)] = 6;
    s[idx(1, 4, 3)] = 6;
    // Positive P3: 2 voxels, smaller peak, connected only by a corner to nothing.
    s[idx(5, 2, 1)] = 3.2;
    s[idx(5, 2, 2)] = 3.1;
    // Just below threshold: never included.
    s[idx(4, 0, 0)] = 2.9999;
    // Negative cluster N1: 3 voxels, one exactly at −3.
    s[idx(2, 2, 2)] = -3;
    s[idx(2, 3, 2)] = -7;
    s[idx(3, 3, 2)] = -4;
    // Negative singleton, and a NaN that never counts.
    s[idx(5, 4, 0)] = -10;
    s[idx(4, 4, 0)] = NaN;
    return s;
  }

  it('positive tail: inclusive threshold, peaks, mass and order', () => {
    const s = map();
    const cl = findClusters(s, dims, 3, '+', 26, 1, undefined, true);
    expect(cl.map((c) => c.voxels)).toEqual([4, 2, 2]);
    expect(cl.map((c) => c.id)).toEqual([1, 2, 3]);
    const [p1, p2, p3] = cl;
    expect(p1.peakIndex).toBe(idx(2, 0, 0));
    expect(p1.peakValue).toBe(5);
    expect(p1.peakIjk).toEqual([2, 0, 0]);
    expect(p1.mass).toBeCloseTo(3 + 4 + 5 + 3.5, 5);
    expect(Array.from(p1.indices!)).toEqual([idx(0, 0, 0), idx(1, 0, 0), idx(2, 0, 0), idx(3, 0, 0)]);
    // Equal size: the larger |peak| first; tie on the peak value -> lowest index.
    expect(p2.peakValue).toBe(6);
    expect(p2.peakIndex).toBe(idx(0, 4, 3));
    expect(p2.peakIjk).toEqual([0, 4, 3]);
    expect(p3.peakIndex).toBe(idx(5, 2, 1));
    expect(p3.mass).toBeCloseTo(3.2 + 3.1, 5);
    // Negative voxels never appear in the positive tail.
    for (const c of cl) for (const v of c.indices!) expect(s[v]).toBeGreaterThanOrEqual(3);
  });

  it('negative tail is separate and inclusive', () => {
    const s = map();
    const cl = findClusters(s, dims, 3, '-', 26, 1, undefined, true);
    expect(cl.map((c) => c.voxels)).toEqual([3, 1]);
    expect(cl[0].peakValue).toBe(-7);
    expect(cl[0].peakIndex).toBe(idx(2, 3, 2));
    expect(cl[0].mass).toBeCloseTo(14, 5);
    expect(cl[1].peakValue).toBe(-10);
    expect(cl[1].peakIjk).toEqual([5, 4, 0]);
  });

  it('minVoxels drops small clusters; the threshold is inclusive at the boundary', () => {
    const s = map();
    expect(findClusters(s, dims, 3, '+', 26, 3).map((c) => c.voxels)).toEqual([4]);
    expect(findClusters(s, dims, 3, '+', 26, 2).map((c) => c.voxels)).toEqual([4, 2, 2]);
    expect(findClusters(s, dims, 3, '+', 26, 5)).toEqual([]);
    expect(findClusters(s, dims, 3, '-', 26, 2).map((c) => c.voxels)).toEqual([3]);
    // Raising the threshold past 3 removes the boundary voxels (3 and −3).
    expect(findClusters(s, dims, 3.0001, '+', 26, 1).map((c) => c.voxels)).toEqual([3, 2, 2]);
    expect(findClusters(s, dims, 3.0001, '-', 26, 1).map((c) => c.voxels)).toEqual([2, 1]);
    // The voxel at 2.9999 joins P1 once the threshold allows it.
    expect(findClusters(s, dims, 2.9999, '+', 26, 1)[0].voxels).toBe(5);
  });

  it('respects connectivity and the mask; clusterMap keeps only surviving voxels', () => {
    const s = map();
    // N1 is an L of face neighbours; with 6-connectivity it stays whole.
    expect(findClusters(s, dims, 3, '-', 6, 1).map((c) => c.voxels)).toEqual([3, 1]);
    // Diagonal pair: separate under 6, joined under 18.
    const d = new Float32Array(N);
    d[idx(1, 1, 1)] = 4;
    d[idx(2, 2, 1)] = 5;
    expect(findClusters(d, dims, 3, '+', 6, 1).length).toBe(2);
    expect(findClusters(d, dims, 3, '+', 18, 1).length).toBe(1);
    const mask = new Uint8Array(N).fill(1);
    mask[idx(2, 0, 0)] = 0; // splits P1 into {0,1} and {3}
    const cl = findClusters(s, dims, 3, '+', 26, 1, mask, true);
    expect(cl.map((c) => c.voxels)).toEqual([2, 2, 2, 1]);
    const big = findClusters(s, dims, 3, '+', 26, 3, undefined, true);
    const cm = clusterMap(s, big, N);
    for (let v = 0; v < N; v++) {
      const inBig = Array.from(big[0].indices!).includes(v);
      expect(cm[v]).toBe(inBig ? s[v] : 0);
    }
    expectNamed(() => clusterMap(s, findClusters(s, dims, 3, '+', 26, 1), N), 'InvalidParameter');
  });

  it('is deterministic across many random maps: ordering rule and per-cluster facts hold', () => {
    const r = rng(99).u;
    const dd: [number, number, number] = [9, 8, 7];
    const M = 9 * 8 * 7;
    for (let rep = 0; rep < 20; rep++) {
      const s = new Float32Array(M);
      for (let v = 0; v < M; v++) s[v] = Math.round((r() * 8 - 4) * 4) / 4; // many ties
      for (const tail of ['+', '-'] as const) {
        const cl = findClusters(s, dd, 2, tail, 18, 1, undefined, true);
        const again = findClusters(s, dd, 2, tail, 18, 1, undefined, true);
        expect(again).toEqual(cl);
        let total = 0;
        for (let k = 0; k < cl.length; k++) {
          const c = cl[k];
          const idxs = Array.from(c.indices!);
          total += c.voxels;
          expect(idxs.length).toBe(c.voxels);
          const abs = idxs.map((v) => Math.abs(s[v]));
          const maxAbs = Math.max(...abs);
          expect(Math.abs(c.peakValue)).toBe(maxAbs);
          expect(c.peakIndex).toBe(idxs.find((v) => Math.abs(s[v]) === maxAbs));
          expect(c.mass).toBeCloseTo(abs.reduce((a, b) => a + b, 0), 4);
          if (k > 0) {
            const p = cl[k - 1];
            const before =
              p.voxels > c.voxels ||
              (p.voxels === c.voxels && Math.abs(p.peakValue) > Math.abs(c.peakValue)) ||
              (p.voxels === c.voxels && Math.abs(p.peakValue) === Math.abs(c.peakValue) && p.peakIndex < c.peakIndex);
            expect(before).toBe(true);
          }
        }
        let supra = 0;
        for (let v = 0; v < M; v++) if (tail === '+' ? s[v] >= 2 : s[v] <= -2) supra++;
        expect(total).toBe(supra);
      }
    }
  });

  it('rejects bad arguments', () => {
    const s = new Float32Array(N);
    expectNamed(() => findClusters(s, dims, NaN, '+', 26, 1), 'InvalidParameter');
    expectNamed(() => findClusters(s, [6, 5, 3], 3, '+', 26, 1), 'InvalidParameter');
    expectNamed(() => findClusters(s, dims, 3, '+', 26, 1, new Uint8Array(3)), 'InvalidParameter');
  });
});
