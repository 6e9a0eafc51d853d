/**
 * What `neuroburst run` says about a finished job, read from its result.json: the parts
 * every pipeline shares, found generically (clusters per contrast, excluded subjects,
 * warnings, outputs, cost), plus one line per pipeline for its main finding. A pipeline
 * without a one-liner here still gets the generic parts.
 */

type Json = Record<string, unknown>;

export interface ContrastSummary {
  /** contrast name, prefixed by where it sits (e.g. `group/DRE-HC`) when nested */
  name: string;
  clusters: number;
  /** permutation clusters (when permutation inference ran) */
  permutationClusters?: number;
  maxT?: number;
  minT?: number;
}

export interface RunSummary {
  pipeline: string;
  jobId: string;
  contrasts: ContrastSummary[];
  excluded: { id: string; reasons: string[] }[];
  warnings: string[];
  outputs: number;
  cost?: { estimatedUsd?: number; actualUsd?: number };
  /** the pipeline's main finding in one line each */
  findings: string[];
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const fmt = (x: number | undefined, d = 2) => (x === undefined ? '?' : Number(x.toFixed(d)).toString());

/** Records of `contrasts` (any depth but arrays) with a `clusters` array each. */
function contrastsOf(r: Json, prefix = '', depth = 0): ContrastSummary[] {
  const out: ContrastSummary[] = [];
  if (depth > 3) return out;
  for (const [key, value] of Object.entries(r)) {
    if (!isObj(value)) continue;
    if (key === 'contrasts') {
      for (const [name, c] of Object.entries(value)) {
        if (!isObj(c) || !Array.isArray(c.clusters)) continue;
        const perm = isObj(c.permutation) && Array.isArray(c.permutation.clusters) ? c.permutation.clusters.length : undefined;
        out.push({ name: prefix + name, clusters: c.clusters.length, ...(perm !== undefined ? { permutationClusters: perm } : {}), ...(num(c.maxT) !== undefined ? { maxT: num(c.maxT) } : {}), ...(num(c.minT) !== undefined ? { minT: num(c.minT) } : {}) });
      }
    } else out.push(...contrastsOf(value, `${prefix}${key}/`, depth + 1));
  }
  return out;
}

/** Every `warnings` string list, at any depth but arrays. */
function warningsOf(r: Json, depth = 0): string[] {
  if (depth > 3) return [];
  const own = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [];
  return [...own, ...Object.values(r).flatMap((v) => (isObj(v) ? warningsOf(v, depth + 1) : []))];
}

function excludedOf(r: Json): { id: string; reasons: string[] }[] {
  if (!Array.isArray(r.excluded)) return [];
  return r.excluded.flatMap((e) => (isObj(e) && typeof e.id === 'string' ? [{ id: e.id, reasons: Array.isArray(e.reasons) ? e.reasons.map(String) : [] }] : []));
}

/** One-line findings per pipeline. */
const FINDINGS: Record<string, (r: Json) => string[]> = {
  glm: (r) => {
    const mask = isObj(r.mask) ? num(r.mask.voxels) : undefined;
    const lines = mask !== undefined ? [`analysis mask: ${mask} voxels`] : [];
    if (isObj(r.contrasts)) {
      for (const [name, c] of Object.entries(r.contrasts)) {
        if (!isObj(c) || !Array.isArray(c.clusters)) continue;
        const k = num(c.clusterSizeThreshold);
        let line = `${name}: ${c.clusters.length} GRF cluster(s)${k !== undefined ? ` (k ≥ ${k} voxels)` : ''}, t from ${fmt(num(c.minT))} to ${fmt(num(c.maxT))}`;
        if (isObj(c.permutation)) {
          const p = c.permutation;
          const minP = isObj(p.minFweP) ? Object.entries(p.minFweP).map(([s, v]) => `${s} ${fmt(num(v), 4)}`).join(', ') : '';
          line += `; permutation (${fmt(num(p.permutations), 0)}): ${Array.isArray(p.clusters) ? p.clusters.length : 0} cluster(s)${minP ? `, min FWE p ${minP}` : ''}`;
        }
        lines.push(line);
      }
    }
    return lines;
  },
  reho: (r) => {
    const subjects = Array.isArray(r.subjects) ? r.subjects.length : 0;
    const excluded = excludedOf(r).length;
    const lines = [`${subjects} subject(s): ${subjects - excluded} with ReHo maps, ${excluded} excluded by motion QC`];
    if (isObj(r.group)) lines.push(...FINDINGS.glm!(r.group).map((l) => `group ${l}`));
    return lines;
  },
  ale: (r) => {
    const clusters = Array.isArray(r.clusters) ? r.clusters.filter(isObj) : [];
    const alphas = isObj(r.cfwe) ? Object.keys(r.cfwe).map(Number).filter(Number.isFinite).sort((a, b) => b - a) : [];
    const surv = alphas.map((a) => `${clusters.filter((c) => (num(c.pFweSize) ?? 1) < a).length} survive cFWE p < ${a}`).join(', ');
    const peak = Array.isArray(r.maxAleMni) ? ` at MNI (${r.maxAleMni.join(', ')})` : '';
    return [`${fmt(num(r.nExperiments), 0)} experiment(s), ${fmt(num(r.nFoci), 0)} foci; max ALE ${fmt(num(r.maxAle), 5)}${peak}`, `${clusters.length} cluster(s) above the cluster-forming threshold${surv ? `; ${surv}` : ''}`];
  },
  netmap: (r) => {
    const studies = Array.isArray(r.studies) ? r.studies.filter(isObj) : [];
    const lines = [`${studies.length} seed set(s) on ${isObj(r.connectome) ? `${fmt(num(r.connectome.subjects), 0)} connectome subjects` : 'the connectome'}`];
    if (isObj(r.overlap)) lines.push(`overlap: ${fmt(num(r.overlap.voxelsAllPositive), 0)} voxel(s) positive in all studies, ${fmt(num(r.overlap.voxelsAllNegative), 0)} negative in all`);
    if (isObj(r.specificity) && isObj(r.specificity.minFweP)) {
      lines.push(`specificity vs controls: min FWE p ${Object.entries(r.specificity.minFweP).map(([s, v]) => `${s} ${fmt(num(v), 4)}`).join(', ')}`);
    }
    return lines;
  },
};

/** The summary of a result.json (any pipeline). */
export function summariseResult(result: unknown): RunSummary {
  const r = isObj(result) ? result : {};
  const pipeline = typeof r.pipeline === 'string' ? r.pipeline : 'unknown';
  const cost = isObj(r.cost) ? { estimatedUsd: num(r.cost.estimatedUsd), actualUsd: num(r.cost.actualUsd) } : undefined;
  let findings: string[] = [];
  try {
    findings = Object.hasOwn(FINDINGS, pipeline) ? FINDINGS[pipeline]!(r) : [];
  } catch {
    findings = []; // a result of another version: the generic parts still hold
  }
  return {
    pipeline,
    jobId: typeof r.jobId === 'string' ? r.jobId : '',
    contrasts: contrastsOf(r),
    excluded: excludedOf(r),
    warnings: [...new Set(warningsOf(r))],
    outputs: Array.isArray(r.outputs) ? r.outputs.length : 0,
    ...(cost ? { cost } : {}),
    findings,
  };
}

/** The summary as text lines. */
export function formatSummary(s: RunSummary): string[] {
  const lines = s.findings.map((f) => `  ${f}`);
  if (s.pipeline !== 'glm' && s.pipeline !== 'reho') {
    for (const c of s.contrasts) lines.push(`  ${c.name}: ${c.clusters} cluster(s)${c.permutationClusters !== undefined ? `, ${c.permutationClusters} permutation cluster(s)` : ''}`);
  }
  if (s.excluded.length) lines.push(`  excluded: ${s.excluded.map((e) => `${e.id}${e.reasons.length ? ` (${e.reasons.join('; ')})` : ''}`).join(', ')}`);
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  const cost = s.cost?.actualUsd !== undefined ? `; cost $${s.cost.actualUsd.toFixed(4)}${s.cost.estimatedUsd !== undefined ? ` (estimated $${s.cost.estimatedUsd.toFixed(4)})` : ''}` : '';
  lines.push(`  ${s.outputs} output file(s)${cost}`);
  return lines;
}
