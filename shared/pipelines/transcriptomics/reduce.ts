import { csvField } from '../../jobs/csv.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { finishJob, jobCost, outputWriter } from '../common/finish.ts';
import { bhAdjust } from '../../stats/fdr.ts';
import { normalTail } from '../../stats/distributions.ts';
import { geneSpinTable, spinCorrelation } from '../../transcriptomics/correlate.ts';
import { bootstrapZ, TIE_TOL, upperTailP } from '../../transcriptomics/nulls.ts';
import { fitPls1, simpls } from '../../transcriptomics/pls.ts';
import { tailLists } from '../../enrichment/index.ts';
import { keys, loadContext, loadX, nullItems } from './context.ts';
import type { TxContext } from './context.ts';
import { decodePartials } from './nulls.ts';
import { runOmics } from './omics.ts';
import type { TxResult } from './result.ts';
import { txCounts } from './workflow.ts';
import { spinItems } from './spins.ts';


const num = (x: number) => (Number.isFinite(x) ? String(x) : 'NaN');

async function readF64(env: TaskEnv, key: string): Promise<Float64Array> {
  const b = await env.store.get(key);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Pool every null batch in index order; write tables, then report.html and (last) result.json by finishJob. */
export async function reduceTranscriptomics(env: TaskEnv, contextKey: string, startedMs = performance.now()): Promise<{ result: string }> {
  const ctx: TxContext = await loadContext(env.store, contextKey);
  const { workDir, resultsDir, n, p, genes, regions } = ctx;
  const params = ctx.job.params;
  const X = await loadX(env.store, ctx);
  const fit = fitPls1(X, ctx.y, n, p);
  const comps = simpls(fit.X0, fit.y0, n, p, params.components);
  const items = nullItems(ctx);
  const { outputs, put } = outputWriter(env, resultsDir);

  // variance-explained nulls
  const gather = async (kind: 'perm' | 'spin') => {
    const parts = [];
    for (const it of items.filter((i) => i.kind === kind)) parts.push(await readF64(env, keys.nulls(workDir, kind, it.index)));
    const all = new Float64Array(parts.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const q of parts) (all.set(q, o), (o += q.length));
    return all;
  };
  const perm = await gather('perm');
  const spin = await gather('spin');
  const ve = fit.varianceExplained;
  let pPerm: number | null = null;
  if (perm.length) {
    if (ctx.exhaustive) {
      // every relabelling (the identity included) enumerated: the exact p
      let e = 0;
      for (const v of perm) if (v >= ve - Math.abs(ve) * TIE_TOL) e++;
      pPerm = e / perm.length;
    } else pPerm = upperTailP(ve, perm).p;
  }
  const pSpin = spin.length ? upperTailP(ve, spin).p : null;
  const nullRows = ['null,k,variance_explained'];
  perm.forEach((v, k) => nullRows.push(`permutation,${k},${num(v)}`));
  spin.forEach((v, k) => nullRows.push(`spin,${k},${num(v)}`));
  await put('tables/nulls.csv', nullRows.join('\n') + '\n');

  // bootstrap Z, two-sided p, BH q, ranks
  const bootItems = items.filter((i) => i.kind === 'boot');
  const partials = [];
  for (const it of bootItems) partials.push(...decodePartials(await env.store.get(keys.nulls(workDir, 'boot', it.index)), p));
  const boot = partials.length ? bootstrapZ(fit.weights, partials) : undefined;
  const z = boot?.z ?? new Float64Array(p).fill(Number.NaN);
  const pz = new Float64Array(p);
  for (let g = 0; g < p; g++) pz[g] = Number.isFinite(z[g]!) ? Math.min(1, 2 * normalTail(Math.abs(z[g]!))) : 1;
  const q = boot ? bhAdjust(pz) : new Float64Array(p).fill(Number.NaN);
  const order = Array.from({ length: p }, (_, g) => g).sort((a, b) => (boot ? z[b]! - z[a]! : fit.weights[b]! - fit.weights[a]!) || a - b);
  const rank = new Int32Array(p);
  order.forEach((g, r) => (rank[g] = r + 1));
  const geneRows = ['gene,weight,z,p,q,rank'];
  for (const g of order) geneRows.push([csvField(genes[g]!), num(fit.weights[g]!), num(z[g]!), boot ? num(pz[g]!) : 'NaN', num(q[g]!), rank[g]].join(','));
  await put('tables/pls_genes.csv', geneRows.join('\n') + '\n');
  let pos = 0;
  let neg = 0;
  for (let g = 0; g < p; g++) if (q[g]! < params.fdrAlpha) z[g]! > 0 ? pos++ : neg++;

  // hook for the enrichment / DEG-overlap stages: both tails and the background
  if (boot) {
    const lists = { ...tailLists(genes, z, q, { qThreshold: params.fdrAlpha, top: params.enrichment.top }), background: genes };
    await put('tables/pls_gene_lists.json', JSON.stringify(lists) + '\n');
  }

  const compRows = ['component,variance_explained,cumulative'];
  let cum = 0;
  comps.forEach((c, a) => {
    cum += c.varianceExplained;
    compRows.push(`${a + 1},${num(c.varianceExplained)},${num(cum)}`);
  });
  await put('tables/pls_components.csv', compRows.join('\n') + '\n');

  // regions: response, PLS1 score, dropped regions and the parcellation
  const score = new Map(regions.map((r, i) => [r, fit.scores[i]!]));
  const yOf = new Map(regions.map((r, i) => [r, ctx.y[i]!]));
  const regionRows = ['region,value,n_voxels,status,pls1_score'];
  if (ctx.parcellation) {
    for (const r of ctx.parcellation.regions) {
      const used = score.has(r.name);
      const drop = ctx.dropped.find((d) => d.region === r.name);
      const status = used ? 'used' : r.status !== 'ok' ? r.status : drop ? drop.reason : 'not selected';
      regionRows.push([csvField(r.name), num(ctx.parcellation.statistic === 'median' ? r.median : r.mean), r.nVoxels, csvField(status), used ? num(score.get(r.name)!) : ''].join(','));
    }
  } else {
    for (const r of regions) regionRows.push([csvField(r), num(yOf.get(r)!), '', 'used', num(score.get(r)!)].join(','));
    for (const d of ctx.dropped) regionRows.push([csvField(d.region), '', '', csvField(d.reason), ''].join(','));
  }
  await put('tables/regions.csv', regionRows.join('\n') + '\n');

  // per-gene spin test
  let geneSpin: TxResult['geneSpin'];
  const gsItems = items.filter((i) => i.kind === 'genespin');
  if (gsItems.length) {
    const counts = new Int32Array(p);
    let nSpin = 0;
    for (const it of gsItems) {
      const b = await env.store.get(keys.nulls(workDir, 'genespin', it.index));
      const c = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      for (let g = 0; g < p; g++) counts[g]! += c[g]!;
      nSpin += it.count;
    }
    const t = geneSpinTable(counts, nSpin);
    const rows = ['gene,r,pSpin,q'];
    for (let g = 0; g < p; g++) rows.push([csvField(genes[g]!), num(fit.r[g]! / (n - 1)), num(t.pSpin[g]!), num(t.q[g]!)].join(','));
    await put('tables/gene_correlations.csv', rows.join('\n') + '\n');
    geneSpin = { nSpin, nFdr05: Array.from(t.q).filter((x) => x < params.fdrAlpha).length };
  }

  // map–map correlations
  const correlations: TxResult['correlations'] = [];
  for (const [i, c] of ctx.correlations.entries()) {
    let spins: Int32Array = new Int32Array(0);
    let count = 0;
    if (c.coords && params.nulls.spins > 0) {
      const b = await env.store.get(keys.spins(workDir, `corr-${i}`));
      spins = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      count = spins.length / c.regions.length;
    }
    const res = spinCorrelation(c.x, c.y, spins, count);
    correlations.push({ name: c.name, n: res.n, r: res.r, rho: res.rho, pSpin: count ? res.pSpin : null, pSpinRho: count ? res.pSpinRho : null, nSpin: res.nSpin });
  }
  const corrRows = ['name,n,r,rho,p_spin_r,p_spin_rho,n_spin'];
  for (const c of correlations) corrRows.push([csvField(c.name), c.n, num(c.r), num(c.rho), c.pSpin ?? '', c.pSpinRho ?? '', c.nSpin].join(','));
  await put('tables/correlations.csv', corrRows.join('\n') + '\n');

  // enrichment, DEGs and MCODE (each only when its inputs are given)
  const omics = await runOmics(ctx, z, q, !!boot);
  for (const [rel, body] of Object.entries(omics.tables)) await put(rel, body);
  const notIncluded = [!omics.enrichment && 'enrichment', !omics.deg && 'deg', !omics.mcode && 'mcode'].filter((x): x is string => !!x);

  const nulls = params.nulls;
  const spinInfo = JSON.parse(await env.store.getText(keys.spinInfo(workDir))) as Record<string, { redrawn: number; duplicatesKept: number }>;
  const methods =
    `Imaging transcriptomics on ${n} regions and ${p} genes` +
    (ctx.parcellation ? ` (response: regional ${ctx.parcellation.statistic} of inputs.map by the atlas, resampling ${ctx.parcellation.resampling.method === 'nearest' ? 'nearest-neighbour through the affines' : 'none: same grid'})` : '') +
    `${ctx.dropped.length ? `; ${ctx.dropped.length} region(s) dropped (missing response or expression)` : ''}${ctx.genesDropped ? `; ${ctx.genesDropped} gene(s) with missing values dropped` : ''}. ` +
    `Expression (columns) and response were z-scored across regions (ddof 1); PLS1 in closed form (SIMPLS for ${comps.length} components), oriented so that the score correlates positively with the map. ` +
    `PLS1 variance explained was tested against ${ctx.exhaustive ? `all ${perm.length} relabellings (exhaustive; p = #(null ≥ observed)/N)` : `${perm.length} random permutations`} and ${spin.length} spins ` +
    `(uniform random rotations by QR with sign fix, right hemisphere by the mirrored rotation, ${nulls.spinMethod} reassignment, identity and duplicate spins redrawn${spinInfo.pls?.duplicatesKept ? `; ${spinInfo.pls.duplicatesKept} kept after 500 draws` : ''}); p = (1 + #(null ≥ observed))/(N + 1). ` +
    `Gene weights got bootstrap Z scores from ${boot?.nBoot ?? 0} regional resamples with replacement (X and y z-scored once over all regions, re-centred within each resample and PLS1 refitted, as pyls and PLS_bootstrap; weights sign-aligned to the original), two-sided p = 2Φ(−|Z|), Benjamini–Hochberg FDR. ` +
    (geneSpin ? `Each gene's Pearson r with the map was tested against the same ${geneSpin.nSpin} spins (two-sided, BH FDR across genes). ` : '') +
    (correlations.length ? `Map–map correlations: Pearson r and Spearman ρ with a two-sided spin p (the response spun; neuromaps convention). ` : '') +
    (omics.enrichment ? `Over-representation (hypergeometric upper tail, background = the ${p} genes tested, BH FDR per library) of the PLS gene lists (${omics.enrichment.rule}) in ${omics.enrichment.libraries.join(', ')}. ` : '') +
    (omics.deg ? `RNA-seq: ${omics.deg.method} DEGs: |log2FC| ≥ ${params.deg.lfcThreshold} and p < ${params.deg.pThreshold} (${omics.deg.test} vs ${omics.deg.reference}). ` : '') +
    (omics.mcode ? `MCODE (Bader & Hogue 2003; node score cutoff ${params.mcode.nodeScoreCutoff}, k-core ${params.mcode.kCore}, haircut ${params.mcode.haircut}) on the interactions among the ${omics.mcode.list} genes. ` : '') +
    `Resample k of each null draws from stream(seed, k) of that null's seed.`;
  const result: TxResult = {
    pipeline: 'transcriptomics',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    nRegions: n,
    nGenes: p,
    regions: { used: regions, dropped: ctx.dropped, genesDropped: ctx.genesDropped },
    ...(ctx.parcellation
      ? { parcellation: { resampling: ctx.parcellation.resampling.method, statistic: ctx.parcellation.statistic, emptyRegions: ctx.parcellation.regions.filter((r) => r.status !== 'ok').map((r) => r.name) } }
      : {}),
    pls: {
      varianceExplained: ve,
      pPerm,
      pSpin,
      nPerm: perm.length,
      exhaustive: ctx.exhaustive,
      nBoot: boot?.nBoot ?? 0,
      nSpin: spin.length,
      spinMethod: nulls.spinMethod,
      components: comps.map((c, a) => ({ component: a + 1, varianceExplained: c.varianceExplained })),
    },
    nGenesFdr05: { positive: pos, negative: neg },
    ...(geneSpin ? { geneSpin } : {}),
    correlations,
    enrichment: omics.enrichment,
    deg: omics.deg,
    mcode: omics.mcode,
    notIncluded,
    cost: await jobCost(env, workDir, startedMs, txCounts(items.length, spinItems(ctx).length).stateTransitions),
    outputs: [],
    methods,
  };
  // report.html by the report library (its transcriptomics layout); the job URI lets it checksum the inputs and read the atlas
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, 'result.json'], { jobUri: ctx.jobUri });
}
