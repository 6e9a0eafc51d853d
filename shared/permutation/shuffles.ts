/**
 * The set of relabellings a permutation test draws from, and permutation number k
 * of it as a pure function of (seed, k).
 *
 * - `permute`: subjects' rows are exchanged (within exchangeability blocks when
 *   given). Two relabellings that arrange the design's rows alike give the same
 *   statistic, so the distinct ones are the multiset arrangements of the rows:
 *   Π_blocks (n_b! / Π_rows m_r!) — C(n, n₁) for two groups without covariates,
 *   n! once a continuous covariate makes every row unique.
 * - `flip`: sign flipping of each subject's residuals (one-sample designs,
 *   symmetric errors): 2ⁿ.
 *
 * Permutation 0 is always the identity. When the number of distinct relabellings S
 * is at most the number requested, all S are enumerated (permutation k is the k-th,
 * identity first) and the test is exact. Otherwise, when S ≤ 2⁵², k ≥ 1 maps through
 * a seeded bijection of [0, S−1) onto the distinct non-identity relabellings, so no
 * relabelling is drawn twice whatever the batch size; beyond 2⁵² each k draws a
 * uniform relabelling from the stream (seed, k) (repeats then have probability
 * below N²/2⁵⁴, negligible).
 */
import { InvalidParameter } from '../errors.ts';
import { mix32, stream } from '../random.ts';

export type ShuffleKind = 'permute' | 'flip';

export interface ShuffleSet {
  kind: ShuffleKind;
  n: number;
  /** subjects of each block (all subjects in one block when no blocks are given) */
  blocks: number[][];
  /** category of each subject's interest value (permute) */
  category: Int32Array;
  /** number of distinct relabellings */
  unique: bigint;
}

export interface ShufflePlan {
  set: ShuffleSet;
  /** permutations used, identity included */
  count: number;
  exhaustive: boolean;
  seed: number;
}

/** Rankings are done in double precision up to 2^52 (the Feistel domain stays exact). */
const RANKABLE = 1n << 52n;

function factorial(n: number): bigint {
  let f = 1n;
  for (let i = 2; i <= n; i++) f *= BigInt(i);
  return f;
}

/**
 * Category of each row of a design (n × cols, row-major): rows equal up to a
 * relative 1e-9 per column share a category.
 */
function categories(rows: Float64Array, cols: number): Int32Array {
  const n = rows.length / cols;
  const scale = new Float64Array(cols);
  for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) scale[j] = Math.max(scale[j]!, Math.abs(rows[i * cols + j]!));
  const keyOf = (i: number) => {
    const parts: string[] = [];
    for (let j = 0; j < cols; j++) parts.push(scale[j]! > 0 ? Math.round((rows[i * cols + j]! / scale[j]!) * 1e9).toString() : '0');
    return parts.join(',');
  };
  const ids = new Map<string, number>();
  const cat = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    if (!ids.has(k)) ids.set(k, ids.size);
    cat[i] = ids.get(k)!;
  }
  return cat;
}

function multisetCount(cats: number[]): bigint {
  const m = new Map<number, number>();
  for (const c of cats) m.set(c, (m.get(c) ?? 0) + 1);
  let d = 1n;
  for (const k of m.values()) d *= factorial(k);
  return factorial(cats.length) / d;
}

/**
 * The relabellings of a design. `design` holds n rows of `cols` values: the rows
 * whose arrangement decides the statistic — the full design M for label exchange
 * (t(P·E; M) = t(E; Pᵀ·M), so relabellings that arrange M's rows alike are one).
 * Blocks from labels (undefined = one block).
 */
export function shuffleSet(kind: ShuffleKind, design: Float64Array, blockLabels?: readonly string[], cols = 1): ShuffleSet {
  const n = design.length / cols;
  if (!Number.isInteger(n)) throw new InvalidParameter(`design has ${design.length} values, not a multiple of ${cols} columns`);
  let blocks: number[][];
  if (blockLabels) {
    if (blockLabels.length !== n) throw new InvalidParameter(`${blockLabels.length} block labels for ${n} subjects`, 'exchangeabilityBlocks');
    const by = new Map<string, number[]>();
    blockLabels.forEach((b, i) => by.set(b, [...(by.get(b) ?? []), i]));
    blocks = [...by.keys()].sort().map((k) => by.get(k)!);
  } else blocks = [Array.from({ length: n }, (_, i) => i)];
  const category = categories(design, cols);
  let unique: bigint;
  if (kind === 'flip') unique = 1n << BigInt(n);
  else unique = blocks.reduce((acc, b) => acc * multisetCount(b.map((i) => category[i]!)), 1n);
  return { kind, n, blocks, category, unique };
}

export function planShuffles(set: ShuffleSet, requested: number, seed: number): ShufflePlan {
  if (!Number.isInteger(requested) || requested < 1) throw new InvalidParameter(`number of permutations must be a positive integer, got ${requested}`, 'permutation.n');
  const exhaustive = set.unique <= BigInt(requested);
  return { set, count: exhaustive ? Number(set.unique) : requested, exhaustive, seed };
}

// ---- ranking of multiset arrangements (lexicographic by category) ----

function counts(cats: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const c of cats) m.set(c, (m.get(c) ?? 0) + 1);
  return m;
}

function arrangementsOf(m: Map<number, number>, len: number): number {
  // multinomial len! / Π m! as a Number (callers only use it when ≤ 2^53)
  let r = 1;
  let k = 0;
  for (const c of [...m.values()]) {
    for (let i = 1; i <= c; i++) {
      k++;
      r = (r * k) / i;
    }
  }
  void len;
  return Math.round(r);
}

function rankArrangement(seq: number[]): number {
  const m = counts(seq);
  const keys = [...m.keys()].sort((a, b) => a - b);
  let rank = 0;
  for (let pos = 0; pos < seq.length; pos++) {
    for (const c of keys) {
      if ((m.get(c) ?? 0) === 0) continue;
      if (c === seq[pos]) break;
      m.set(c, m.get(c)! - 1);
      rank += arrangementsOf(m, seq.length - pos - 1);
      m.set(c, m.get(c)! + 1);
    }
    m.set(seq[pos]!, m.get(seq[pos]!)! - 1);
  }
  return rank;
}

function unrankArrangement(template: number[], rank: number): number[] {
  const m = counts(template);
  const keys = [...m.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  for (let pos = 0; pos < template.length; pos++) {
    for (const c of keys) {
      if ((m.get(c) ?? 0) === 0) continue;
      m.set(c, m.get(c)! - 1);
      const cnt = arrangementsOf(m, template.length - pos - 1);
      if (rank < cnt) {
        out.push(c);
        break;
      }
      rank -= cnt;
      m.set(c, m.get(c)! + 1);
    }
  }
  return out;
}

// ---- keyed bijection of [0, S) (Feistel network with cycle walking) ----


export function keyedBijection(seed: number, size: number): (x: number) => number {
  if (size <= 1) return () => 0;
  let bits = Math.max(2, Math.ceil(Math.log2(size)));
  if (bits % 2) bits++;
  const half = bits / 2;
  const mod = 2 ** half;
  const round = (r: number, x: number) => mix32(mix32((seed >>> 0) ^ Math.imul(r + 1, 0x9e3779b9)) ^ x) % mod;
  const once = (x: number) => {
    let L = Math.floor(x / mod);
    let R = x % mod;
    for (let r = 0; r < 4; r++) {
      const t = R;
      R = (L + round(r, R)) % mod;
      L = t;
    }
    return L * mod + R;
  };
  return (x: number) => {
    let y = once(x);
    while (y >= size) y = once(y);
    return y;
  };
}

/**
 * Permutation k into perm (length n) and sign (flip only; else left all +1):
 * the permuted data are (P E)_i = sign_i · E[perm_i].
 */
export function shuffle(plan: ShufflePlan, k: number, perm: Int32Array, sign: Float64Array): void {
  const { set } = plan;
  const n = set.n;
  for (let i = 0; i < n; i++) perm[i] = i;
  sign.fill(1);
  if (k === 0) return;
  const S = set.unique;
  if (set.kind === 'flip') {
    if (S <= RANKABLE) {
      const r = plan.exhaustive ? k : 1 + keyedBijection(plan.seed, Number(S) - 1)(k - 1);
      let x = r;
      for (let i = 0; i < n; i++) {
        if (x % 2 === 1) sign[i] = -1;
        x = Math.floor(x / 2);
      }
    } else {
      const rng = stream(plan.seed, k);
      for (let i = 0; i < n; i++) if (rng.next() < 0.5) sign[i] = -1;
    }
    return;
  }
  if (S <= RANKABLE) {
    // rank in the mixed-radix product of the blocks' arrangement spaces
    const sizes = set.blocks.map((b) => Number(multisetCount(b.map((i) => set.category[i]!))));
    const identity = set.blocks.map((b) => rankArrangement(b.map((i) => set.category[i]!)));
    let idRank = 0;
    for (let bi = set.blocks.length - 1; bi >= 0; bi--) idRank = idRank * sizes[bi]! + identity[bi]!;
    const total = Number(S);
    const j = plan.exhaustive ? k - 1 : keyedBijection(plan.seed, total - 1)(k - 1);
    let r = j < idRank ? j : j + 1; // skip the identity
    set.blocks.forEach((b, bi) => {
      const rb = r % sizes[bi]!;
      r = Math.floor(r / sizes[bi]!);
      const arrangement = unrankArrangement(b.map((i) => set.category[i]!), rb);
      // data row b[q] receives design row with category arrangement[q]: match
      // design rows of each category to data rows in increasing order.
      const rowsOf = new Map<number, number[]>();
      arrangement.forEach((c, q) => rowsOf.set(c, [...(rowsOf.get(c) ?? []), b[q]!]));
      for (const i of b) perm[i] = rowsOf.get(set.category[i]!)!.shift()!;
    });
    return;
  }
  const rng = stream(plan.seed, k);
  for (const b of set.blocks) {
    const idx = b.slice();
    for (let q = idx.length - 1; q > 0; q--) {
      const w = rng.int(q + 1);
      const t = idx[q]!;
      idx[q] = idx[w]!;
      idx[w] = t;
    }
    b.forEach((i, q) => (perm[i] = idx[q]!));
  }
}
