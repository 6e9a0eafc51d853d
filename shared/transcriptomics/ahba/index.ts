/** Allen Human Brain Atlas region × gene expression (abagen defaults): parsing, matching, probes, normalisation, builder. */
export { InvalidAhbaData } from './errors.ts';
export {
  type AtlasInfoRow,
  ONTOLOGY_CLASSES,
  type OntologyEntry,
  parseAtlasInfo,
  parseCorrectedCoordinates,
  parseCsvRows,
  parseDecimal,
  parseOntology,
  parseProbeMatrix,
  parseProbes,
  parseSampleAnnot,
  type ProbeInfo,
  type ProbeMatrix,
  type SampleInfo,
  structureClass,
} from './files.ts';
export {
  assignLabel,
  type AtlasIndex,
  buildAtlasIndex,
  type LabelVolume,
  labelsWithin,
  matchSample,
  matchSamples,
  type SampleLocation,
  snapToGrid,
} from './matching.ts';
export { averageRanks, type DonorProbeData, differentialStability, pearson, selectProbes } from './probes.ts';
export { IQR_NORMAL_SCALE, quantileSorted, robustCentreScale, scaledRobustSigmoid, srsMatrix } from './srs.ts';
export {
  type AhbaBuildOptions,
  type AhbaDonorFiles,
  type AhbaDonorReport,
  type AhbaExpression,
  type AhbaRegion,
  type AhbaReport,
  ahbaExpressionCsv,
  buildAhbaExpression,
} from './build.ts';
