import { z } from 'zod';
import { permutationSchema } from '../common/permutation.ts';

/** Inputs of a netmap job: keys relative to the folder holding job.json, or file:// / s3:// URIs. */
export const netmapInputsSchema = z
  .object({
    connectome: z.string().min(1).describe('connectome.json of a normative connectome in neuroburst format (`neuroburst connectome pack`)'),
    connectomes: z
      .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'a connectome name is letters, digits, "_" or "-"'), z.string().min(1))
      .optional()
      .describe('further connectomes by name (connectome.json each, on the grid and mask of inputs.connectome): the same seeds mapped in one pass each, their overlap networks compared with the primary\'s (maps/connectomes/<name>_overlap.nii.gz, tables/connectomes.csv)'),
    seeds: z
      .string()
      .min(1)
      .describe('CSV/TSV: `study` plus either `x,y,z` (MNI mm, one row per coordinate; a study is the union of its spheres) or `mask` (a lesion/VAT NIfTI on the connectome grid; values are weights); optional `outcome` (e.g. % seizure reduction, for params.dbs)'),
    mask: z.string().min(1).optional().describe('restrict binarised maps and overlaps to this mask (NIfTI on the connectome grid)'),
    atlas: z.string().min(1).optional().describe('label atlas on the connectome grid: peak labels and the atlas-mask test (params.validation.atlasLabels)'),
    atlasLabels: z.string().min(1).optional().describe('label table of the atlas (CSV/TSV index,name; AAL txt; LUT)'),
    reference: z.string().min(1).optional().describe('a reference map on the connectome grid (e.g. a published network): spatial correlation with the overlap and each study'),
    controls: z
      .union([
        z.string().min(1),
        z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'a control set name is letters, digits, "_" or "-"'), z.string().min(1)),
      ])
      .optional()
      .describe('seeds of control studies (same format as seeds), one table or named sets { name: table } (e.g. { neurodegenerative: "nd.csv" }): all are mapped in the same connectome pass and, with params.specificity, each set is compared voxelwise with the studies'),
  })
  .strict();

export const netmapParamsSchema = z
  .object({
    sphereDiameterMm: z.number().gt(0).max(100).default(6).describe('diameter of the sphere around each coordinate; voxels with centre distance ≤ radius belong'),
    threshold: z.number().gt(0).max(1000).default(5.1).describe('binarise t > +threshold (positive network) and t < −threshold (negative network)'),
    maps: z
      .object({ meanZ: z.boolean().default(true), meanR: z.boolean().default(false) })
      .strict()
      .default({ meanZ: true, meanR: false })
      .describe('per-study maps written besides t'),
    sweep: z
      .object({
        thresholds: z.array(z.number().gt(0).max(1000)).min(1).optional().describe('t thresholds of the variants; the first is the main network (default [params.threshold])'),
        sphereDiameterMm: z.array(z.number().gt(0).max(100)).min(1).optional().describe('sphere diameters of the variants; the first is the main network (default [params.sphereDiameterMm]); every study at every diameter is mapped in the one connectome pass'),
        subsets: z.array(z.string().min(1)).optional().describe('seeds-table columns (e.g. modality): one network per level, `t<T>_d<D>mm_<column>-<level>`'),
        leaveOneOut: z.array(z.string().min(1)).optional().describe('seeds-table columns (e.g. diagnosis): one network per level left out, `t<T>_d<D>mm_no-<column>-<level>`'),
        perCoordinate: z.boolean().default(false).describe('every coordinate its own seed at the main diameter: `t<T>_d<D>mm_per-coordinate`'),
      })
      .strict()
      .optional()
      .describe('sensitivity sweep in one job and ONE connectome pass: every variant is an overlap of per-seed t maps of that pass (maps/sweep/<variant>_overlap.nii.gz, tables/sweep.csv); when given, its first threshold and diameter replace params.threshold and params.sphereDiameterMm for the main network'),
    subjectsPerShard: z.number().int().min(1).max(10000).optional().describe('connectome subjects per shard (never changes a result)'),
    validation: z
      .object({
        peaks: z.number().int().min(0).max(200).default(10).describe('local maxima of the overlap map listed (10 mm apart)'),
        eeg: z.boolean().default(false).describe('mean overlap in spheres at the 19 10–20 EEG positions (bundled Okamoto 2004 coordinates)'),
        eegDiameterMm: z.number().gt(0).max(200).default(25).describe('DIAMETER of the 10–20 electrode spheres (25 mm in Ji et al. 2025, i.e. a 12.5 mm radius)'),
        labelValues: z.boolean().default(false).describe('mean overlap per label of inputs.atlas, ranked (tables/overlap_label_values.csv; e.g. thalamic nuclei)'),
        atlasLabels: z.array(z.number().int()).min(1).optional().describe('atlas labels forming a region (e.g. [77, 78] thalami in AAL): mean overlap × 100 against random label sets'),
        nullMasks: z.number().int().min(1).max(1_000_000).default(1000).describe('random label sets of the atlas-mask test'),
      })
      .strict()
      .default({ peaks: 10, eeg: false, eegDiameterMm: 25, labelValues: false, nullMasks: 1000 }),
    roiTests: z
      .object({
        groups: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/), z.string().min(1)).describe('exactly two named seeds tables (study,x,y,z), e.g. { generalized: "ige_eegfmri.csv", focal: "focal_eegfmri.csv" }: each study\'s ROI is the union of its spheres'),
        sphereDiameterMm: z.number().gt(0).max(200).optional().describe('ROI sphere diameter (default: the main network\'s)'),
        permutations: z.number().int().min(1).max(10_000_000).default(10_000).describe('label exchanges of the permutation p (exact enumeration when there are fewer splits)'),
      })
      .strict()
      .optional()
      .describe('study-level ROI test: mean overlap per study ROI, first group vs second by Welch t and a permutation p (tables/roi_tests.csv)'),
    lesionTests: z
      .object({
        groups: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/), z.array(z.string().min(1)).min(2)).describe('exactly two named lists of lesion mask NIfTIs on the connectome grid, e.g. { epilepsy: [...], other: [...] }'),
        permutations: z.number().int().min(1).max(10_000_000).default(10_000),
      })
      .strict()
      .optional()
      .describe('lesion-mask group test: mean overlap within each mask, first group vs second by Welch t and a permutation p (tables/lesion_tests.csv)'),
    dbs: z
      .object({
        map: z.enum(['t', 'meanZ']).default('t').describe('per-patient map that is weighted'),
        normalise: z.enum(['sum', 'abs', 'none']).default('sum').describe('Σwᵢmᵢ/Σwᵢ (sum), /Σ|wᵢ| (abs) or the plain Σwᵢmᵢ (none, as Lead-DBS\'s weighted average)'),
        convergent: z.boolean().default(true).describe('also the convergent network: mean of the z-scored overlap and DBS maps'),
        responderThreshold: z.number().default(50).describe('outcome summaries: responders have outcome > this (e.g. > 50 % seizure reduction)'),
        external: z.string().min(1).optional().describe('an external network map on the connectome grid (e.g. the published IGE network): Pearson and Spearman r with the DBS network and their convergent map (maps/convergent_external.nii.gz)'),
        peakLabels: z.array(z.number().int()).min(1).optional().describe('inputs.atlas labels of the region (e.g. [77, 78] AAL thalami) whose convergent-map peak is compared with params.dbs.sweetSpots'),
        sweetSpots: z
          .array(z.object({ label: z.string().min(1), x: z.number(), y: z.number(), z: z.number() }).strict())
          .min(1)
          .optional()
          .describe('published sweet spots (MNI mm): distance from the convergent map\'s peak in peakLabels (with external, the DBS × external convergent map; else DBS × overlap)'),
      })
      .strict()
      .optional()
      .describe('DBS network: the studies are patients with an `outcome` column and either VAT masks, contact spheres, or stimulation settings per contact (columns `amplitude`, `mode` = voltage|current, optional `pulseWidth` µs, `impedance` Ω: a VAT sphere of the Mädler & Coenen 2012 radius); their maps are averaged weighted by outcome'),
    roiConnectivity: z
      .object({
        source: z
          .union([
            z.object({ x: z.number(), y: z.number(), z: z.number(), diameterMm: z.number().gt(0).max(200).default(6) }).strict(),
            z.object({ mask: z.string().min(1) }).strict(),
          ])
          .describe('source ROI: a sphere (MNI mm, diameter) or a mask NIfTI on the connectome grid (values are weights), e.g. the IGE network thresholded'),
        targets: z.string().min(1).describe('CSV/TSV of target ROIs: `name,group` plus `x,y,z` (spheres) or `mask`; e.g. SCAN nodes and 12 canonical networks, one group each'),
        diameterMm: z.number().gt(0).max(200).default(6).describe('diameter of the target spheres'),
      })
      .strict()
      .optional()
      .describe('ROI-to-ROI connectivity in every connectome subject from the same pass: Fisher z of the source with each target, mean per target group, one-way repeated-measures ANOVA across groups (the same subjects in every group) with Holm/Bonferroni paired post-hoc tests'),
    randomControls: z
      .object({
        repetitions: z.number().int().min(1).max(10_000).default(4).describe('random control studies per study (4 in Ji et al. 2025: 21 studies → 84 controls)'),
        mask: z.string().min(1).optional().describe('NIfTI on the connectome grid whose voxels the coordinates are redistributed among (default: the connectome mask; always intersected with it)'),
      })
      .strict()
      .optional()
      .describe('random-coordinate controls generated in the job: each study\'s coordinates redistributed uniformly among the mask\'s voxels, seeded by the job seed (control `<study>_rand<r>`), mapped in the same pass as the control set `random` and written as tables/random_controls.csv (a seeds table a later job can read as inputs.controls)'),
    specificity: z
      .object({
        map: z.enum(['t', 'meanZ']).default('t').describe('which per-study map enters the two-sample test'),
        permutation: permutationSchema.default({} as never).describe('the permutation stage shared with glm inference.permutation (default 5000 permutations, all four statistics, cluster-forming p 0.005)'),
      })
      .strict()
      .optional()
      .describe('voxelwise two-sample permutation test of the studies\' networks against the controls\' (label exchange; max-T, cluster, TFCE, FDR)'),
  })
  .strict();

export type NetmapInputs = z.infer<typeof netmapInputsSchema>;
export type NetmapParams = z.infer<typeof netmapParamsSchema>;
