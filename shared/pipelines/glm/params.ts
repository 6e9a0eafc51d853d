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

export const demographicsParamsSchema = z
  .object({
    variables: z.array(z.string().min(1)).optional().describe('columns summarised, in order; default every column but participant_id, group, the map column and identifier-like text'),
    categorical: z.array(z.string().min(1)).default([]).describe('numeric columns to treat as categorical (e.g. sex coded 1/2)'),
    mannWhitney: z.array(z.string().min(1)).default([]).describe('variables also tested pairwise by Mann–Whitney U (exact for small n, else normal with tie and continuity correction, as R wilcox.test)'),
    kruskal: z.union([z.boolean(), z.array(z.string().min(1))]).default(false).describe('continuous variables tested by Kruskal–Wallis instead of one-way ANOVA (true = all)'),
    fisher: z.union([z.boolean(), z.literal('auto')]).default('auto').describe("Fisher's exact test for categorical variables: always, never, or 'auto' when an expected count is < 5"),
  })
  .strict();

const filterValueSchema = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).min(1)]);

export const fContrastSchema = z.union([
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9._+-]{1,60}$/, 'contrast names use letters, digits, ".", "_", "+" and "-"'),
      rows: z.array(z.array(z.number()).min(1)).min(1).describe('contrast rows over the pooled design columns (groups, then covariates)'),
    })
    .strict(),
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9._+-]{1,60}$/, 'contrast names use letters, digits, ".", "_", "+" and "-"'),
      groups: z.array(z.string().min(1)).min(2).describe('main effect of these groups: rows g1−g2, g2−g3, … on a model over these groups (ANCOVA with the covariates)'),
    })
    .strict(),
]);

export const analysisSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._+-]{1,60}$/, 'analysis names use letters, digits, ".", "_", "+" and "-"'),
    filter: z.record(z.string().min(1), filterValueSchema).describe('participants kept: column → value or list of values (all conditions must hold)'),
    referenceGroups: z.array(z.string().min(1)).optional().describe('groups kept whole whatever the filter (e.g. the controls a patient subgroup is compared with)'),
    contrasts: z.array(contrastSchema).default([]),
    fContrasts: z.array(fContrastSchema).default([]),
  })
  .strict();

export const deviationParamsSchema = z
  .object({
    reference: z.string().min(1).describe('reference group (e.g. healthy controls); needs at least 3 subjects'),
    patients: z.array(z.string().min(1)).min(1).describe('patient groups given deviation maps; two groups are also compared (two-sample t on the z maps)'),
    covariates: z.array(z.string().min(1)).default([]).describe('continuous covariates regressed out in the reference before the z'),
    filter: z.record(z.string().min(1), filterValueSchema).optional().describe('patients kept (e.g. syndrome: IGE): column → value or list of values; the reference group is always taken whole'),
  })
  .strict();

export const glmParamsSchema = z
  .object({
    groups: z.array(z.string().min(1)).min(1).optional().describe('group order for design columns; default sorted group names'),
    contrasts: z.array(contrastSchema).default([]).describe('t-contrasts; at least one t- or F-contrast (here or in an analysis) is needed'),
    fContrasts: z.array(fContrastSchema).default([]).describe('F-contrasts (one-sided F, converted to z; GRF one-tailed on z, permutation by Freedman–Lane)'),
    analyses: z.array(analysisSchema).default([]).describe('subgroup analyses in the same job: each selects participants by a column filter and has its own contrasts; outputs under analyses/<name>/'),
    demographics: demographicsParamsSchema.default({ categorical: [], mannWhitney: [], kruskal: false, fisher: 'auto' }).describe('Table 1 from the participants table (tables/demographics.csv)'),
    minClusterVoxels: z.number().int().min(0).default(0).describe('clusters smaller than this are not reported, applied after correction (0 = report all; DPABI studies often use 20)'),
    atlas: z.enum(['aal', 'brainnetome', 'none']).optional().describe('bundled atlas for cluster region tables when inputs.atlas is not given (resampled by nearest neighbour off its 2/3 mm grids); default aal when the data are on a bundled MNI grid or declare MNI space'),
    deviation: deviationParamsSchema.optional().describe('per-patient deviation (z against the reference group) maps'),
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

export type DemographicsParams = z.infer<typeof demographicsParamsSchema>;
export type FContrastParams = z.infer<typeof fContrastSchema>;
export type AnalysisParams = z.infer<typeof analysisSchema>;
export type DeviationParams = z.infer<typeof deviationParamsSchema>;
export type GlmInputs = z.infer<typeof glmInputsSchema>;
export type GlmParams = z.infer<typeof glmParamsSchema>;
export type GrfParams = z.infer<typeof grfSchema>;
export type MaskRule = z.infer<typeof maskRuleSchema>;
