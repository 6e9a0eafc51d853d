import type { AleContext } from './context.ts';
import type { AleResult } from './reduce.ts';

/** Methods text with the numbers actually used. */
export function describeAle(ctx: AleContext, r: AleResult): string {
  const p = ctx.job.params;
  const surviving = Object.entries(r.cfwe).map(([a]) => `${r.clusters.filter((c) => c.pFweSize < Number(a)).length} at α = ${a}`);
  return [
    `Activation likelihood estimation (ALE; Eickhoff et al. 2009, 2012; Turkeltaub et al. 2012) was run with neuroburst on ${r.nExperiments} experiments (${r.nFoci} foci, ${r.nSubjects} subjects).`,
    `Foci were modelled with sample-size dependent Gaussian kernels; modeled activation maps took the voxelwise maximum over each experiment's foci; coordinates were mapped to voxels by ${p.coordinateToVoxel === 'truncate' ? 'truncation toward zero' : 'rounding'}.`,
    `The analysis mask (${r.maskSource === 'bundled' ? 'bundled GingerALE-style 2 mm MNI brain mask' : 'user mask'}) held ${r.maskVoxels} voxels.`,
    `Voxel p-values came from the analytic histogram-convolution null (bin width 1e-5); the cluster-forming threshold was p < ${p.clusterFormingP} (ALE > ${r.clusterFormingAle}).`,
    `Cluster-level family-wise error was controlled with ${p.iterations} Monte-Carlo iterations relocating every focus uniformly within the mask (seed ${ctx.job.seed}), recording the maximum ALE, cluster size and cluster mass (6-connectivity); ` +
      `${surviving.join(', ')} cluster(s) survived (size-based cFWE; extent thresholds ${Object.entries(r.cfwe).map(([a, s]) => `${s} voxels at ${a}`).join(', ')}).`,
    `Each experiment's contribution to a cluster is the percentage of the cluster's summed ALE lost when that experiment is left out.`,
  ].join(' ');
}
