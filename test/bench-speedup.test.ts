import { describe, expect, it } from 'vitest';
import { lptMakespan, structuralWall } from '../bench/speedup.ts';

describe('bench speed-up model (bench/speedup.ts)', () => {
  it('schedules shards longest first onto the least loaded thread (hand-computed makespans)', () => {
    expect(lptMakespan([5, 4, 3, 3, 2, 1], 2)).toBe(9); // 5+3+1 | 4+3+2
    expect(lptMakespan([7], 2)).toBe(7);
    expect(lptMakespan([2, 2, 2, 2], 1)).toBe(8);
    expect(lptMakespan([3, 3, 2, 2, 2], 2)).toBe(7); // 3+2+2 | 3+2
    expect(lptMakespan([], 2)).toBe(0);
  });

  it('keeps the time outside shards serial and schedules each stage (consecutive shards of one task) on its own', () => {
    // 10 s wall: validate 1 s, 4 prepare shards of 1 s, a mask of 1 s, 2 slab shards of 1.5 s; 1 s unaccounted (reduce, start-up)
    const at = (task: string, ms: number, start: number) => ({ task: task as never, billedMs: ms, start });
    const inv = [at('validate', 1000, 0), ...[1, 2, 3, 4].map((k) => at('prepare', 1000, k * 1000)), at('mask', 1000, 5000), at('glmSlab', 1500, 6000), at('glmSlab', 1500, 7500)];
    const s = structuralWall(10, inv, 2);
    expect(s.serialSeconds).toBeCloseTo(1, 10);
    // 1 serial + validate 1 + prepare 2 + mask 1 + slabs 1.5
    expect(s.seconds).toBeCloseTo(6.5, 10);
    expect(s.stages.map((x) => [x.task, x.shards])).toEqual([['validate', 1], ['prepare', 4], ['mask', 1], ['glmSlab', 2]]);
    expect(structuralWall(10, inv, 1).seconds).toBeCloseTo(10, 10);
  });
});
