import { z } from 'zod';

/** Inputs of a reho job: keys relative to the folder holding job.json, or file:// / s3:// URIs. */
export const rehoInputsSchema = z
  .object({
    participants: z.string().min(1).describe('TSV or CSV with participant_id, group (for params.group), covariates, the 4-D func column and the confounds column'),
    funcColumn: z.string().min(1).default('func').describe('column naming each subject 4-D NIfTI (MNI space, one grid for all subjects)'),
    confoundsColumn: z.string().min(1).default('confounds').describe('column naming an fMRIPrep confounds TSV or an SPM-style 6-column motion file'),
    wmCsfColumn: z.string().min(1).default('wm_csf').describe('optional column naming a 2-column text file of WM and CSF mean signals (overrides masks and the TSV columns)'),
    wmMaskColumn: z.string().min(1).default('wm_mask').describe('optional column naming a WM mask NIfTI on the func grid; its mean signal per volume is the WM regressor'),
    csfMaskColumn: z.string().min(1).default('csf_mask').describe('optional column naming a CSF mask NIfTI on the func grid; its mean signal per volume is the CSF regressor'),
    wmMask: z.string().min(1).optional().describe('WM mask for every subject without a wm_mask cell (NIfTI on the func grid)'),
    csfMask: z.string().min(1).optional().describe('CSF mask for every subject without a csf_mask cell (NIfTI on the func grid)'),
    mask: z.string().min(1).optional().describe('brain mask (NIfTI on the func grid, non-zero = in); without it each subject uses the voxels whose series is not all zero'),
  })
  .strict();

const stepsSchema = z
  .object({
    dropVolumes: z.boolean().default(true).describe('drop the first params.dropVolumes volumes'),
    nuisance: z.boolean().default(true).describe('regress out [1, t, Friston-24, spikes, WM, CSF]'),
    trend: z.boolean().default(true).describe('linear trend column in the nuisance design'),
    friston24: z.boolean().default(true).describe('Friston-24 motion columns in the nuisance design'),
    spikes: z.boolean().default(true).describe('one spike column per volume with FD > params.fdThreshold'),
    wmCsf: z.boolean().default(true).describe('WM and CSF mean-signal columns (from a wm_csf file, WM/CSF masks or the confounds TSV)'),
    bandpass: z.boolean().default(true).describe('ideal FFT band-pass params.bandpassHz, mean added back'),
    exclusion: z.boolean().default(true).describe('exclude subjects by params.exclusion (listed in tables/qc_motion.csv)'),
  })
  .strict();

export const PREPROCESS_ALL = stepsSchema.parse({});
export type PreprocessSteps = z.infer<typeof stepsSchema>;

/**
 * params.group is the params block of the glm job the group step starts (GroupRun): the glm
 * pipeline's schema checks and normalises it, wired in by the registry (rehoJobSchemaWith in
 * job.ts), so reho's own modules only see these fields.
 */
export const groupParamsSchema = z.looseObject({ contrasts: z.array(z.unknown()).min(1) });
export type GroupParams = z.infer<typeof groupParamsSchema>;
export const GROUP_PARAMS_DESCRIPTION = 'group GLM over the szReHo maps (glm params); without it only subject maps are written';

export const rehoParamsSchema = z
  .object({
    preprocess: z.union([z.boolean(), stepsSchema]).default(true).describe('true = every step (the study protocol), false = ReHo on the data as given, or per-step switches'),
    dropVolumes: z.number().int().min(0).default(5),
    fdThreshold: z.number().positive().default(0.2).describe('Power FD (mm) above which a volume gets a spike regressor'),
    fdRadiusMm: z.number().positive().default(50).describe('head radius converting rotations to mm in Power FD'),
    exclusion: z
      .object({
        maxTranslationMm: z.number().positive().default(3),
        maxRotationDeg: z.number().positive().default(3),
        maxSpikeFraction: z.number().min(0).max(1).default(0.1),
      })
      .strict()
      .default({ maxTranslationMm: 3, maxRotationDeg: 3, maxSpikeFraction: 0.1 }),
    tissueThreshold: z.number().min(0).lt(1).default(0.99).describe('a WM/CSF mask voxel is in when its value is > this (0.99 as DPABI for segmentation probability maps; binary masks pass unchanged)'),
    bandpassHz: z.tuple([z.number().min(0), z.number().min(0)]).default([0.01, 0.08]).describe('[low, high] Hz; high 0 = high-pass only'),
    tr: z.number().positive().optional().describe('repetition time (s); default from each func header'),
    neighbours: z.union([z.literal(27), z.literal(19), z.literal(7)]).default(27),
    smoothFwhmMm: z.number().min(0).max(30).default(6).describe('SPM Gaussian FWHM for szReHo'),
    zOrder: z.enum(['zThenSmooth', 'smoothThenZ']).default('zThenSmooth').describe('zThenSmooth as DPARSF (default); smoothThenZ as the study text'),
    slabs: z.number().int().min(1).max(4096).optional().describe('force the number of slabs per subject (results never depend on it)'),
    group: groupParamsSchema.optional().describe(GROUP_PARAMS_DESCRIPTION),
  })
  .strict();

export type RehoInputs = z.infer<typeof rehoInputsSchema>;
export type RehoParams = z.infer<typeof rehoParamsSchema>;

/** Effective per-step switches. */
export function stepsOf(p: RehoParams): PreprocessSteps {
  if (p.preprocess === true) return { ...PREPROCESS_ALL };
  if (p.preprocess === false) return { dropVolumes: false, nuisance: false, trend: false, friston24: false, spikes: false, wmCsf: false, bandpass: false, exclusion: false };
  return p.preprocess;
}

/** Whether motion confounds must be read. */
export function needsConfounds(s: PreprocessSteps): boolean {
  return s.exclusion || (s.nuisance && (s.friston24 || s.spikes || s.wmCsf));
}

/** Whether the nuisance design holds WM and CSF mean signals. */
export function needsWmCsf(s: PreprocessSteps): boolean {
  return s.nuisance && s.wmCsf;
}
