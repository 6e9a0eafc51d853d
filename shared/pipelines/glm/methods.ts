import type { GlmContext } from './context.ts';
import type { GlmResult } from './result.ts';

/** Methods text with the numbers actually used. */
export function describeGlm(ctx: GlmContext, r: GlmResult): string {
  const p = ctx.job.params;
  const grf = p.inference.grf;
  const groups = [...new Set(ctx.subjects.map((s) => s.group))].sort();
  const counts = groups.map((g) => `${g} n=${ctx.subjects.filter((s) => s.group === g).length}`).join(', ');
  const covs = p.covariates.map((c) => (typeof c === 'string' ? c : `${c.name} (${c.type}${c.centre ? ', centred' : ''})`));
  const hasF = Object.values(r.contrasts).some((c) => c.kind === 'F') || Object.values(r.analyses ?? {}).some((a) => Object.values(a.contrasts).some((c) => c.kind === 'F'));
  const hasT = Object.values(r.contrasts).some((c) => c.kind !== 'F') || Object.values(r.analyses ?? {}).some((a) => Object.values(a.contrasts).some((c) => c.kind !== 'F'));
  const parts = [
    `Voxelwise general linear models were fitted with neuroburst (${counts}).`,
    p.smoothFwhmMm > 0 ? `Maps were smoothed with an SPM Gaussian kernel of ${p.smoothFwhmMm} mm FWHM.` : 'Maps were not smoothed.',
    `Groups were coded as cell means${covs.length ? ` with covariates ${covs.join(', ')}` : ''}; ` +
      (p.model === 'pairwise' ? 'each pairwise contrast was fitted on its two groups only (two-sample t-test).' : 'all groups entered one pooled model.'),
    `The analysis mask held ${r.mask.voxels} voxels.`,
    `Smoothness was estimated from the standardised residuals (DOF correction: ${p.smoothnessDof}).`,
    `Multiple comparisons were corrected with Gaussian random field theory (${grf.twoTailed ? `two-tailed${hasF ? ' for t, one-tailed for F' : ''}` : 'one-tailed'}, voxel p < ${grf.voxelP}, cluster p < ${grf.clusterP}, ${grf.connectivity}-connectivity).`,
  ];
  const perm = p.inference.permutation;
  if (perm) {
    // F-contrasts are one-sided (PALM/randomise): F → z, one-tailed, whatever twoTailed says for the t-contrasts
    const tails = perm.twoTailed ? 'two-tailed, on |z|' : 'one-tailed';
    const conversion = hasF && hasT ? `t → z (F → z for the F-contrasts, one-tailed)` : hasF ? 'F → z (one-tailed)' : 't → z';
    parts.push(
      `Permutation inference used the Freedman–Lane procedure (sign flipping for one-sample designs), ${conversion} before ` +
        `${perm.statistics.join(', ')} (${hasT ? `${tails}; ` : ''}${perm.connectivity}-connectivity; ` +
        `TFCE H = ${perm.tfce.H}, E = ${perm.tfce.E}, dh = ${perm.tfce.dh ?? 'max/100'}); FDR by Benjamini–Hochberg on the uncorrected permutation p; seed ${ctx.job.seed}.`,
    );
  }
  for (const [name, c] of Object.entries(r.contrasts)) {
    parts.push(
      `${name}: ${c.kind === 'F' ? `F(${c.df!.join(', ')}) → z` : `t → z, DOF ${c.dof}`}, FWHM ${c.fwhmMm.map((x) => x.toFixed(2)).join('×')} mm, z > ${c.zThreshold.toFixed(3)}, clusters ≥ ${c.clusterSizeThreshold} voxels, ${c.clusters.length} surviving cluster(s).`,
    );
    const q = c.permutation;
    if (q) {
      parts.push(
        q.exhaustive
          ? `${name}: only ${q.uniqueRelabellings} distinct relabellings exist (fewer than the ${perm!.n} requested), so all were enumerated and the permutation test is exact (smallest p = 1/${q.permutations}).`
          : `${name}: ${q.permutations} permutations (identity included) out of ${q.uniqueRelabellings} distinct relabellings; cluster-forming |z| ≥ ${q.clusterFormingZ.toFixed(3)}; ${q.clusters.length} cluster(s), ${q.clusters.filter((k) => Math.min(k.pFweExtent, k.pFweMass) <= 0.05).length} with FWE p ≤ 0.05.`,
      );
    }
  }
  return parts.join(' ');
}
