/**
 * Assemble the PLS inputs from an expression matrix and a response map:
 * 1. selected regions: `regions` as a label prefix ("L_") or an explicit list; default every
 *    region of the expression matrix;
 * 2. a selected response region absent from the expression matrix is an error that names it;
 *    a selected region listed explicitly but absent from both is an error too;
 * 3. a region is dropped (and reported) when its response is missing/NaN or its expression row
 *    is entirely NaN (no AHBA sample matched it); the same regions leave X and y;
 * 4. genes with any NaN in the kept regions are dropped and counted;
 * 5. fewer than 3 regions left is an error.
 */
import { NeuroburstError } from '../errors.ts';
import type { ExpressionMatrix } from './tables.ts';

/** Region names of one input match nothing in another (the message lists them). */
export class UnknownRegions extends NeuroburstError {
  constructor(message: string, input = '') {
    super('UnknownRegions', message, input);
  }
}

export type RegionSelection = string | readonly string[] | undefined;

export function selects(sel: RegionSelection, label: string): boolean {
  if (sel === undefined) return true;
  if (typeof sel === 'string') return label.startsWith(sel);
  return sel.includes(label);
}

function listSome(xs: readonly string[]): string {
  return xs.slice(0, 10).join(', ') + (xs.length > 10 ? `, … (${xs.length} in all)` : '');
}

export interface PlsInputs {
  regions: string[];
  genes: string[];
  /** n × p, region-major. */
  X: Float64Array;
  y: Float64Array;
  dropped: { region: string; reason: 'response missing' | 'response not finite' | 'no expression' }[];
  genesDropped: number;
}

export function assemblePlsInputs(
  expr: ExpressionMatrix,
  response: ReadonlyMap<string, number>,
  sel: RegionSelection,
  inputs: { response: string; expression: string },
): PlsInputs {
  const exprIndex = new Map(expr.regions.map((r, i) => [r, i]));
  if (Array.isArray(sel)) {
    const absent = (sel as readonly string[]).filter((r) => !exprIndex.has(r));
    if (absent.length) throw new UnknownRegions(`params.regions names region(s) the expression matrix does not hold: ${listSome(absent)}`, 'params.regions');
  }
  const unmatched = [...response.keys()].filter((r) => selects(sel, r) && !exprIndex.has(r));
  if (unmatched.length) {
    throw new UnknownRegions(`${unmatched.length} region(s) of ${inputs.response} match nothing in ${inputs.expression}: ${listSome(unmatched)}`, inputs.response);
  }
  const p = expr.genes.length;
  const candidates = expr.regions.filter((r) => selects(sel, r));
  if (candidates.length === 0) {
    throw new UnknownRegions(`params.regions ${JSON.stringify(sel)} selects no region of ${inputs.expression}`, 'params.regions');
  }
  const dropped: PlsInputs['dropped'] = [];
  const kept: number[] = [];
  const y: number[] = [];
  for (const r of candidates) {
    const i = exprIndex.get(r)!;
    const v = response.get(r);
    if (v === undefined) {
      dropped.push({ region: r, reason: 'response missing' });
      continue;
    }
    if (!Number.isFinite(v)) {
      dropped.push({ region: r, reason: 'response not finite' });
      continue;
    }
    let any = false;
    for (let g = 0; g < p && !any; g++) if (Number.isFinite(expr.values[i * p + g]!)) any = true;
    if (!any) {
      dropped.push({ region: r, reason: 'no expression' });
      continue;
    }
    kept.push(i);
    y.push(v);
  }
  if (kept.length < 3) {
    throw new NeuroburstError('TooFewRegions', `only ${kept.length} region(s) have both a response value and expression (at least 3 are needed)`, inputs.response);
  }
  const keepGene: number[] = [];
  for (let g = 0; g < p; g++) {
    let ok = true;
    for (const i of kept) if (!Number.isFinite(expr.values[i * p + g]!)) {
      ok = false;
      break;
    }
    if (ok) keepGene.push(g);
  }
  if (keepGene.length === 0) throw new NeuroburstError('TooFewGenes', `every gene has a missing value in the ${kept.length} kept regions`, inputs.expression);
  const q = keepGene.length;
  const X = new Float64Array(kept.length * q);
  kept.forEach((i, k) => {
    for (let c = 0; c < q; c++) X[k * q + c] = expr.values[i * p + keepGene[c]!]!;
  });
  return {
    regions: kept.map((i) => expr.regions[i]!),
    genes: keepGene.map((g) => expr.genes[g]!),
    X,
    y: Float64Array.from(y),
    dropped,
    genesDropped: p - q,
  };
}
