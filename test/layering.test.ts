import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCES = ['shared', 'functions', 'runner', 'bin', 'lib'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of every source file (static `import … from`, `export … from` and `import('…')`), type-only included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const top of SOURCES) {
    for (const file of tsFiles(join(ROOT, top))) {
      const text = readFileSync(file, 'utf8');
      const deps = new Set<string>();
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)) deps.add(relative(ROOT, resolve(dirname(file), m[1]!)));
      graph.set(relative(ROOT, file), [...deps]);
    }
  }
  return graph;
}

/** Every strongly connected component with more than one file (or a self-import): Tarjan's algorithm. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}

describe('layering', () => {
  const graph = importGraph();
  it('the checker finds a planted cycle', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(importCycles(g)).toEqual([['a', 'b', 'c']]);
  });
  it('no import cycles in shared/, functions/, runner/, bin/, lib/', () => {
    expect(importCycles(graph)).toEqual([]);
  });
  it('the compute package (shared/) imports neither functions/ nor the runner, bin/ or lib/', () => {
    const bad = [...graph].filter(([f]) => f.startsWith('shared/')).flatMap(([f, deps]) => deps.filter((d) => /^(functions|runner|bin|lib)\//.test(d)).map((d) => `${f} -> ${d}`));
    expect(bad).toEqual([]);
  });
  it('no pipeline imports another pipeline\'s modules (shared code lives in shared/pipelines/common/; the registry above them wires reho\'s group step to glm)', () => {
    const bad = [...graph]
      .filter(([f]) => /^shared\/pipelines\/[^/]+\//.test(f))
      .flatMap(([f, deps]) => {
        const own = f.split('/')[2]!;
        return deps.filter((d) => { const m = /^shared\/pipelines\/([^/]+)\//.exec(d); return m && m[1] !== own && m[1] !== 'common' && own !== 'common' ? true : false; }).map((d) => `${f} -> ${d}`);
      });
    expect(bad).toEqual([]);
  });
});
