/**
 * Probe filtering and selection, abagen defaults (Arnatkevičiūtė et al. 2019; Hawrylycz
 * et al. 2015):
 * - intensity-based filter: keep a probe when its PA call is 1 in ≥ threshold (0.5) of
 *   all kept samples pooled over donors (abagen `filter_probes`);
 * - differential stability: per donor, average each probe over samples of the same AHBA
 *   structure id; for every donor pair, the Spearman correlation of the probe across the
 *   structures both donors have; DS = the mean over pairs (NaN when any pair is
 *   undefined); per gene the probe of highest DS is kept (first in probe order on ties;
 *   a gene whose probes all have NaN DS is dropped) (abagen `_diff_stability`).
 */

/** Average ranks (1-based; ties share their mean rank), as pandas `rank()`. */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]!] === x[idx[i]!]) j++;
    const v = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[idx[t]!] = v;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation (NaN when either vector is constant or n < 2). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

export interface DonorProbeData {
  /** probes × samples of the probes under consideration (rows aligned across donors), kept samples only */
  values: Float64Array;
  nSamples: number;
  /** AHBA structure id of each kept sample */
  structureIds: number[];
}

/** Structure-averaged expression: sorted structure ids and a structures × probes matrix. */
function byStructure(d: DonorProbeData, nProbes: number): { ids: number[]; m: Float64Array } {
  const ids = [...new Set(d.structureIds)].sort((a, b) => a - b);
  const pos = new Map(ids.map((s, i) => [s, i]));
  const m = new Float64Array(ids.length * nProbes);
  const cnt = new Float64Array(ids.length);
  for (let s = 0; s < d.nSamples; s++) {
    const r = pos.get(d.structureIds[s]!)!;
    cnt[r]++;
    for (let p = 0; p < nProbes; p++) m[r * nProbes + p] += d.values[p * d.nSamples + s]!;
  }
  for (let r = 0; r < ids.length; r++) for (let p = 0; p < nProbes; p++) m[r * nProbes + p] /= cnt[r]!;
  return { ids, m };
}

/** Differential stability of each probe (rows of every donor's `values`), mean over donor pairs. */
export function differentialStability(donors: DonorProbeData[], nProbes: number): Float64Array {
  const reg = donors.map((d) => byStructure(d, nProbes));
  const ds = new Float64Array(nProbes);
  let pairs = 0;
  for (let a = 0; a < reg.length; a++)
    for (let b = a + 1; b < reg.length; b++) {
      pairs++;
      const A = reg[a]!;
      const B = reg[b]!;
      const posB = new Map(B.ids.map((s, i) => [s, i]));
      const common: [number, number][] = [];
      A.ids.forEach((s, i) => {
        const j = posB.get(s);
        if (j !== undefined) common.push([i, j]);
      });
      const va = new Float64Array(common.length);
      const vb = new Float64Array(common.length);
      for (let p = 0; p < nProbes; p++) {
        common.forEach(([i, j], t) => {
          va[t] = A.m[i * nProbes + p]!;
          vb[t] = B.m[j * nProbes + p]!;
        });
        ds[p] = ds[p]! + pearson(averageRanks(va), averageRanks(vb));
      }
    }
  for (let p = 0; p < nProbes; p++) ds[p] = ds[p]! / pairs;
  return ds;
}

/**
 * One probe per gene: indices (into `symbols`) of the probe of highest `score` per gene,
 * genes sorted by symbol; ties go to the earlier probe; NaN scores never win.
 */
export function selectProbes(symbols: string[], score: ArrayLike<number>): { genes: string[]; probe: number[] } {
  const best = new Map<string, number>();
  symbols.forEach((g, p) => {
    const s = score[p]!;
    if (Number.isNaN(s)) return;
    const cur = best.get(g);
    if (cur === undefined || s > score[cur]!) best.set(g, p);
  });
  const genes = [...best.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { genes, probe: genes.map((g) => best.get(g)!) };
}
