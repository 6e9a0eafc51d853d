import type { TxContext } from './context.ts';
import type { TxResult } from './result.ts';

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
const f = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? '—' : Number(x.toPrecision(d)).toString());

/** report.html: methods with the numbers used, the PLS test, top genes, correlations, cost. */
export function renderReport(ctx: TxContext, r: TxResult, top: { gene: string; weight: number; z: number; q: number }[]): string {
  const genes = top.map((g, i) => `<tr><td>${i + 1}</td><td style="text-align:left">${esc(g.gene)}</td><td>${f(g.weight)}</td><td>${f(g.z)}</td><td>${f(g.q)}</td></tr>`).join('');
  const comps = r.pls.components.map((c) => `<tr><td>${c.component}</td><td>${f(c.varianceExplained)}</td></tr>`).join('');
  const corr = r.correlations.map((c) => `<tr><td style="text-align:left">${esc(c.name)}</td><td>${c.n}</td><td>${f(c.r)}</td><td>${f(c.rho)}</td><td>${f(c.pSpin)}</td><td>${f(c.pSpinRho)}</td><td>${c.nSpin}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>neuroburst ${esc(ctx.jobId)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}th{background:#f4f4f4}</style></head>
<body><h1>neuroburst — ${esc(ctx.jobId)} (transcriptomics)</h1>
<h2>Methods</h2><p>${esc(r.methods)}</p>
<h2>PLS</h2><p>${r.nRegions} regions × ${r.nGenes} genes. PLS1 explains ${f(r.pls.varianceExplained, 6)} of the map's variance;
permutation p = ${f(r.pls.pPerm)} (${r.pls.nPerm}${r.pls.exhaustive ? ', exhaustive' : ''}), spin p = ${f(r.pls.pSpin)} (${r.pls.nSpin}, ${esc(r.pls.spinMethod)}).
Genes with q &lt; ${ctx.job.params.fdrAlpha}: ${r.nGenesFdr05.positive} positive, ${r.nGenesFdr05.negative} negative (bootstrap ${r.pls.nBoot}).</p>
<table><thead><tr><th>component</th><th>variance explained</th></tr></thead><tbody>${comps}</tbody></table>
<h3>Top genes by bootstrap Z</h3>
<table><thead><tr><th>rank</th><th>gene</th><th>weight</th><th>Z</th><th>q</th></tr></thead><tbody>${genes}</tbody></table>
${r.correlations.length ? `<h2>Map–map correlations</h2><table><thead><tr><th>map</th><th>regions</th><th>r</th><th>ρ</th><th>p spin (r)</th><th>p spin (ρ)</th><th>spins</th></tr></thead><tbody>${corr}</tbody></table>` : ''}
<p>Not part of this run: ${esc(r.notIncluded.join(', '))}.</p>
<p>Cost: estimated $${r.cost.estimatedUsd.toFixed(4)}, actual $${r.cost.actualUsd.toFixed(4)} (${r.cost.lambdaGbSeconds.toFixed(1)} GB-s).</p>
</body></html>
`;
}
