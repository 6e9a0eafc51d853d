/**
 * MCODE, Molecular Complex Detection (Bader & Hogue 2003), as the Cytoscape MCODE app
 * (Bader lab, version 2) computes it on an undirected simple graph (loops and repeated
 * edges merged away; includeLoops = false):
 *
 * 1. Vertex weighting. N(v) = v with its neighbours (the closed neighbourhood). A vertex
 *    with fewer than 2 neighbours gets core level 1 and core density 1 if it has one
 *    neighbour, and no neighbourhood list; otherwise k = the highest k for which the
 *    subgraph induced by N(v) has a non-empty k-core (iterative removal of vertices of
 *    degree < k), and the core density = edges/(n(n−1)/2) of that k-core. Score
 *    w(v) = k × core density when |N(v)| > degreeCutoff (default 2; |N(v)| counts v),
 *    else 0.
 * 2. Complex prediction. Seeds are taken in decreasing score (ties in vertex order); an
 *    unseen seed grows depth-first through its neighbourhood list (v first, then
 *    neighbours in vertex order): an unseen neighbour u joins when
 *    w(u) ≥ (1 − nodeScoreCutoff)·w(seed) (default cutoff 0.2), up to maxDepth (100).
 *    Every vertex reached is marked seen for later seeds. The seed is added; a complex
 *    whose induced graph has no k-core at `kCore` (default 2) is discarded.
 * 3. Post-processing. Haircut (default on): keep the 2-core of the complex. Fluff
 *    (default off): add neighbours of members, not yet seen, whose neighbourhood density
 *    exceeds fluffDensityCutoff (default 0.1).
 * 4. Complex score = density × number of vertices (density = edges/(n(n−1)/2)).
 *
 * Vertices are numbered in order of first appearance (gene list order first when one is
 * given), which fixes every tie as Cytoscape's node order would.
 */
import { InvalidEdgeList } from './errors.ts';
import { normaliseGene } from './gmt.ts';

export interface Graph {
  /** vertex names, index = vertex id */
  names: string[];
  /** sorted neighbour ids of each vertex (no loops, no repeats) */
  adj: number[][];
}

export interface EdgeListOptions {
  /** keep only edges whose two genes are both in this list (e.g. the top PLS genes) */
  restrictTo?: Iterable<string>;
  /** compare names case-sensitively (default false: upper-case, as GMT) */
  caseSensitive?: boolean;
  /** the first non-comment line is a header (default false; lines starting with # are always skipped) */
  header?: boolean;
  /** 0-based column of an edge weight and the minimum kept (e.g. STRING combined_score ≥ 0.4) */
  scoreColumn?: number;
  minScore?: number;
}

/**
 * Parse an edge list: one interaction per line, the two gene names in the first two
 * fields (tab-, comma- or whitespace-separated). Blank and `#` lines are skipped; self
 * loops and repeated edges are dropped. A line with fewer than two names, or a
 * non-numeric score when `scoreColumn` is given, throws InvalidEdgeList naming the line.
 */
export function parseEdgeList(text: string, source: string, opts: EdgeListOptions = {}): { graph: Graph; edges: number; dropped: number } {
  const cs = opts.caseSensitive ?? false;
  const keep = opts.restrictTo ? new Set(Array.from(opts.restrictTo, (g) => normaliseGene(g, cs))) : null;
  const ids = new Map<string, number>();
  const names: string[] = [];
  const id = (n: string): number => {
    let i = ids.get(n);
    if (i === undefined) {
      i = names.length;
      ids.set(n, i);
      names.push(n);
    }
    return i;
  };
  if (opts.restrictTo) for (const g of opts.restrictTo) id(normaliseGene(g, cs));
  const edgeSet = new Set<string>();
  const pairs: [number, number][] = [];
  let dropped = 0;
  let headerPending = opts.header ?? false;
  const lines = text.split(/\r?\n/);
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (headerPending) {
      headerPending = false;
      continue;
    }
    const f = (line.includes('\t') ? line.split('\t') : line.includes(',') ? line.split(',') : line.split(/\s+/)).map((s) => s.trim());
    if (f.length < 2 || f[0] === '' || f[1] === '') {
      throw new InvalidEdgeList(`${source} line ${li + 1}: expected two gene names`, source);
    }
    if (opts.scoreColumn !== undefined) {
      const s = Number(f[opts.scoreColumn]);
      if (!Number.isFinite(s)) throw new InvalidEdgeList(`${source} line ${li + 1}: edge score is not a number`, source);
      if (opts.minScore !== undefined && s < opts.minScore) {
        dropped++;
        continue;
      }
    }
    const a = normaliseGene(f[0]!, cs);
    const b = normaliseGene(f[1]!, cs);
    if (a === b || (keep && (!keep.has(a) || !keep.has(b)))) {
      dropped++;
      continue;
    }
    const ia = id(a);
    const ib = id(b);
    const key = ia < ib ? `${ia},${ib}` : `${ib},${ia}`;
    if (edgeSet.has(key)) continue;
    edgeSet.add(key);
    pairs.push([ia, ib]);
  }
  const adj: number[][] = names.map(() => []);
  for (const [a, b] of pairs) {
    adj[a]!.push(b);
    adj[b]!.push(a);
  }
  for (const l of adj) l.sort((x, y) => x - y);
  return { graph: { names, adj }, edges: pairs.length, dropped };
}

/** Build a graph from name pairs (same rules as `parseEdgeList`, no restriction). */
export function graphFromEdges(edges: [string, string][]): Graph {
  return parseEdgeList(edges.map(([a, b]) => `${a}\t${b}`).join('\n'), 'edges', { caseSensitive: true }).graph;
}

/** Edges of the subgraph induced by `members` (a set of vertex ids). */
function inducedEdges(g: Graph, members: Set<number>): number {
  let e = 0;
  for (const v of members) for (const u of g.adj[v]!) if (u > v && members.has(u)) e++;
  return e;
}

/** Density edges/(n(n−1)/2) of the subgraph induced by `members` (0 for n < 2). */
export function inducedDensity(g: Graph, members: Set<number>): number {
  const n = members.size;
  const possible = (n * (n - 1)) / 2;
  return possible > 0 ? inducedEdges(g, members) / possible : 0;
}

/** The k-core of the subgraph induced by `members`: vertices left after repeatedly removing those of degree < k; null when empty. */
export function kCore(g: Graph, members: Set<number>, k: number): Set<number> | null {
  const cur = new Set(members);
  for (;;) {
    const drop: number[] = [];
    for (const v of cur) {
      let d = 0;
      for (const u of g.adj[v]!) if (cur.has(u)) d++;
      if (d < k) drop.push(v);
    }
    if (drop.length === 0) break;
    for (const v of drop) cur.delete(v);
    if (cur.size === 0) return null;
  }
  return cur.size > 0 ? cur : null;
}

/** Highest k with a non-empty k-core inside `members`, and that core (k = 0, null for no vertices). */
export function highestKCore(g: Graph, members: Set<number>): { k: number; core: Set<number> | null } {
  let k = 1;
  let prev: Set<number> | null = null;
  for (;;) {
    const c = kCore(g, members, k);
    if (c === null) break;
    prev = c;
    k++;
  }
  return { k: k - 1, core: prev };
}

export interface McodeVertexInfo {
  /** |N(v)| including v (0 when v has fewer than 2 neighbours) */
  neighbourhoodSize: number;
  /** density of the closed neighbourhood */
  density: number;
  coreLevel: number;
  coreDensity: number;
  score: number;
}

export interface McodeOptions {
  degreeCutoff?: number;
  nodeScoreCutoff?: number;
  kCore?: number;
  maxDepth?: number;
  haircut?: boolean;
  fluff?: boolean;
  fluffDensityCutoff?: number;
}

export interface McodeCluster {
  /** 1 = highest score */
  rank: number;
  score: number;
  /** member names, sorted */
  members: string[];
  edges: number;
  density: number;
  seed: string;
}

/** MCODE vertex weights of every vertex. */
export function mcodeVertexWeights(g: Graph, degreeCutoff = 2): McodeVertexInfo[] {
  return g.names.map((_, v) => {
    const nb = g.adj[v]!;
    if (nb.length < 2) {
      const one = nb.length === 1;
      return { neighbourhoodSize: 0, density: one ? 1 : 0, coreLevel: one ? 1 : 0, coreDensity: one ? 1 : 0, score: 0 };
    }
    const nv = new Set<number>([v, ...nb]);
    const density = inducedDensity(g, nv);
    const { k, core } = highestKCore(g, nv);
    const coreDensity = core ? inducedDensity(g, core) : 0;
    const size = nv.size;
    return { neighbourhoodSize: size, density, coreLevel: k, coreDensity, score: size > degreeCutoff ? coreDensity * k : 0 };
  });
}

/** Run MCODE; clusters sorted by score (descending), ties in discovery order. */
export function mcode(g: Graph, opts: McodeOptions = {}): { clusters: McodeCluster[]; vertices: McodeVertexInfo[] } {
  const degreeCutoff = opts.degreeCutoff ?? 2;
  const cutoff = opts.nodeScoreCutoff ?? 0.2;
  const kc = opts.kCore ?? 2;
  const maxDepth = opts.maxDepth ?? 100;
  const haircut = opts.haircut ?? true;
  const fluff = opts.fluff ?? false;
  const fluffCut = opts.fluffDensityCutoff ?? 0.1;
  const info = mcodeVertexWeights(g, degreeCutoff);
  // neighbourhood lists: v first, then its neighbours in vertex order (empty below 2 neighbours)
  const nbh = g.adj.map((nb, v) => (nb.length < 2 ? [] : [v, ...nb]));
  const order = g.names.map((_, v) => v).sort((a, b) => info[b]!.score - info[a]!.score || a - b);
  const seen = new Set<number>();
  const found: { members: Set<number>; seed: number }[] = [];
  for (const seed of order) {
    if (seen.has(seed)) continue;
    const core: number[] = [];
    const inCore = new Set<number>();
    const seedScore = info[seed]!.score;
    const threshold = seedScore - seedScore * cutoff;
    const grow = (v: number, depth: number): void => {
      if (seen.has(v)) return;
      seen.add(v);
      if (depth > maxDepth) return;
      for (const u of nbh[v]!) {
        if (!seen.has(u) && info[u]!.score >= threshold) {
          if (!inCore.has(u)) {
            inCore.add(u);
            core.push(u);
          }
          grow(u, depth + 1);
        }
      }
    };
    grow(seed, 1);
    if (core.length === 0) continue;
    inCore.add(seed);
    let members: Set<number> = inCore;
    if (kCore(g, members, kc) === null) continue;
    if (haircut) members = kCore(g, members, 2) ?? members;
    if (fluff) {
      const add: number[] = [];
      const internal = new Set<number>();
      for (const v of members) {
        for (const u of nbh[v]!) {
          if (!seen.has(u) && !internal.has(u) && info[u]!.density > fluffCut) {
            add.push(u);
            internal.add(u);
          }
        }
      }
      members = new Set([...members, ...add]);
    }
    found.push({ members, seed });
  }
  const clusters = found
    .map((c, i) => {
      const density = inducedDensity(g, c.members);
      return {
        i,
        rank: 0,
        score: density * c.members.size,
        members: [...c.members].map((v) => g.names[v]!).sort(),
        edges: inducedEdges(g, c.members),
        density,
        seed: g.names[c.seed]!,
      };
    })
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ i: _i, ...c }, r) => ({ ...c, rank: r + 1 }));
  return { clusters, vertices: info };
}
