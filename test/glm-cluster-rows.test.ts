/**
 * The reducer's cluster values from the clusters' voxels only (clusterVoxelRows) equal
 * clusterValues over the contrast's whole subject maps (the plain way), bit for bit, with
 * overlapping clusters, NaN voxels and a subject order that is not the stored one.
 */
import { describe, expect, it } from 'vitest';
import { clusterVoxelRows } from '../shared/pipelines/glm/cohort-reduce.ts';
import { clusterValues } from '../shared/volume/cluster-regions.ts';
import type { Cluster } from '../shared/volume/clusters.ts';
import { mix32 } from '../shared/random.ts';

describe('clusterVoxelRows', () => {
  it('gives the same cluster means as the whole maps', () => {
    const V = 500;
    const nAll = 9;
    const Y = Float32Array.from({ length: nAll * V }, (_, i) => (mix32(i + 1) / 2 ** 32 - 0.5) * 10);
    Y[3 * V + 17] = Number.NaN;
    const subjects = [7, 2, 3, 0, 5];
    const cluster = (id: number, idx: number[]): Cluster => ({ id, voxels: idx.length, peakIndex: idx[0]!, peakValue: 1, mass: 1, peakIjk: [0, 0, 0], indices: Int32Array.from(idx) });
    const clusters = [cluster(1, [17, 18, 40, 41, 42, 499]), cluster(2, [0, 1, 2, 18, 41]), cluster(3, [250])];
    const whole = new Float32Array(subjects.length * V);
    subjects.forEach((s, k) => whole.set(Y.subarray(s * V, (s + 1) * V), k * V));
    const plain = clusterValues(whole, subjects.length, V, clusters);
    const c = clusterVoxelRows(Y, V, subjects, clusters);
    expect(c.Y.length).toBe(subjects.length * 10);
    const fast = clusterValues(c.Y, subjects.length, c.Y.length / subjects.length, c.clusters);
    expect(Array.from(fast)).toEqual(Array.from(plain));
    expect(Number.isNaN(plain[2 * 3])).toBe(false);
    // the clusters keep everything but their renumbered indices
    expect(c.clusters.map((x) => [x.id, x.voxels, x.peakIndex])).toEqual(clusters.map((x) => [x.id, x.voxels, x.peakIndex]));
  });
});
