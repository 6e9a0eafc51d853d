import { z } from 'zod';

/** Inputs of an ale job: keys relative to the folder holding job.json, or file:// / s3:// URIs. */
export const aleInputsSchema = z
  .object({
    coordinates: z.string().min(1).describe('Sleuth / GingerALE text file or NiMARE dataset JSON'),
    coordinates2: z.string().min(1).optional().describe('a second coordinate set (same formats): runs the ALE contrast A − B, B − A and the conjunction'),
    mask: z.string().min(1).optional().describe('analysis mask (NIfTI, non-zero = in, isotropic grid); default: the bundled GingerALE-style 2 mm MNI brain mask'),
    atlas: z.string().min(1).optional().describe('label atlas (NIfTI on the mask grid) for cluster peak labels'),
    atlasLabels: z.string().min(1).optional().describe('label table of the atlas (CSV/TSV index,name; AAL txt; LUT)'),
  })
  .strict();

/** ALE contrast (Eickhoff 2012): label-exchange null of ALE(A) − ALE(B). */
export const aleContrastParamsSchema = z
  .object({
    iterations: z.number().int().min(10).max(1_000_000).default(10000).describe('label-exchange permutations of the contrast null'),
    p: z.number().gt(0).lt(1).default(0.001).describe('voxel p threshold of each one-sided contrast map'),
    domain: z
      .enum(['thresholded-union', 'mask'])
      .default('thresholded-union')
      .describe('voxels tested: the union of both sets\' cFWE-thresholded ALE maps (GingerALE, Eickhoff 2012) or every mask voxel (NiMARE)'),
    batchSize: z.number().int().min(1).max(1_000_000).optional().describe('permutations per shard (never changes results)'),
  })
  .strict();

export const aleParamsSchema = z
  .object({
    clusterFormingP: z.number().gt(0).lt(1).default(0.001).describe('voxel-level p of the cluster-forming threshold'),
    iterations: z.number().int().min(10).max(1_000_000).default(10000).describe('Monte-Carlo iterations of the FWE null'),
    fweAlpha: z.array(z.number().gt(0).lt(1)).min(1).max(5).default([0.05, 0.01]).describe('cluster-level FWE levels: one cfwe map and extent threshold each; a level needs more than 1/α iterations (refused when set in the job, a warning for the default levels)'),
    coordinateToVoxel: z.enum(['truncate', 'round']).default('truncate').describe('mm -> voxel: truncate toward zero (reference behaviour) or round to nearest'),
    kernel: z.literal('sample-size').default('sample-size').describe('Eickhoff 2009 sample-size dependent Gaussian kernels'),
    batchSize: z.number().int().min(1).max(100_000).optional().describe('Monte-Carlo iterations per shard (never changes results)'),
    jackknife: z.boolean().default(false).describe('leave-one-experiment-out: does every cluster survive without each experiment (same ALE threshold and cFWE extent at the first fweAlpha)?'),
    contrast: aleContrastParamsSchema.optional().describe('ALE contrast settings (used when inputs.coordinates2 is given)'),
  })
  .strict();


export type AleInputs = z.infer<typeof aleInputsSchema>;
export type AleParams = z.infer<typeof aleParamsSchema>;
export type AleContrastParams = z.infer<typeof aleContrastParamsSchema>;
