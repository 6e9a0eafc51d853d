import { z } from 'zod';

const correlateEntry = z.union([
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$/).describe('names the correlation in tables and result.json'),
      regionValues: z.string().min(1).describe('CSV/TSV with one value per region (regions matched by params.regionColumn)'),
      valueColumn: z.string().min(1).describe('column holding the values'),
    })
    .strict(),
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$/),
      map: z.string().min(1).describe('a NIfTI map parcellated by inputs.atlas like the response'),
    })
    .strict(),
]);

/** Inputs of a transcriptomics job: keys relative to the folder holding job.json, or file:// / s3:// URIs. */
export const txInputsSchema = z
  .object({
    map: z.string().min(1).optional().describe('response as a NIfTI map (e.g. a glm _t map), parcellated by inputs.atlas'),
    atlas: z.string().min(1).optional().describe('label atlas (NIfTI; any grid: resampled onto the map by nearest neighbour)'),
    atlasLabels: z.string().min(1).optional().describe('label table of the atlas (names must match the expression matrix labels)'),
    regionValues: z.string().min(1).optional().describe('response as CSV/TSV, one value per region (instead of map + atlas)'),
    expression: z.string().min(1).describe('region × gene CSV as abagen writes it: first column label, one column per gene'),
    centroids: z.string().min(1).optional().describe('CSV: label, hemi (0/1 or L/R) and sphere coordinates (params.centroidColumns); needed for spins'),
    correlate: z.array(correlateEntry).max(100).optional().describe('maps correlated with the response, each with a two-sided spin p'),
    geneSets: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe('GMT file(s): over-representation of the positive and negative PLS genes (and the DEGs) per library'),
    ppi: z.string().min(1).optional().describe('protein–protein interaction edge list: MCODE clusters of the PLS genes (params.mcode.list)'),
    counts: z.string().min(1).optional().describe('RNA-seq counts (genes × samples; first column the gene) for differential expression'),
    samples: z.string().min(1).optional().describe('RNA-seq sample table (sample and group columns)'),
  })
  .strict();

export const txParamsSchema = z
  .object({
    regionColumn: z.string().min(1).default('label').describe('region column of inputs.regionValues and correlate tables'),
    valueColumn: z.string().min(1).optional().describe('value column of inputs.regionValues (required with it)'),
    centroidColumns: z.array(z.string().min(1)).length(3).default(['x', 'y', 'z']).describe('coordinate columns of inputs.centroids'),
    regions: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe('a label prefix (e.g. "L_") or a list of labels; default every region'),
    parcellation: z
      .object({
        minVoxels: z.number().int().min(1).max(1_000_000).default(1).describe('regions with fewer counted voxels are empty (dropped and reported)'),
        ignoreZeros: z.boolean().default(true).describe('map voxels equal to 0 (outside a statistic map\'s mask) do not count'),
        statistic: z.enum(['mean', 'median']).default('mean').describe('regional value used as the response'),
      })
      .strict()
      .default({ minVoxels: 1, ignoreZeros: true, statistic: 'mean' }),
    nulls: z
      .object({
        permutations: z.number().int().min(0).max(1_000_000).default(5000),
        bootstraps: z.number().int().min(0).max(1_000_000).default(5000),
        spins: z.number().int().min(0).max(1_000_000).default(5000),
        spinMethod: z.enum(['vasa', 'hungarian', 'original']).default('vasa'),
      })
      .strict()
      .default({ permutations: 5000, bootstraps: 5000, spins: 5000, spinMethod: 'vasa' }),
    components: z.number().int().min(1).max(50).default(5).describe('SIMPLS components reported in pls_components.csv'),
    geneSpin: z.boolean().default(true).describe('per-gene spin test (every gene\'s r with the map against the spun maps)'),
    fdrAlpha: z.number().gt(0).lt(1).default(0.05),
    correlation: z.enum(['pearson', 'spearman']).default('pearson').describe('which coefficient result.json reports first (both are in the table)'),
    enrichment: z
      .object({
        top: z.number().int().min(1).max(100_000).optional().describe('lists = the top N of each tail by |Z| (the study: 1500) instead of q < fdrAlpha'),
        minSetSize: z.number().int().min(1).default(1),
        maxSetSize: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ minSetSize: 1 }),
    deg: z
      .object({
        lfcThreshold: z.number().min(0).default(1).describe('|log2FC| ≥ this for a DEG'),
        pThreshold: z.number().gt(0).max(1).default(0.05).describe('p < this for a DEG (uncorrected, as the study)'),
        test: z.string().min(1).optional(),
        reference: z.string().min(1).optional(),
        sampleColumn: z.string().min(1).optional(),
        groupColumn: z.string().min(1).optional(),
      })
      .strict()
      .default({ lfcThreshold: 1, pThreshold: 0.05 }),
    mcode: z
      .object({
        list: z.enum(['positive', 'negative', 'both', 'deg']).default('both').describe('genes whose interactions are clustered'),
        nodeScoreCutoff: z.number().min(0).max(1).default(0.2),
        kCore: z.number().int().min(1).default(2),
        haircut: z.boolean().default(true),
      })
      .strict()
      .default({ list: 'both', nodeScoreCutoff: 0.2, kCore: 2, haircut: true }),
    resamplesPerBatch: z.number().int().min(50).max(1_000_000).multipleOf(50).optional().describe('resamples per shard (a multiple of 50; never changes a result)'),
  })
  .strict();

export type TxInputs = z.infer<typeof txInputsSchema>;
export type TxParams = z.infer<typeof txParamsSchema>;
