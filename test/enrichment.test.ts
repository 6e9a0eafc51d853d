import { describe, expect, it } from 'vitest';
import {
  hypergeomLogPmf,
  hypergeomUpperTail,
  InvalidGeneList,
  InvalidGeneSets,
  logFactorial,
  overRepresentation,
  parseGmt,
} from '../shared/enrichment/index.ts';

// ---- exact rational reference with BigInt ----
function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  k = Math.min(k, n - k);
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}
function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}
/** natural log of num/den for positive BigInts, to double precision */
function logRatio(num: bigint, den: bigint): number {
  if (num === 0n) return -Infinity;
  const shift = Math.max(0, bitLength(den) - bitLength(num) + 64);
  const q = (num << BigInt(shift)) / den;
  const drop = Math.max(0, bitLength(q) - 60);
  return Math.log(Number(q >> BigInt(drop))) + (drop - shift) * Math.LN2;
}
function exactUpperLog(k: number, N: number, K: number, n: number): number {
  let num = 0n;
  for (let i = Math.max(k, 0); i <= Math.min(n, K); i++) num += choose(K, i) * choose(N - K, n - i);
  return logRatio(num, choose(N, n));
}

describe('hypergeometric upper tail', () => {
  it('log factorial: table and Stirling agree at the seam and with exact values', () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(5)).toBeCloseTo(Math.log(120), 14);
    // ln(1025!) from ln(1024!) + ln(1025)
    expect(logFactorial(1025)).toBeCloseTo(logFactorial(1024) + Math.log(1025), 9);
    // ln(2000!) exactly via BigInt
    const f = (n: number) => {
      let r = 1n;
      for (let i = 2; i <= n; i++) r *= BigInt(i);
      return r;
    };
    expect(Math.abs(logFactorial(2000) - logRatio(f(2000), 1n))).toBeLessThan(1e-9);
  });

  it('equals exact enumeration for every (K, n, k) with N = 14', () => {
    const N = 14;
    let worst = 0;
    for (let K = 0; K <= N; K++)
      for (let n = 0; n <= N; n++)
        for (let k = 0; k <= Math.min(n, K) + 1; k++) {
          const { p, logP } = hypergeomUpperTail(k, N, K, n);
          const ref = exactUpperLog(k, N, K, n);
          if (ref === -Infinity) {
            expect(p).toBe(0);
            continue;
          }
          worst = Math.max(worst, Math.abs(logP - ref) / Math.max(1, Math.abs(ref)));
          expect(Math.abs(p - Math.exp(ref))).toBeLessThan(1e-13);
        }
    expect(worst).toBeLessThan(1e-12);
  });

  it('equals exact enumeration at study scale, far into the tail', () => {
    for (const [k, N, K, n] of [
      [30, 20000, 300, 1500],
      [60, 20000, 300, 1500],
      [150, 12000, 500, 800],
      [1, 15633, 40, 1500],
      [400, 3000, 500, 1000],
    ] as const) {
      const ref = exactUpperLog(k, N, K, n);
      const { logP } = hypergeomUpperTail(k, N, K, n);
      expect(Math.abs(logP - ref) / Math.max(1, Math.abs(ref))).toBeLessThan(1e-10);
    }
  });

  it('agrees with scipy.stats.hypergeom.sf (values printed by scipy 1.17)', () => {
    // python: hypergeom.sf(k-1, N, K, n), hypergeom.logsf(k-1, N, K, n)
    const ref: [number, number, number, number, number][] = [
      [30, 20000, 300, 1500, -2.726411337174297],
      [60, 20000, 300, 1500, -26.993850770491314],
      [5, 15633, 40, 1500, -1.0856446054977118],
      [100, 12000, 500, 800, -54.14616040091877],
      [150, 12000, 500, 800, -137.91844413950318],
      [2, 1645, 10, 100, -2.122446993789254],
    ];
    for (const [k, N, K, n, lp] of ref) expect(hypergeomUpperTail(k, N, K, n).logP).toBeCloseTo(lp, 9);
  });

  it('pmf sums to one; refuses impossible parameters', () => {
    let s = 0;
    for (let k = 0; k <= 10; k++) s += Math.exp(hypergeomLogPmf(k, 50, 10, 20));
    expect(s).toBeCloseTo(1, 13);
    expect(() => hypergeomUpperTail(1, 10, 11, 3)).toThrow(/K ≤ N/);
    expect(() => hypergeomUpperTail(1.5, 10, 3, 3)).toThrow(/integer/);
  });
});

describe('GMT parser', () => {
  it('parses sets, skips blank lines and trailing tabs, dedupes and upper-cases genes', () => {
    const lib = parseGmt('SET_A\tdesc a\tgene1\tGENE2\tgene1\t\n\nSET_B\thttp://x\tG3\r\n', 'lib.gmt');
    expect(lib.name).toBe('lib.gmt');
    expect(lib.sets).toEqual([
      { name: 'SET_A', description: 'desc a', genes: ['GENE1', 'GENE2'] },
      { name: 'SET_B', description: 'http://x', genes: ['G3'] },
    ]);
  });

  it('names the malformed line without echoing it', () => {
    const bad = 'A\td\tG1\nsecret gene list with spaces only\nC\td\tG2\n';
    try {
      parseGmt(bad, 'go.gmt');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidGeneSets);
      const err = e as InvalidGeneSets;
      expect(err.name).toBe('InvalidGeneSets');
      expect(err.message).toMatch(/go\.gmt line 2/);
      expect(err.message).not.toMatch(/secret/);
      expect(err.input).toBe('go.gmt');
    }
    expect(() => parseGmt('A\td\tG1\nA\td\tG2\n', 'x.gmt')).toThrow(/line 2: gene-set name repeats/);
    expect(() => parseGmt('A\td\tG1\n\td\tG2\n', 'x.gmt')).toThrow(/line 2: empty gene-set name/);
    expect(() => parseGmt('A\td\t \t\n', 'x.gmt')).toThrow(/line 1/);
    expect(() => parseGmt('\n\n', 'x.gmt')).toThrow(/no gene sets/);
  });
});

describe('over-representation', () => {
  const background = Array.from({ length: 40 }, (_, i) => `G${i}`);
  const lib = parseGmt(
    [
      'HIT\tmost of the list\tG0\tG1\tG2\tG3\tG4\tG30\tNOT_IN_BG',
      'MISS\tnone of the list\tG20\tG21\tG22\tG23',
      'HALF\tsome\tG0\tG1\tG25\tG26\tG27\tG28',
      'TINY\toutside background\tX1\tX2',
    ].join('\n'),
    'toy.gmt',
  );
  const list = ['g0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'OTHER', 'G1'];

  it('counts, p by the upper tail, BH within the library, overlap genes', () => {
    const r = overRepresentation(list, background, [lib]);
    expect(r.backgroundSize).toBe(40);
    expect(r.listSize).toBe(8);
    expect(r.listNotInBackground).toBe(1);
    expect(r.libraries).toEqual([{ name: 'toy.gmt', tested: 3, skipped: 1 }]);
    const hit = r.rows.find((x) => x.set === 'HIT')!;
    expect(hit.setSize).toBe(6);
    expect(hit.overlap).toBe(5);
    expect(hit.overlapGenes).toEqual(['G0', 'G1', 'G2', 'G3', 'G4']);
    expect(hit.expected).toBeCloseTo((8 * 6) / 40, 14);
    // exact: P(X ≥ 5) = [C(6,5)C(34,3) + C(6,6)C(34,2)] / C(40,8)
    const exact = (6 * 5984 + 561) / 76904685;
    expect(hit.p).toBeCloseTo(exact, 15);
    const half = r.rows.find((x) => x.set === 'HALF')!;
    const miss = r.rows.find((x) => x.set === 'MISS')!;
    expect(half.overlap).toBe(2);
    expect(miss.overlap).toBe(0);
    expect(miss.p).toBe(1);
    // BH over the 3 tested sets: q = min over j ≥ i of p_(j)·3/j
    const ps = [hit.p, half.p, miss.p];
    expect(hit.q).toBeCloseTo(Math.min(ps[0]! * 3, ps[1]! * 1.5, 1), 14);
    expect(half.q).toBeCloseTo(Math.min(ps[1]! * 1.5, 1), 14);
    expect(miss.q).toBe(1);
    expect(r.rows.map((x) => x.set)).toEqual(['HIT', 'HALF', 'MISS']);
  });

  it('set-size limits and separate libraries have separate FDR', () => {
    const lib2 = parseGmt('ONLY\tx\tG0\tG1\tG2\tG3\tG4\tG30\n', 'two.gmt');
    const r = overRepresentation(list, background, [lib, lib2], { minSetSize: 5 });
    expect(r.libraries).toEqual([
      { name: 'toy.gmt', tested: 2, skipped: 2 },
      { name: 'two.gmt', tested: 1, skipped: 0 },
    ]);
    const only = r.rows.find((x) => x.library === 'two.gmt')!;
    expect(only.q).toBe(only.p);
  });

  it('refuses an empty background', () => {
    expect(() => overRepresentation(list, [], [lib])).toThrow(InvalidGeneList);
  });
});

describe('list overlap and tables', () => {
  it('overlap of two lists within a background, hypergeometric p by hand', async () => {
    const { listOverlap, enrichmentCsv, csvCell } = await import('../shared/enrichment/index.ts');
    const bg = Array.from({ length: 20 }, (_, i) => `G${i}`);
    const o = listOverlap(['G0', 'g1', 'G2', 'X'], ['G1', 'G2', 'G3', 'G4', 'G5'], bg);
    expect(o.genes).toEqual(['G1', 'G2']);
    expect([o.sizeA, o.sizeB, o.background]).toEqual([3, 5, 20]);
    expect(o.expected).toBeCloseTo(0.75, 15);
    // P(X ≥ 2), N = 20, K = 5, n = 3: [C(5,2)C(15,1) + C(5,3)C(15,0)] / C(20,3) = (150 + 10)/1140
    expect(o.p).toBeCloseTo(160 / 1140, 15);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "x"')).toBe('"say ""x"""');
    expect(csvCell(NaN)).toBe('');
    const lib = parseGmt('S1\td, with comma\tG1\tG2\n', 'l.gmt');
    const r = overRepresentation(['G1', 'G2'], bg, [lib]);
    const csv = enrichmentCsv([{ list: 'positive', result: r }]);
    expect(csv.split('\n')[0]).toBe('list,library,set,description,listSize,setSize,backgroundSize,overlap,expected,foldEnrichment,p,q,overlapGenes');
    expect(csv.split('\n')[1]).toBe(`positive,l.gmt,S1,"d, with comma",2,2,20,2,0.2,10,${r.rows[0]!.p},${r.rows[0]!.q},G1;G2`);
  });
});

describe('tail lists', () => {
  it('q rule and top-N rule per tail', async () => {
    const { tailLists } = await import('../shared/enrichment/index.ts');
    const genes = ['a', 'b', 'c', 'd', 'e', 'f'];
    const z = [3, -4, 1, -0.5, NaN, 2];
    const q = [0.01, 0.001, 0.2, 0.04, 0, 0.03];
    expect(tailLists(genes, z, q)).toEqual({ positive: ['a', 'f'], negative: ['b', 'd'], rule: 'genes with q < 0.05 in each tail' });
    expect(tailLists(genes, z, undefined, { top: 1 })).toEqual({ positive: ['a'], negative: ['b'], rule: 'top 1 genes of each tail by |Z|' });
    expect(() => tailLists(genes, z, undefined)).toThrow(/needs q values/);
  });
});
