import type { GlmContext } from './context.ts';
import type { GlmResult } from './reduce.ts';

/** Methods text with the numbers actually used. */
export function describeGlm(ctx: GlmContext, r: GlmResult): string {
  const p = ctx.job.params;
  const grf = p.inference.grf;
  const groups = [...new Set(ctx.subjects.map((s) => s.group))].sort();
  const counts = groups.map((g) => `${g} n=${ctx.subjects.filter((s) => s.group === g).length}`).join(', ');
  const covs = p.covariates.map((c) => (typeof c === 'string' ? c : `${c.name} (${c.type}${c.centre ? ', centred' : ''})`));
  const parts = [
    `Voxelwise general linear models were fitted with neuroburst (${counts}).`,
    p.smoothFwhmMm > 0 ? `Maps were smoothed with an SPM Gaussian kernel of ${p.smoothFwhmMm} mm FWHM.` : 'Maps were not smoothed.',
    `Groups were coded as cell means${covs.length ? ` with covariates ${covs.join(', ')}` : ''}; ` +
      (p.model === 'pairwise' ? 'each pairwise contrast was fitted on its two groups only (two-sample t-test).' : 'all groups entered one pooled model.'),
    `The analysis mask held ${r.mask.voxels} voxels.`,
    `Smoothness was estimated from the standardised residuals (DOF correction: ${p.smoothnessDof}).`,
    `Multiple comparisons were corrected with Gaussian random field theory (${grf.twoTailed ? 'two-tailed' : 'one-tailed'}, voxel p < ${grf.voxelP}, cluster p < ${grf.clusterP}, ${grf.connectivity}-connectivity).`,
  ];
  for (const [name, c] of Object.entries(r.contrasts)) {
    parts.push(
      `${name}: DOF ${c.dof}, FWHM ${c.fwhmMm.map((x) => x.toFixed(2)).join('×')} mm, z > ${c.zThreshold.toFixed(3)}, clusters ≥ ${c.clusterSizeThreshold} voxels, ${c.clusters.length} surviving cluster(s).`,
    );
  }
  return parts.join(' ');
}
