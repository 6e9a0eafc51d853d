import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { degCsv, deseqFromTables, deseqTwoGroup, parseCountTable, parseSampleTable } from '../shared/rnaseq/index.ts';
import { FIXTURES } from './helpers/fixtures.ts';

// Reference: DESeq2 1.38.3 on simulated counts (generator: data/fixtures/transcriptomics/deseq2/generate.R).
const DIR = join(FIXTURES, 'transcriptomics', 'deseq2');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

describe('two-group NB Wald test against DESeq2 1.38', () => {
  const table = parseCountTable(read('counts.csv'), 'counts.csv');
  const groups = parseSampleTable(read('samples.csv'), 'samples.csv');
  const res = deseqTwoGroup(
    table,
    table.samples.map((s) => groups.get(s)!),
    { test: 'patient', reference: 'control' },
  );
  const refLines = read('deseq2_results.csv').trim().split('\n');
  const head = refLines[0]!.split(',');
  const ref = refLines.slice(1).map((l) => l.split(','));
  const col = (name: string) => ref.map((r) => Number(r[head.indexOf(name)]));
  const summary = new Map(
    read('deseq2_summary.csv')
      .trim()
      .split('\n')
      .map((l) => {
        const [k, ...v] = l.split(',');
        return [k!, v.map(Number)] as const;
      }),
  );

  it('size factors, trend and prior variance', () => {
    const sf = summary.get('sizeFactors')!;
    sf.forEach((v, j) => expect(res.sizeFactors[j]).toBeCloseTo(v, 13));
    expect(res.trend.type).toBe('parametric');
    expect(res.notes).toEqual([]);
    expect(Math.abs(res.trend.asymptDisp / summary.get('asymptDisp')![0]! - 1)).toBeLessThan(1e-8);
    expect(Math.abs(res.trend.extraPois / summary.get('extraPois')![0]! - 1)).toBeLessThan(1e-8);
    expect(res.dispPriorVar).toBeCloseTo(summary.get('dispPriorVar')![0]!, 10);
    expect(Math.abs(res.varLogDispEsts / summary.get('varLogDispEsts')![0]! - 1)).toBeLessThan(1e-8);
  });

  it('every per-gene column agrees to 1e-8 relative', () => {
    const names = ['baseMean', 'log2FoldChange', 'lfcSE', 'stat', 'pvalue', 'padj', 'dispGeneEst', 'dispFit', 'dispersion'] as const;
    for (const name of names) {
      const r = col(name);
      let worst = 0;
      let compared = 0;
      r.forEach((v, i) => {
        const ours = res.rows[i]![name];
        if (!Number.isFinite(v)) {
          expect(Number.isFinite(ours) && name !== 'baseMean').toBe(false);
          return;
        }
        compared++;
        worst = Math.max(worst, Math.abs(ours - v) / Math.max(Math.abs(v), 1e-12));
      });
      expect(compared).toBeGreaterThan(290);
      expect(worst, name).toBeLessThan(1e-8);
    }
    const outl = ref.map((r) => r[head.indexOf('dispOutlier')]);
    outl.forEach((v, i) => {
      if (v === 'NA') return;
      expect(res.rows[i]!.dispOutlier).toBe(v === 'TRUE');
    });
  });

  it('the all-zero gene has no statistics; DEG calls follow |log2FC| ≥ 1 and p < 0.05', () => {
    expect(res.allZero).toBe(1);
    expect(Number.isNaN(res.rows[0]!.pvalue)).toBe(true);
    const lfc = col('log2FoldChange');
    const p = col('pvalue');
    let up = 0;
    let down = 0;
    lfc.forEach((l, i) => {
      const deg = Number.isFinite(p[i]!) && p[i]! < 0.05 && Math.abs(l) >= 1;
      expect(res.rows[i]!.deg).toBe(deg ? (l > 0 ? 'up' : 'down') : '');
      if (deg && l > 0) up++;
      if (deg && l < 0) down++;
    });
    expect(res.nUp).toBe(up);
    expect(res.nDown).toBe(down);
    expect(up + down).toBeGreaterThan(20);
  });

  it('DEG table has every gene with its call', () => {
    const lines = degCsv(res).trim().split('\n');
    expect(lines[0]).toBe('gene,baseMean,log2FoldChange,lfcSE,stat,pvalue,padj,dispersion,deg');
    expect(lines.length).toBe(301);
    expect(lines[1]).toBe('GENE001,0,,,,,,,');
    const r = res.rows[1]!;
    expect(lines[2]).toBe(`GENE002,${r.baseMean},${r.log2FoldChange},${r.lfcSE},${r.stat},${r.pvalue},${r.padj},${r.dispersion},down`);
  });

  it('from the table texts: default contrast = second group vs first (control → patient)', () => {
    const r2 = deseqFromTables(read('counts.csv'), read('samples.csv'));
    expect([r2.reference, r2.test]).toEqual(['control', 'patient']);
    expect(r2.rows.map((r) => r.pvalue)).toEqual(res.rows.map((r) => r.pvalue));
    expect(() => deseqFromTables(read('counts.csv'), 'sample,group\nS1,a\n')).toThrow(/column 3: sample has no row/);
    expect(() => deseqFromTables(read('counts.csv'), read('samples.csv'), { test: 'x', reference: 'control' })).toThrow(/group "x" has no sample/);
  });
});
