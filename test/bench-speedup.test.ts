import { describe, expect, it } from 'vitest';
import { FANOUT_DOMINATED_SHARE, SPEEDUP_TARGET, amdahl, fanoutShare, lptMakespan, profileLines, runProfile, serialMs, stageLabel, structuralWall, targetLines } from '../bench/speedup.ts';

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

describe('bench profile of a 1-thread run (bench/speedup.ts)', () => {
  const at = (task: string, start: number, ms: number) => ({ task: task as never, start, billedMs: ms });
  // job starts at 1000, runs 10 s: validate, plan, 3 prepare shards, mask, 2 slab shards, then the reducer until result.json at 9000
  const inv = [
    at('glmSlab', 5005, 1000), // out of order on purpose: the profile sorts by start
    at('validate', 1500, 300),
    at('plan', 1850, 50),
    at('prepare', 2000, 500),
    at('prepare', 2520, 500),
    at('prepare', 3030, 500),
    at('mask', 3600, 400),
    at('glmSlab', 4000, 1000),
  ];

  it('splits the wall into fan-out shards, start-up, single-shard stages, runner gaps, the reducer and the end (hand-computed)', () => {
    const p = runProfile(10000, 1000, inv, [9000]);
    expect(p.stages).toEqual([
      { task: 'validate', label: 'validate', child: false, shards: 1, busyMs: 300, startMs: 500, endMs: 800 },
      { task: 'plan', label: 'plan', child: false, shards: 1, busyMs: 50, startMs: 850, endMs: 900 },
      { task: 'prepare', label: 'prepare', child: false, shards: 3, busyMs: 1500, startMs: 1000, endMs: 2530 },
      { task: 'mask', label: 'mask', child: false, shards: 1, busyMs: 400, startMs: 2600, endMs: 3000 },
      { task: 'glmSlab', label: 'glmSlab', child: false, shards: 2, busyMs: 2000, startMs: 3000, endMs: 5005 },
    ]);
    expect(p.fanoutMs).toBe(3500);
    expect(p.startupMs).toBe(500);
    expect(p.singleShard).toEqual([{ name: 'validate', ms: 300 }, { name: 'plan', ms: 50 }, { name: 'mask', ms: 400 }]);
    expect(p.reducers).toBe(1);
    expect(p.betweenStagesMs).toBe(50 + 100 + 70 + 0);
    expect(p.withinFanoutMs).toBe(20 + 10 + 5);
    expect(p.reduceMs).toBe(9000 - 6005);
    expect(p.tailMs).toBe(11000 - 9000);
    const parts = p.fanoutMs + p.startupMs + p.singleShard.reduce((a, x) => a + x.ms, 0) + p.betweenStagesMs + p.withinFanoutMs + p.reduceMs + p.tailMs;
    expect(parts).toBe(p.wallMs);
    expect(fanoutShare(p)).toBeCloseTo(0.35, 12);
    expect(serialMs(p)).toBe(6500);
    const lines = profileLines(p);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('validate 0.30 | plan 0.05 | prepare ×3 1.50 | mask 0.40 | glmSlab ×2 2.00');
    expect(lines[1]).toContain('serial 6.50 s of 10.00 s (fan-out shards 3.50 s = 35%)');
    expect(lines[1]).toContain('reduce 3.00 (last record → result.json)');
  });

  it('without result.json the time after the last record is all the end; one task type in two single-shard stages is summed; overlaps count once', () => {
    const p = runProfile(1000, 0, [at('plan', 100, 100), at('prepare', 200, 200), at('prepare', 300, 200), at('plan', 600, 100)]);
    // prepare shards overlap by 100 ms (2 threads): no gap, the cursor moves to 500; the second plan starts 100 ms later
    expect(p.singleShard).toEqual([{ name: 'plan', ms: 200 }]);
    expect(p.fanoutMs).toBe(400);
    expect(p.withinFanoutMs).toBe(0);
    expect(p.betweenStagesMs).toBe(100);
    expect(p.reduceMs).toBe(0);
    expect(p.tailMs).toBe(300);
    // a run without records: all of it start-up
    const empty = runProfile(500, 0, []);
    expect([empty.startupMs, empty.fanoutMs, empty.tailMs, fanoutShare(empty)]).toEqual([500, 0, 0, 0]);
  });

  it('finds a child workflow (another work folder) and its reducer (a result.json written in a gap), and names single shards (hand-computed)', () => {
    const w = (task: string, start: number, ms: number, shard: string, work: string) => ({ task: task as never, start, billedMs: ms, shard, work });
    // parent: validate, 2 slab shards, the group step (a "plan" task); child: validate, 2 prepare shards; child reducer until 700, parent reducer until 950; end 1000
    const rec = [
      w('validate', 0, 50, 'validate', 'j/a'),
      w('rehoSlab', 50, 100, 'slab-0', 'j/a'),
      w('rehoSlab', 150, 100, 'slab-1', 'j/a'),
      w('plan', 250, 10, 'group', 'j/a'),
      w('validate', 300, 40, 'validate', 'j/b'),
      w('prepare', 340, 100, 'subject-0', 'j/b'),
      w('prepare', 440, 100, 'subject-1', 'j/b'),
    ];
    const p = runProfile(1000, 0, rec, [700, 950]);
    expect(p.stages.map((s) => [s.label, s.child, s.shards])).toEqual([['validate', false, 1], ['rehoSlab', false, 2], ['plan (group)', false, 1], ['validate', true, 1], ['prepare', true, 2]]);
    expect(p.singleShard).toEqual([{ name: 'validate', ms: 90 }, { name: 'plan (group)', ms: 10 }]);
    // the gap 260–300 (the child's start) stays a runner gap; 540–950 holds both result.json writes: reducers
    expect(p.betweenStagesMs).toBe(40);
    expect(p.reduceMs).toBe(950 - 540);
    expect(p.reducers).toBe(2);
    expect(p.tailMs).toBe(50);
    expect(profileLines(p)[0]).toContain('plan (group) 0.01 | child workflow: validate 0.04 | prepare ×2 0.20');
    expect(profileLines(p)[1]).toContain('reduce ×2 0.41');
    expect(stageLabel('aleObserve' as never, 1, 'observe')).toBe('aleObserve');
    expect(stageLabel('glmSlab' as never, 1, 'slab-0')).toBe('glmSlab');
    expect(stageLabel('plan' as never, 1, 'group')).toBe('plan (group)');
  });

  it('calls a job fan-out dominated when halving its fan-out alone reaches 1.7× (Amdahl), and says whether targets are met', () => {
    expect(amdahl(0)).toBe(1);
    expect(amdahl(1)).toBe(2);
    expect(amdahl(0.5)).toBeCloseTo(4 / 3, 12);
    expect(FANOUT_DOMINATED_SHARE).toBeCloseTo(2 - 2 / 1.7, 12);
    expect(amdahl(FANOUT_DOMINATED_SHARE)).toBeCloseTo(SPEEDUP_TARGET, 12);
    const profile = runProfile(10000, 0, [at('aleMonteCarlo', 1000, 4500), at('aleMonteCarlo', 5500, 4500)]); // 90% fan-out
    const met = targetLines({ wall1: 10, wall2: 5.5, structural2: 1.8, profile, wall2Target: { seconds: 30, what: '10,000 iterations' }, capacity: 1.95 });
    expect(met[0]).toMatch(/90\.0% .*fan-out dominated \(≥ 82\.4%\).*: met \(×1\.82/);
    expect(met[1]).toBe('10,000 iterations: 5.5 s, target ≤ 30 s: met');
    expect(met).toHaveLength(2);
    const slow = targetLines({ wall1: 40, wall2: 31, structural2: 1.8, profile: { ...profile, wallMs: 40000 }, wall2Target: { seconds: 30, what: '10,000 iterations' }, capacity: 1.2 });
    expect(slow[0]).toMatch(/22\.5% .*not fan-out dominated \(< 82\.4%: halving the fan-out alone gives ×1\.13\).*not met \(×1\.29\)/);
    expect(slow[1]).toContain('target ≤ 30 s: not met');
    expect(slow[2]).toContain('loaded machine: pure CPU work got ×1.20');
  });
});
