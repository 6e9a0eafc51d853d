/** Gene-set enrichment (GMT libraries, hypergeometric over-representation, BH per library). */
export { InvalidEdgeList, InvalidGeneList, InvalidGeneSets } from './errors.ts';
export { type GeneSet, type GeneSetLibrary, type GmtOptions, normaliseGene, parseGmt } from './gmt.ts';
export { hypergeomLogPmf, hypergeomUpperTail, logChoose, logFactorial } from './hypergeometric.ts';
export { type OraOptions, type OraResult, type OraRow, overRepresentation } from './ora.ts';
export {
  type EdgeListOptions,
  type Graph,
  graphFromEdges,
  highestKCore,
  inducedDensity,
  kCore,
  type McodeCluster,
  type McodeOptions,
  type McodeVertexInfo,
  mcode,
  mcodeVertexWeights,
  parseEdgeList,
} from './mcode.ts';
export { csvCell, csvTable } from './csv.ts';
export { enrichmentCsv, type ListOverlap, listOverlap, mcodeCsv } from './tables.ts';
export { type TailListOptions, tailLists } from './lists.ts';
