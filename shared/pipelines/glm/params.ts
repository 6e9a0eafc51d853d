import { z } from 'zod';
import { permutationSchema } from '../common/permutation.ts';

/** Inputs of a glm job: keys relative to the folder holding job.json, or file:// / s3:// URIs. */
export const glmInputsSchema = z
  .object({
    participants: z.string().min(1).describe('TSV or CSV with participant_id, group, covariate columns and the map column'),
    mapColumn: z.string().min(1).default('map').describe('column of the participants table naming each subject map (NIfTI)'),
    mask: z.string().min(1).optional().describe('analysis mask (NIfTI, non-zero = in); without it params.maskRule decides'),
    atlas: z.string().min(1).optional().describe('label atlas (NIfTI on the same grid) for cluster peak labels'),
    atlasLabels: z.string().min(1).optional().describe('label table of the atlas (CSV/TSV index,name; AAL txt; LUT)'),
  })
  .strict();

const covariateSchema = z.union([
  z.string().min(1),
  z
    .object({
      name: z.string().min(1),
      type: z.enum(['continuous', 'categorical']).default('continuous'),
      centre: z.boolean().default(false).describe('demean a continuous covariate over the subjects of each model'),
    })
    .strict(),
]);

const contrastSchema = z.union([
  z.string().regex(/^[^-\s]+-[^-\s]+$/, 'a pairwise contrast is written "GROUPA-GROUPB"'),
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9._+-]{1,60}$/, 'contrast names use letters, digits, ".", "_", "+" and "-"'),
      vector: z.array(z.number()).min(1),
    })
    .strict(),
]);

export const grfSchema = z
  .object({
    voxelP: z.number().gt(0).lt(1).default(0.005).describe('voxel-level (cluster-forming) p'),
    clusterP: z.number().gt(0).lt(1).default(0.05).describe('cluster-level FWE p'),
    twoTailed: z.boolean().default(true).describe('two-tailed: z* from p/2 and each tail tested at clusterP/2, as DPABI'),
    connectivity: z.union([z.literal(6), z.literal(18), z.literal(26)]).default(26),
  })
  .strict();

export const maskRuleSchema = z
  .object({
    allFinite: z.boolean().default(true).describe('every subject finite at the voxel'),
    allNonzero: z.boolean().default(true).describe('every subject non-zero at the voxel (after smoothing)'),
    minMean: z.number().nullable().default(null).describe('mean over subjects (after smoothing) at least this, e.g. 0.2 for gray-matter maps'),
  })
  .strict();

export const glmParamsSchema = z
  .object({
    groups: z.array(z.string().min(1)).min(1).optional().describe('group order for design columns; default sorted group names'),
    contrasts: z.array(contrastSchema).min(1),
    covariates: z.array(covariateSchema).default([]),
    model: z
      .enum(['pairwise', 'pooled'])
      .default('pairwise')
      .describe('pairwise: each "A-B" contrast is a two-sample test on groups A and B only (DPABI); pooled: one model over all groups'),
    smoothFwhmMm: z.number().min(0).max(30).default(0).describe('SPM Gaussian FWHM applied to each map before the GLM'),
    maskRule: maskRuleSchema.default({ allFinite: true, allNonzero: true, minMean: null }),
    inference: z
      .object({
        grf: grfSchema.default({ voxelP: 0.005, clusterP: 0.05, twoTailed: true, connectivity: 26 }),
        permutation: permutationSchema.optional().describe('permutation inference (Freedman–Lane; max-T, cluster extent/mass, TFCE)'),
      })
      .strict()
      .default({ grf: { voxelP: 0.005, clusterP: 0.05, twoTailed: true, connectivity: 26 } }),
    smoothnessDof: z.enum(['dpabi', 'fsl']).default('dpabi').describe('DOF correction table lookup of the smoothness estimate'),
    slabs: z.number().int().min(1).max(4096).optional().describe('force the number of slabs (results never depend on it)'),
  })
  .strict();

export type GlmInputs = z.infer<typeof glmInputsSchema>;
export type GlmParams = z.infer<typeof glmParamsSchema>;
export type GrfParams = z.infer<typeof grfSchema>;
export type MaskRule = z.infer<typeof maskRuleSchema>;
