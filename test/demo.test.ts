import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoSummary } from '../bin/demo.ts';
import { demoCohort, expectedClusters, glmFinding, GLM_EFFECTS, type DemoSubject } from '../shared/demo/glm.ts';
import { rehoDemoCohort, rehoFinding, REHO_SYNCHRONY } from '../shared/demo/reho.ts';
import { aleFinding, PAIN_REGIONS } from '../shared/demo/ale.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { netmapFinding, plantedNetworkMask } from '../shared/demo/netmap.ts';
import { mmToVoxel } from '../shared/nifti/affine.ts';
import { tmpDir } from './helpers/tmp.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { parseExpression } from '../shared/transcriptomics/tables.ts';
import { parseGeneTable, plantedResponse, TX_PLANT, TX_REFERENCE_VE, txFinding } from '../shared/demo/transcriptomics.ts';

const TX_EXPRESSION = join(FIXTURES, 'transcriptomics', 'ahba', 'enigma-extra_allgenes_stable_r0.6.csv');

const dist = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

describe('demo generators plant what they say', () => {
  it('glm: without noise, the value of each group minus the HC value (age and TIV terms removed) is exactly the planted Gaussian', () => {
    const c = demoCohort(1, 1, 0);
    expect(c.subjects.map((s) => s.group)).toEqual(['DRE', 'DSE', 'HC']);
    const [dre, dse, hc] = c.subjects as [DemoSubject, DemoSubject, DemoSubject];
    const clean = (s: DemoSubject, v: number) => s.data[v]! + 0.002 * (s.age - 40) - 0.0001 * (s.tiv - 1500);
    const voxel = (p: [number, number, number]) => {
      const [i, j, k] = mmToVoxel(c.affine, ...p).map(Math.round) as [number, number, number];
      return i + c.dims[0] * (j + c.dims[1] * k);
    };
    // hand-written Gaussian at a few offsets from each centre
    for (const e of GLM_EFFECTS) {
      const s = e.group === 'DRE' ? dre : dse;
      for (const off of [[0, 0, 0], [3, 0, 0], [0, -6, 3], [9, 9, 0]] as [number, number, number][]) {
        const p: [number, number, number] = [e.centreMni[0] + off[0], e.centreMni[1] + off[1], e.centreMni[2] + off[2]];
        const v = voxel(p);
        const want = e.amplitude * Math.exp(-(off[0] ** 2 + off[1] ** 2 + off[2] ** 2) / (2 * e.sigmaMm ** 2));
        expect(clean(s, v) - clean(hc, v), `${e.group} ${e.region} ${off}`).toBeCloseTo(want, 5);
      }
    }
    // DSE has nothing planted in the hippocampus or cerebellum
    for (const r of ['hippocampus_L', 'cerebellum_R']) {
      const v = voxel(GLM_EFFECTS.find((e) => e.region === r)!.centreMni);
      expect(clean(dse, v) - clean(hc, v), r).toBeCloseTo(0, 5);
    }
  });

  it('glm: the subject noise has the sd the effect size is quoted against (≈ 0.063, so the planted 0.13 is d ≈ 2)', () => {
    const noisy = demoCohort(1, 1, 1);
    const clean = demoCohort(1, 1, 0);
    let ss = 0;
    let n = 0;
    for (let s = 0; s < 3; s++) {
      const a = noisy.subjects[s]!.data;
      const b = clean.subjects[s]!.data;
      for (let v = 0; v < a.length; v++) {
        if (b[v]! <= 0.2 || b[v]! >= 0.8) continue; // away from the clamps and outside the brain
        ss += (a[v]! - b[v]!) ** 2;
        n++;
      }
    }
    expect(n).toBeGreaterThan(100000);
    expect(Math.sqrt(ss / n)).toBeGreaterThan(0.057);
    expect(Math.sqrt(ss / n)).toBeLessThan(0.069);
  });

  it('glm: which contrast should show which cluster (hand-counted from the plan)', () => {
    const e = expectedClusters(GLM_EFFECTS);
    const by = (c: string) => e.filter((x) => x.contrast === c).map((x) => `${x.region}${x.tail}`).sort();
    expect(by('DRE-HC')).toEqual(['cerebellum_R-', 'hippocampus_L-', 'thalamus_R-']);
    expect(by('DSE-HC')).toEqual(['thalamus_R-']);
    expect(by('DRE-DSE')).toEqual(['cerebellum_R-', 'hippocampus_L-']);
  });

  it('reho: neighbouring voxels at the planted place are correlated in DRE, not in HC; the mover moves > 3 mm', () => {
    const c = rehoDemoCohort(1, 3, 60);
    const nVox = c.dims[0] * c.dims[1] * c.dims[2];
    const [i, j, k] = mmToVoxel(c.affine, ...REHO_SYNCHRONY[0]!.centreMni).map(Math.round) as [number, number, number];
    const v = i + c.dims[0] * (j + c.dims[1] * k);
    const corr = (d: Float32Array, a: number, b: number) => {
      const T = c.volumes;
      let ma = 0, mb = 0;
      for (let t = 0; t < T; t++) (ma += d[a + t * nVox]!), (mb += d[b + t * nVox]!);
      ma /= T;
      mb /= T;
      let sab = 0, saa = 0, sbb = 0;
      for (let t = 0; t < T; t++) {
        const x = d[a + t * nVox]! - ma, y = d[b + t * nVox]! - mb;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
      }
      return sab / Math.sqrt(saa * sbb);
    };
    const still = c.subjects.filter((s) => !s.mover);
    const meanR = (g: string) => {
      const s = still.filter((x) => x.group === g);
      return s.reduce((a, x) => a + corr(x.data, v, v + 1), 0) / s.length;
    };
    expect(meanR('DRE')).toBeGreaterThan(0.03);
    expect(meanR('DRE') - meanR('HC')).toBeGreaterThan(0.03);
    expect(c.movers).toEqual(['sub-04']);
    const mover = c.subjects.find((s) => s.mover)!;
    expect(Math.max(...mover.rp.map((r) => Math.abs(r[1]!)))).toBeGreaterThan(3);
    for (const s of still) expect(Math.max(...s.rp.flatMap((r) => r.slice(0, 3).map(Math.abs)))).toBeLessThan(3);
  });
});

describe('demo generators plant what they say (transcriptomics)', () => {
  it('transcriptomics: the planted response is −z(gene) + 0.35·noise over the 34 left regions, the gene has no close neighbour, the same for a seed', () => {
    const expr = parseExpression(readFileSync(TX_EXPRESSION, 'utf8'), 'expression');
    const r = plantedResponse(expr, 1);
    expect(r.regions).toHaveLength(34);
    expect(r.regions.every((x) => x.startsWith('L_'))).toBe(true);
    expect(r.genes).toHaveLength(1);
    expect(r.genes[0]!.coefficient).toBe(-1);
    expect(plantedResponse(expr, 1)).toEqual(r);
    // hand-written z-score (ddof 1) of the planted gene over the same regions
    const p = expr.genes.length;
    const rows = r.regions.map((l) => expr.regions.indexOf(l));
    const colOf = (g: number) => rows.map((i) => expr.values[i * p + g]!);
    const zOf = (v: number[]) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
      return v.map((x) => (x - m) / sd);
    };
    const gz = zOf(colOf(expr.genes.indexOf(r.genes[0]!.gene)));
    const resid = r.values.map((v, i) => v + gz[i]!);
    const rm = resid.reduce((a, b) => a + b, 0) / 34;
    const rsd = Math.sqrt(resid.reduce((a, b) => a + (b - rm) ** 2, 0) / 33);
    expect(Math.abs(rm)).toBeLessThan(0.25); // mean of 34 N(0, 0.35²): sd 0.06
    expect(rsd).toBeGreaterThan(0.2);
    expect(rsd).toBeLessThan(0.5);
    // every complete gene's |r| with the planted one stays below the neighbour limit
    let maxR = 0;
    for (let g = 0; g < p; g++) {
      if (expr.genes[g] === r.genes[0]!.gene) continue;
      const c = colOf(g);
      if (!c.every(Number.isFinite) || new Set(c).size < 2) continue;
      const z = zOf(c);
      maxR = Math.max(maxR, Math.abs(z.reduce((a, x, i) => a + x * gz[i]!, 0) / 33));
    }
    expect(maxR).toBeGreaterThan(0.3);
    expect(maxR).toBeLessThan(TX_PLANT.maxNeighbourR);
    expect(plantedResponse(expr, 2).values).not.toEqual(r.values);
  });
});

describe('demo checks can fail', () => {
  const good = {
    contrasts: {
      'DRE-HC': { clusterSizeThreshold: 90, zThreshold: 2.8, clusters: [{ tail: '-', voxels: 300, peakT: -8, peakMni: [-27, -18, -21] }, { tail: '-', voxels: 300, peakT: -8, peakMni: [24, -63, -30] }, { tail: '-', voxels: 300, peakT: -8, peakMni: [12, -18, 9] }] },
      'DSE-HC': { clusterSizeThreshold: 90, zThreshold: 2.8, clusters: [{ tail: '-', voxels: 300, peakT: -8, peakMni: [12, -18, 6] }] },
      'DRE-DSE': { clusterSizeThreshold: 90, zThreshold: 2.8, clusters: [{ tail: '-', voxels: 300, peakT: -8, peakMni: [-30, -18, -18] }, { tail: '-', voxels: 300, peakT: -8, peakMni: [24, -66, -33] }] },
    },
  };
  it('glm: recovered as planted; not when a cluster is far, of the wrong sign, missing, or extra', () => {
    expect(glmFinding(good).recovered).toBe(true);
    const variant = (edit: (r: typeof good) => void) => {
      const r = structuredClone(good);
      edit(r);
      return glmFinding(r).recovered;
    };
    expect(variant((r) => (r.contrasts['DRE-HC'].clusters[0]!.peakMni = [-27, 0, -21]))).toBe(false);
    expect(variant((r) => (r.contrasts['DSE-HC'].clusters[0]!.tail = '+'))).toBe(false);
    expect(variant((r) => r.contrasts['DRE-DSE'].clusters.pop())).toBe(false);
    expect(variant((r) => r.contrasts['DSE-HC'].clusters.push({ tail: '+', voxels: 100, peakT: 5, peakMni: [40, 20, 40] }))).toBe(false);
  });
  it('reho: not recovered when the wrong subject is excluded or a cluster sits at the equal-synchrony region', () => {
    const r = { excluded: [{ id: 'sub-13', reasons: ['motion'] }], group: { contrasts: { 'DRE-HC': { clusterSizeThreshold: 5, clusters: [{ tail: '+', voxels: 40, peakT: 6, peakMni: [-27, -21, -12] }] } } } };
    expect(rehoFinding(r, REHO_SYNCHRONY, ['sub-13']).recovered).toBe(true);
    expect(rehoFinding(r, REHO_SYNCHRONY, ['sub-12']).recovered).toBe(false);
    const extra = structuredClone(r);
    extra.group.contrasts['DRE-HC'].clusters.push({ tail: '+', voxels: 40, peakT: 6, peakMni: [3, -51, 27] });
    expect(rehoFinding(extra, REHO_SYNCHRONY, ['sub-13']).recovered).toBe(false);
  });
  it('ale: not recovered when the maximum differs from the reference or a pain region has no surviving cluster', () => {
    const clusters = PAIN_REGIONS.map((p) => ({ voxels: 200, peakAle: 0.02, peakMni: p.centreMni, pFweSize: 0.001 }));
    const r = { nExperiments: 21, nFoci: 267, maxAle: 0.0341202, maxAleMni: [38, 4, 2], iterations: 100, cfwe: {}, clusters };
    expect(aleFinding(r).recovered).toBe(true);
    expect(aleFinding({ ...r, maxAle: 0.0345 }).recovered).toBe(false);
    expect(aleFinding({ ...r, clusters: clusters.map((c, i) => (i === 2 ? { ...c, pFweSize: 0.2 } : c)) }).recovered).toBe(false);
  });
  it('transcriptomics: not recovered when the real variance explained differs, the planted gene is second by |weight| or of the wrong sign, |Z| is small, or the spin p is large', () => {
    const res = (ve: number, pSpin: number | null) => ({ nRegions: 34, nGenes: 4, pls: { varianceExplained: ve, pPerm: 0.01, pSpin, nPerm: 100, nBoot: 100, nSpin: 100 } });
    const plant = { genes: [{ gene: 'GENEA', coefficient: -1 }], noiseSd: 0.35, seed: 1 };
    const table = 'gene,weight,z,p,q,rank\nGENEB,0.02,3.9,0,0,1\nGENEC,0.01,3.1,0,0,2\nGENED,0.005,1,0,0,3\nGENEA,-0.03,-3.4,0,0,4\n';
    const genes = parseGeneTable(table);
    expect(genes[3]).toEqual({ gene: 'GENEA', weight: -0.03, z: -3.4 });
    expect(txFinding(res(TX_REFERENCE_VE, 0.5), res(0.3, 0.01), genes, plant).recovered).toBe(true);
    expect(txFinding(res(0.4496, 0.5), res(0.3, 0.01), genes, plant).recovered).toBe(false);
    expect(txFinding(res(TX_REFERENCE_VE, 0.5), res(0.3, 0.2), genes, plant).recovered).toBe(false);
    expect(txFinding(res(TX_REFERENCE_VE, 0.5), res(0.3, null), genes, plant).recovered).toBe(false);
    const edit = (f: (g: { gene: string; weight: number; z: number }[]) => void) => {
      const g = structuredClone(genes);
      f(g);
      return txFinding(res(TX_REFERENCE_VE, 0.5), res(0.3, 0.01), g, plant).recovered;
    };
    expect(edit((g) => (g[0]!.weight = 0.04))).toBe(false); // another gene first by |weight|
    expect(edit((g) => Object.assign(g[3]!, { weight: 0.03, z: 3.4 }))).toBe(false); // wrong sign
    expect(edit((g) => (g[3]!.z = -1.2))).toBe(false); // not significant
    expect(edit((g) => g.splice(3, 1))).toBe(false); // missing
  });
  it('netmap: not recovered when a study maps onto the other network', () => {
    const demo = demoConnectome(1, 2, 10);
    const a = plantedNetworkMask(demo, 'A', 1);
    const b = plantedNetworkMask(demo, 'B', 1);
    const neg = plantedNetworkMask(demo, 'A', -1);
    const tOf = (pos: Uint8Array, negative?: Uint8Array) => Float32Array.from(pos, (x, g) => (x ? 10 : negative?.[g] ? -10 : 0));
    const studies = [{ study: 'study-thalamus', set: 'study', maxT: 10, peakMni: [0, 0, 0], troughMni: [0, 0, 0], positiveVoxels: 1, negativeVoxels: 1 }, { study: 'study-cerebellum', set: 'study', maxT: 10, peakMni: [0, 0, 0], troughMni: [0, 0, 0], positiveVoxels: 1, negativeVoxels: 1 }, { study: 'study-occipital', set: 'study', maxT: 10, peakMni: [0, 0, 0], troughMni: [0, 0, 0], positiveVoxels: 1, negativeVoxels: 1 }];
    const overlapPositive = Float32Array.from(a, (x, g) => (x ? 2 / 3 : b[g] ? 1 / 3 : 0));
    const ok = netmapFinding({ studies, overlap: { studies: 3, maxPositive: 2 / 3 } }, { t: { 'study-thalamus': tOf(a, neg), 'study-cerebellum': tOf(a, neg), 'study-occipital': tOf(b) }, overlapPositive }, demo);
    expect(ok.recovered).toBe(true);
    const swapped = netmapFinding({ studies, overlap: { studies: 3, maxPositive: 2 / 3 } }, { t: { 'study-thalamus': tOf(a, neg), 'study-cerebellum': tOf(a, neg), 'study-occipital': tOf(a) }, overlapPositive }, demo);
    expect(swapped.recovered).toBe(false);
  });
});

describe('demo options', () => {
  it('an unknown pipeline in --only is InvalidParameter naming the option; a pipeline not in this build is skipped with its reason', async () => {
    const out = tmpDir('nb-demo-opt-');
    await expect(runDemo({ out, only: ['glm', 'fmri'], quiet: true })).rejects.toMatchObject({ name: 'InvalidParameter', input: '--only', message: expect.stringMatching(/"fmri"/) });
    if (!existsSync(join(import.meta.dirname, '..', 'shared', 'pipelines', 'transcriptomics'))) {
      const s = await runDemo({ out, only: ['transcriptomics'], quiet: true });
      expect(s.pipelines).toEqual([{ pipeline: 'transcriptomics', status: 'skipped', reason: 'not in this build' }]);
      expect(s.ok).toBe(true);
    }
  });
});

describe('neuroburst demo (quick size, every pipeline through the embedded runner)', () => {
  let summary: DemoSummary;
  let out: string;
  beforeAll(async () => {
    out = tmpDir('nb-demo-');
    summary = await runDemo({ out, size: 'quick', quiet: true, threads: 2 });
  }, 240_000);

  const result = (p: string) => JSON.parse(readFileSync(join(out, `demo-${p}`, 'result.json'), 'utf8'));

  it('every pipeline present ran and recovered what was planted; reports are where the summary says', () => {
    const by = Object.fromEntries(summary.pipelines.map((p) => [p.pipeline, p]));
    for (const p of ['glm', 'reho', 'ale', 'netmap']) {
      expect(by[p]?.status, `${p}: ${by[p]?.finding?.details.join(' | ') ?? by[p]?.error?.message}`).toBe('recovered');
      expect(existsSync(by[p]!.report!), p).toBe(true);
      expect(by[p]!.finding!.line).toMatch(/✓$/);
      expect(by[p]!.finding!.planted.length).toBeGreaterThan(0);
    }
    const tx = by.transcriptomics!;
    if (existsSync(join(import.meta.dirname, '..', 'shared', 'pipelines', 'transcriptomics'))) {
      expect(tx.status, tx.finding?.details.join(' | ') ?? tx.error?.message).toBe('recovered');
      expect(tx.finding!.line).toMatch(/✓$/);
      expect(existsSync(tx.report!)).toBe(true);
    } else expect(tx).toEqual({ pipeline: 'transcriptomics', status: 'skipped', reason: 'not in this build' });
    expect(summary.ok).toBe(true);
  });

  it('glm: a negative cluster within 12 mm of every planted difference, and no other cluster', () => {
    const r = result('glm');
    for (const e of expectedClusters(GLM_EFFECTS)) {
      const near = r.contrasts[e.contrast].clusters.filter((k: any) => k.tail === e.tail && dist(k.peakMni, e.centreMni) <= 12);
      expect(near.length, `${e.contrast} ${e.region}`).toBe(1);
      expect(near[0].peakT).toBeLessThan(-4);
    }
    const total = Object.values<any>(r.contrasts).reduce((a, c) => a + c.clusters.length, 0);
    expect(total).toBe(expectedClusters(GLM_EFFECTS).length);
  });

  it('reho: the group step finds one positive DRE−HC cluster at the planted place; the mover is excluded', () => {
    const r = result('reho');
    expect(r.excluded.map((e: any) => e.id)).toEqual(rehoDemoCohort(1, 10, 3).movers);
    const cl = r.group.contrasts['DRE-HC'].clusters;
    expect(cl.length).toBe(1);
    expect(cl[0].tail).toBe('+');
    expect(dist(cl[0].peakMni, REHO_SYNCHRONY[0]!.centreMni)).toBeLessThanOrEqual(12);
  });

  it('ale: the pain dataset gives the reference maximum and surviving clusters at the pain regions', () => {
    const r = result('ale');
    expect(r.maxAle).toBeCloseTo(0.0341202, 7);
    expect(r.maxAleMni).toEqual([38, 4, 2]);
    const survivors = r.clusters.filter((c: any) => c.pFweSize < 0.05);
    for (const p of PAIN_REGIONS) expect(survivors.some((c: any) => dist(c.peakMni, p.centreMni) <= 15), p.region).toBe(true);
  });

  it('netmap: both network-A studies share the thalamus–cerebellum network, the occipital study maps network B', () => {
    const r = result('netmap');
    const s = Object.fromEntries(r.studies.map((x: any) => [x.study, x]));
    const demo = demoConnectome(1, 2, 3);
    const near = (p: number[], names: string[]) => demo.regions.filter((x) => names.includes(x.name)).some((x) => dist(p, x.centreMni) <= 12);
    expect(near(s['study-thalamus'].peakMni, ['thalamus_L'])).toBe(true);
    expect(near(s['study-cerebellum'].peakMni, ['cerebellum_R'])).toBe(true);
    expect(near(s['study-occipital'].peakMni, ['occipital_L', 'occipital_R'])).toBe(true);
    for (const k of ['study-thalamus', 'study-cerebellum']) expect(near(s[k].troughMni, ['medial_frontal']), k).toBe(true);
    expect(r.overlap.maxPositive).toBeCloseTo(2 / 3, 6);
  });

  it('transcriptomics: the real map gives the reference PLS1 variance explained; the planted gene has the largest |weight| in pls_genes.csv', () => {
    if (!existsSync(join(import.meta.dirname, '..', 'shared', 'pipelines', 'transcriptomics'))) return console.log('transcriptomics not in this build: nothing to check');
    const r = result('transcriptomics');
    expect(r.nRegions).toBe(34);
    expect(r.pls.varianceExplained).toBeCloseTo(0.4495849, 7);
    expect(r.pls).toMatchObject({ nPerm: 200, nBoot: 200, nSpin: 200 });
    const planted = JSON.parse(readFileSync(join(out, 'demo-transcriptomics-planted', 'result.json'), 'utf8'));
    expect(planted.pls.pSpin).toBeLessThanOrEqual(0.05);
    const plant = plantedResponse(parseExpression(readFileSync(TX_EXPRESSION, 'utf8'), 'expression'), 1);
    const rows = readFileSync(join(out, 'demo-transcriptomics-planted', 'tables', 'pls_genes.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const top = rows.reduce((a, b) => (Math.abs(Number(b[1])) > Math.abs(Number(a[1])) ? b : a));
    expect(top[0]).toBe(plant.genes[0]!.gene);
    expect(Number(top[1])).toBeLessThan(0);
    expect(Math.abs(Number(top[2]))).toBeGreaterThan(2.5);
  });
});
