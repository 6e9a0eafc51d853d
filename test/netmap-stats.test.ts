import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../shared/nifti/index.ts';
import { binariseT, decodeSignedOverlap, OverlapAccumulator, overlapFromCounts, overlapMaps } from '../shared/netmap/overlap.ts';

import { FIXTURES } from './helpers/fixtures.ts';

const FIX = `${FIXTURES}/network`;
const load = (f: string) => readNifti(new Uint8Array(readFileSync(`${FIX}/${f}`)), f);

describe('netmap overlap', () => {
  it('binarises strictly at ±T (t = T and NaN are not counted)', () => {
    const t = Float32Array.from([5.1, 5.2, -5.1, -5.2, 0, NaN, 100, -Infinity]);
    const { pos, neg } = binariseT(t, 5.1);
    expect(Array.from(pos)).toEqual([0, 1, 0, 0, 0, 0, 1, 0]);
    expect(Array.from(neg)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('counts overlaps of hand-built maps', () => {
    // 3 studies, 5 voxels, T = 2
    const maps = [
      Float32Array.from([3, -3, 0, 2, 9]),
      Float32Array.from([3, 3, -9, 2.5, 9]),
      Float32Array.from([-3, -3, -9, 1, 9]),
    ];
    // voxel: pos count, neg count by hand
    //   0: 2,1   1: 1,2   2: 0,2   3: 1,0   4: 3,0
    const o = overlapMaps(maps, 2);
    expect(o.n).toBe(3);
    expect(Array.from(o.posCount)).toEqual([2, 1, 0, 1, 3]);
    expect(Array.from(o.negCount)).toEqual([1, 2, 2, 0, 0]);
    expect(Array.from(o.pos)).toEqual([2, 1, 0, 1, 3].map((x) => Math.fround(x / 3)));
    expect(Array.from(o.neg)).toEqual([1, 2, 2, 0, 0].map((x) => Math.fround(x / 3)));
    expect(Array.from(o.signed)).toEqual([1, -1, -2, 1, 3].map((x) => Math.fround(x / 3)));
    // the streaming accumulator in another order gives the same counts
    const acc = new OverlapAccumulator(5, 2);
    for (const m of [maps[2]!, maps[0]!, maps[1]!]) acc.add(m);
    expect(Array.from(acc.result().signed)).toEqual(Array.from(o.signed));
  });

  it('refuses bad input with named errors', () => {
    expect(() => overlapMaps([], 5.1)).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
    expect(() => overlapMaps([new Float32Array(3), new Float32Array(4)])).toThrow(expect.objectContaining({ name: 'SpaceMismatch' }));
    expect(() => overlapMaps([new Float32Array(3)], -1)).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
    expect(() => overlapMaps([new Float32Array(3)], NaN)).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
    expect(() => overlapFromCounts(Uint16Array.from([3]), Uint16Array.from([0]), 2)).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
    expect(() => decodeSignedOverlap(Float32Array.from([NaN]), 21)).toThrow(expect.objectContaining({ name: 'InvalidParameter' }));
  });

  it('IGE fixture: every value is k/21 within float32 precision and the network lies inside the brain mask', () => {
    const ige = load('IGEnetwork.nii');
    const mask = load('BrainMask618361_BH.nii');
    expect(ige.header.dims.slice(0, 3)).toEqual([61, 83, 61]);
    const { k, maxError } = decodeSignedOverlap(ige.data, 21);
    // independent check written plainly: |v·21 − round(v·21)| small for every voxel
    let worst = 0;
    let nonZero = 0;
    let outside = 0;
    let kMin = 0;
    let kMax = 0;
    for (let v = 0; v < ige.data.length; v++) {
      const x = ige.data[v]! * 21;
      worst = Math.max(worst, Math.abs(x - Math.round(x)));
      if (ige.data[v] !== 0) {
        nonZero++;
        if (!(mask.data[v]! > 0)) outside++;
        kMin = Math.min(kMin, k[v]!);
        kMax = Math.max(kMax, k[v]!);
      }
    }
    expect(worst).toBeLessThan(21 * 6e-8);
    expect(maxError).toBeLessThan(6e-8);
    expect(nonZero).toBe(69420);
    expect(outside).toBe(0);
    expect(kMin).toBe(-20);
    expect(kMax).toBe(20);
    expect(Math.abs(kMin)).toBeLessThanOrEqual(21);
  });
});
