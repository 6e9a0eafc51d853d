/** RNA-seq differential expression (DESeq2-style NB Wald test for two groups) and its tables. */
export { InvalidCounts, InvalidSampleGroups } from './errors.ts';
export { type CountTable, parseCountTable, parseSampleTable, splitDelimited } from './table.ts';
export {
  DESEQ_METHOD,
  degCsv,
  type DeseqTableOptions,
  deseqFromTables,
  type DeseqGeneRow,
  type DeseqOptions,
  type DeseqResult,
  type DispersionTrend,
  deseqTwoGroup,
  dispersionLogPosterior,
  fitNbGlm2,
  logGammaRatio,
  mad,
  digamma,
  dispersionGrid,
  dispersionLineSearch,
  dispersionLogPosteriorSlope,
  median,
  medianOfRatios,
  parametricDispersionFit,
  trigamma,
} from './deseq.ts';
