import type { AleContext } from './context.ts';
import type { AleResult } from './result.ts';

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
    ...(p.jackknife
      ? [
          `In a leave-one-experiment-out jackknife, the ALE map was recomputed without each experiment in turn and thresholded at the same cluster-forming ALE; a cluster survived when it overlapped a cluster of at least the cFWE extent at α = ${p.fweAlpha[0]} (${r.clusters[0]?.jackknife?.minClusterSize ?? 'n/a'} voxels) of the full analysis.`,
        ]
      : []),
    ...(r.contrast
      ? [
          `The ALE contrast (Eickhoff et al. 2012) compared set A (${r.nExperiments} experiments) with set B (${r.contrast.setB.nExperiments} experiments, analysed the same way, its own Monte-Carlo null): ` +
            `the difference ALE(A) − ALE(B) was tested on ${r.contrast.domain === 'mask' ? 'every mask voxel' : `the union of both sets' cFWE α = ${r.contrast.alpha} thresholded maps`} (${r.contrast.domainVoxels} voxels) against ${r.contrast.iterations} label-exchange permutations pooling the experiments of both sets and keeping the group sizes; ` +
            `one-sided p(A > B) and p(B > A) were thresholded at ${r.contrast.p}. The conjunction is the voxelwise minimum of the two thresholded ALE maps.`,
        ]
      : []),
  ].join(' ');
}
