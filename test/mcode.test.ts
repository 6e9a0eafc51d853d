import { describe, expect, it } from 'vitest';
import { graphFromEdges, highestKCore, InvalidEdgeList, kCore, mcode, mcodeVertexWeights, parseEdgeList } from '../shared/enrichment/index.ts';

// Graph 1 (ids by first appearance: A0 B1 C2 D3 E4 F5 G6 H7 I8 J9):
//   K4 on A,B,C,D; pendant E–A; path D–F–G; separate triangle H,I,J.
const G1: [string, string][] = [
  ['A', 'B'], ['A', 'C'], ['A', 'D'], ['B', 'C'], ['B', 'D'], ['C', 'D'],
  ['A', 'E'], ['D', 'F'], ['F', 'G'], ['H', 'I'], ['I', 'J'], ['H', 'J'],
];

describe('MCODE vertex weighting (hand-computed)', () => {
  const g = graphFromEdges(G1);
  const w = mcodeVertexWeights(g);
  const by = (n: string) => w[g.names.indexOf(n)]!;
  it('closed neighbourhoods, highest k-core, core density × k', () => {
    // A: N = {A,B,C,D,E}, 7 edges → density 7/10; 3-core {A,B,C,D} (E has degree 1), density 6/6 → score 3
    expect(by('A')).toEqual({ neighbourhoodSize: 5, density: 0.7, coreLevel: 3, coreDensity: 1, score: 3 });
    // B: N = {A,B,C,D} = K4 → 3-core, density 1 → 3
    expect(by('B').score).toBe(3);
    expect(by('C').score).toBe(3);
    // D: N = {A,B,C,D,F}: 7 edges, 3-core = K4 → 3
    expect(by('D')).toEqual({ neighbourhoodSize: 5, density: 0.7, coreLevel: 3, coreDensity: 1, score: 3 });
    // F: N = {D,F,G}: edges D–F, F–G; the 2-core is empty so k = 1, core = N, density 2/3 → 2/3
    expect(by('F').coreLevel).toBe(1);
    expect(by('F').score).toBeCloseTo(2 / 3, 15);
    // E, G: one neighbour → core level 1, core density 1, but no neighbourhood list and score 0
    expect(by('E')).toEqual({ neighbourhoodSize: 0, density: 1, coreLevel: 1, coreDensity: 1, score: 0 });
    expect(by('G').score).toBe(0);
    // H, I, J: triangle → 2-core density 1 → 2
    expect(['H', 'I', 'J'].map((n) => by(n).score)).toEqual([2, 2, 2]);
  });
  it('degree cutoff counts the vertex itself: |N(v)| must exceed it', () => {
    // with degreeCutoff 3, F (|N| = 3) and the triangle vertices (|N| = 3) score 0
    const w3 = mcodeVertexWeights(g, 3);
    expect(w3[g.names.indexOf('F')]!.score).toBe(0);
    expect(w3[g.names.indexOf('H')]!.score).toBe(0);
    expect(w3[g.names.indexOf('A')]!.score).toBe(3);
  });
  it('k-cores by iterative pruning', () => {
    const all = new Set(g.names.map((_, i) => i));
    expect([...kCore(g, all, 2)!].map((i) => g.names[i]).sort()).toEqual(['A', 'B', 'C', 'D', 'H', 'I', 'J']);
    expect([...kCore(g, all, 3)!].map((i) => g.names[i]).sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(kCore(g, all, 4)).toBeNull();
    expect(highestKCore(g, all).k).toBe(3);
  });
});

describe('MCODE complexes (hand-computed)', () => {
  const g = graphFromEdges(G1);
  it('defaults: cutoff 0.2, haircut, no fluff', () => {
    // Seed A (score 3): joins neighbours with score ≥ 3 − 0.2·3 = 2.4 → B, C, D (F 2/3 and E 0 stay out).
    // K4 has a 2-core; haircut keeps it; score = density 1 × 4 = 4.
    // Seed H (2): threshold 1.6 → I, J; triangle score 1 × 3 = 3.
    // Seed F (2/3): threshold 0.53; D already seen, G scores 0 → empty core, no complex. E, G: no neighbourhood list.
    const { clusters } = mcode(g);
    expect(clusters).toEqual([
      { rank: 1, score: 4, members: ['A', 'B', 'C', 'D'], edges: 6, density: 1, seed: 'A' },
      { rank: 2, score: 3, members: ['H', 'I', 'J'], edges: 3, density: 1, seed: 'H' },
    ]);
  });
  it('cutoff 1 (threshold 0) without and with haircut', () => {
    // From A every reachable vertex joins: B, C, D, F (via D), G (via F), E → {A..G}.
    // Without haircut: 9 edges among 7 vertices, density 9/21, score 9/21·7 = 3.
    const noCut = mcode(g, { nodeScoreCutoff: 1, haircut: false }).clusters[0]!;
    expect(noCut.members).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    expect(noCut.edges).toBe(9);
    expect(noCut.score).toBeCloseTo(3, 14);
    // Haircut (2-core): E and G (degree 1) go, then F (degree 1) → K4, score 4.
    const cut = mcode(g, { nodeScoreCutoff: 1 }).clusters[0]!;
    expect(cut.members).toEqual(['A', 'B', 'C', 'D']);
    expect(cut.score).toBe(4);
  });
  it('fluff adds unseen neighbours whose neighbourhood density exceeds 0.1', () => {
    // After the K4 core (seen: A, B, C, D), neighbours E (density 1) and F (density 2/3) are unseen → added.
    // {A,B,C,D,E,F}: 8 edges / 15 → score 8/15·6 = 3.2, still above the triangle (3).
    const { clusters } = mcode(g, { fluff: true });
    expect(clusters[0]!.members).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(clusters[0]!.score).toBeCloseTo(3.2, 14);
    expect(clusters[1]!.members).toEqual(['H', 'I', 'J']);
  });
  it('a complex without a 2-core is discarded', () => {
    // path P–Q–R–S: Q and R score 1·(2/3); seeds grow along the path but no 2-core exists
    expect(mcode(graphFromEdges([['P', 'Q'], ['Q', 'R'], ['R', 'S']]), { nodeScoreCutoff: 1 }).clusters).toEqual([]);
  });
});

describe('edge lists', () => {
  it('restricts to a gene list; drops loops, repeats, comments and a header', () => {
    const text = '#node1\tnode2\tscore\nnode1\tnode2\tscore\nA\tB\t0.9\nb\ta\t0.9\nA\tA\t1\nA\tZ\t0.9\nB\tC\t0.2\nC\tA\t0.8\n';
    const { graph, edges, dropped } = parseEdgeList(text, 'ppi.tsv', { restrictTo: ['a', 'b', 'c'], header: true, scoreColumn: 2, minScore: 0.4 });
    expect(graph.names).toEqual(['A', 'B', 'C']);
    expect(edges).toBe(2); // A–B (once), C–A; B–C below the score threshold
    expect(dropped).toBe(3); // loop A–A, A–Z outside the list, B–C below 0.4
    expect(graph.adj).toEqual([[1, 2], [0], [0]]);
  });
  it('names a malformed line', () => {
    expect(() => parseEdgeList('A\tB\nlonely\n', 'ppi.tsv')).toThrow(InvalidEdgeList);
    expect(() => parseEdgeList('A\tB\nlonely\n', 'ppi.tsv')).toThrow(/ppi\.tsv line 2/);
    expect(() => parseEdgeList('A,B,x\n', 'ppi.csv', { scoreColumn: 2 })).toThrow(/line 1: edge score is not a number/);
  });
});

describe('MCODE table', () => {
  it('one row per cluster', async () => {
    const { mcodeCsv } = await import('../shared/enrichment/index.ts');
    const csv = mcodeCsv(mcode(graphFromEdges(G1)).clusters);
    expect(csv).toBe('cluster,score,size,edges,density,seed,members\n1,4,4,6,1,A,A;B;C;D\n2,3,3,3,1,H,H;I;J\n');
  });
});
