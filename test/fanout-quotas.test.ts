import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapConcurrency, mapStates, QUOTAS, workflowCounts, type AslGraph } from '../shared/jobs/asl-graph.ts';
import { planSlabs } from '../shared/pipelines/common/shards.ts';
import { permutationBatches } from '../shared/pipelines/common/permutation.ts';
import { planBatches, planJackknife } from '../shared/pipelines/ale/context.ts';
import { nullItems, type TxContext } from '../shared/pipelines/transcriptomics/context.ts';
import { spinItems } from '../shared/pipelines/transcriptomics/spins.ts';

const asl = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'statemachines', `${name}.asl.json`), 'utf8')) as AslGraph;

describe('graph counts', () => {
  it('match a hand count on a small graph (Task → inline Map of 3 → Distributed Map of 10 in batches of 4 → Succeed)', () => {
    const inner = (n: string): AslGraph => ({ StartAt: n, States: { [n]: { Type: 'Task', End: true } } });
    const def: AslGraph = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { ...inner('m'), ProcessorConfig: { Mode: 'INLINE' } }, Next: 'D' },
        D: { Type: 'Map', ItemProcessor: { ...inner('d'), ProcessorConfig: { Mode: 'DISTRIBUTED' } }, Next: 'Done' },
        Done: { Type: 'Succeed' },
        Failed: { Type: 'Fail' },
      },
    };
    const c = workflowCounts(def, { M: { items: 3 }, D: { items: 10, itemsPerWorker: 4 } });
    // execution 2 + A 5 + inline Map 4 + 3 × (iteration 2 + task 5) + distributed Map 6 + Succeed 2
    expect(c.parentEvents).toBe(2 + 5 + 4 + 3 * 7 + 6 + 2);
    // A, M, 3 inner, D, 3 children × 1 inner, Done
    expect(c.stateTransitions).toBe(1 + 1 + 3 + 1 + 3 + 1);
    expect(c.maxChildEvents).toBe(2 + 5);
    // the parent's history does not grow with the Distributed Map's items
    expect(workflowCounts(def, { M: { items: 3 }, D: { items: 10_000 } }).parentEvents).toBe(c.parentEvents);
  });
  it('caps concurrency by the Map kind', () => {
    expect(mapConcurrency('INLINE', 200)).toBe(40);
    expect(mapConcurrency('DISTRIBUTED', 200)).toBe(200);
    expect(mapConcurrency('DISTRIBUTED', 50_000)).toBe(QUOTAS.distributedMapConcurrency);
  });
});

describe('fan-out stays within Step Functions quotas', () => {
  it('every Map of every pipeline whose items grow with the data is a Distributed Map', () => {
    for (const name of ['glm', 'ale', 'reho', 'netmap', 'transcriptomics']) {
      const inline = mapStates(asl(name)).filter((m) => m.mode === 'INLINE');
      expect(inline, name).toEqual([]);
    }
  });

  it('a 1,000-subject glm plan (2 mm MNI mask, 5,000 permutations): Distributed Maps only, parent history far under 25,000 events', () => {
    const nz = 91;
    const planeCounts = Array.from({ length: nz }, (_, z) => Math.round(4000 * Math.sin((Math.PI * (z + 0.5)) / nz)));
    const slabs = planSlabs(planeCounts, 1000, 200);
    const perm = permutationBatches(5000, 200).batches;
    const def = asl('glm');
    const modes = Object.fromEntries(mapStates(def).map((m) => [m.name, m.mode]));
    expect(modes).toEqual({ PrepareSubjects: 'DISTRIBUTED', FitSlabs: 'DISTRIBUTED', Permute: 'DISTRIBUTED' });
    const items = { PrepareSubjects: { items: 1000 }, FitSlabs: { items: slabs.length }, Permute: { items: perm.length } };
    const c = workflowCounts(def, items);
    expect(slabs.length).toBeGreaterThan(40);
    expect(c.parentEvents).toBeLessThan(QUOTAS.historyEvents / 100);
    expect(c.maxChildEvents).toBeLessThan(QUOTAS.historyEvents / 100);
    // ten times the subjects: the same parent history, ten times the child transitions of the prepare stage
    const big = workflowCounts(def, { ...items, PrepareSubjects: { items: 10_000 } });
    expect(big.parentEvents).toBe(c.parentEvents);
    expect(big.stateTransitions - c.stateTransitions).toBe(9000);
  });

  it('a 10,000-iteration ALE plan with jackknife and contrast: Distributed Maps only, parent history far under 25,000 events', () => {
    const def = asl('ale');
    const mc = [...planBatches(10_000, 200, 25), ...planBatches(10_000, 200, 25)];
    const jk = planJackknife(120, 200);
    const contrast = planBatches(10_000, 200, 25);
    expect(mc.length).toBe(800);
    const modes = Object.fromEntries(mapStates(def).map((m) => [m.name, m.mode]));
    expect(modes).toEqual({ MonteCarlo: 'DISTRIBUTED', Jackknife: 'DISTRIBUTED', Contrast: 'DISTRIBUTED' });
    const c = workflowCounts(def, { MonteCarlo: { items: mc.length }, Jackknife: { items: jk.length }, Contrast: { items: contrast.length } });
    expect(c.parentEvents).toBeLessThan(QUOTAS.historyEvents / 100);
    expect(c.stateTransitions).toBeGreaterThan(mc.length + jk.length + contrast.length);
  });

  it('a 1,000-subject ReHo job × 20 slabs with a group step: the same, for reho and for the glm execution its group step starts', () => {
    const c = workflowCounts(asl('reho'), { WmCsfSignals: { items: 1000 }, RehoSlabs: { items: 20_000 }, SubjectMaps: { items: 1000 } });
    expect(c.parentEvents).toBeLessThan(QUOTAS.historyEvents / 100);
    const g = workflowCounts(asl('glm'), { PrepareSubjects: { items: 1000 }, FitSlabs: { items: 60 }, Permute: { items: 200 } });
    expect(g.parentEvents).toBeLessThan(QUOTAS.historyEvents / 100);
  });
  it('a transcriptomics plan with 5,000 each of permutations, bootstraps and spins (and per-gene spins): Distributed Maps only, parent history far under 25,000 events', () => {
    const def = asl('transcriptomics');
    const modes = Object.fromEntries(mapStates(def).map((m) => [m.name, m.mode]));
    expect(modes).toEqual({ Spins: 'DISTRIBUTED', Nulls: 'DISTRIBUTED' });
    const ctx = (per?: number) =>
      ({ coords: [0], hemi: [0], correlations: [{}, {}], nPermutations: 5000, job: { params: { nulls: { permutations: 5000, bootstraps: 5000, spins: 5000 }, geneSpin: true, ...(per ? { resamplesPerBatch: per } : {}) } } }) as unknown as TxContext;
    // the smallest batch the schema allows (50 resamples): the most items
    const items = nullItems(ctx(50));
    const spins = spinItems(ctx(50));
    expect(items.length).toBe(4 * 100);
    expect(items.filter((i) => i.kind === 'boot').reduce((a, i) => a + i.count, 0)).toBe(5000);
    // candidate spins of the PLS regions and of two correlated maps
    expect(spins.length).toBe(3 * 100);
    expect(spins.filter((i) => i.set === 'corr-1').reduce((a, i) => a + i.count, 0)).toBe(5000);
    const c = workflowCounts(def, { Spins: { items: spins.length }, Nulls: { items: items.length } });
    expect(c.parentEvents).toBeLessThan(QUOTAS.historyEvents / 100);
    expect(c.maxChildEvents).toBeLessThan(QUOTAS.historyEvents / 100);
    // the parent history does not grow with the batches; each batch is one child transition
    const dflt = workflowCounts(def, { Spins: { items: spinItems(ctx()).length }, Nulls: { items: nullItems(ctx()).length } });
    expect(dflt.parentEvents).toBe(c.parentEvents);
    expect(c.stateTransitions - dflt.stateTransitions).toBe(items.length + spins.length - nullItems(ctx()).length - spinItems(ctx()).length);
  });
});

describe('the ALE estimate uses the mask\'s real grid', () => {
  it('a 1 mm grid costs about eight times the 2 mm one in the observed stages (and more in Monte-Carlo: bigger kernels in voxels)', async () => {
    const { estimateAle, ALE_MS_PER_BATCH } = await import('../shared/pipelines/ale/plan.ts');
    const ctx = (dims: [number, number, number], voxelMm: number) =>
      ({
        experiments: [{ id: 'a', sampleSize: 20, foci: [[0, 0, 0]] }, { id: 'b', sampleSize: 12, foci: [[10, 0, 0], [0, 10, 0]] }],
        batches: planBatches(1000, 200),
        batchesB: [],
        jackknifeShards: [],
        contrastBatches: [],
        grid: { dims, voxelMm, maskVoxels: 1 },
        job: { params: { iterations: 1000 }, budget: { maxUsd: 5, maxConcurrency: 200 } },
      }) as never;
    const two = estimateAle(ctx([91, 109, 91], 2));
    const one = estimateAle(ctx([182, 218, 182], 1));
    const observe = (e: typeof two) => e.stages.find((s) => s.stage === 'observe')!.msPerShard;
    expect(observe(one) / observe(two)).toBeCloseTo(8, 6);
    const mc = (e: typeof two) => e.stages.find((s) => s.stage === 'montecarlo')!.msPerShard;
    // per-shard time less the fixed per-batch overhead: the kernel boxes hold about 2³ times the voxels
    expect(mc(one) - ALE_MS_PER_BATCH).toBeGreaterThan(4 * (mc(two) - ALE_MS_PER_BATCH));
  });
});
