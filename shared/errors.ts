/**
 * Named errors. Every failure a user can cause becomes one of these; its `name`,
 * `message` and `input` (the offending key or field) are what `error.json` holds.
 */
export class NeuroburstError extends Error {
  /** The offending input: a job-spec field path, a storage key or a file name. */
  readonly input: string;

  constructor(name: string, message: string, input = '') {
    super(message);
    this.name = name;
    this.input = input;
  }

  toJSON(): { error: string; message: string; input: string } {
    return { error: this.name, message: this.message, input: this.input };
  }
}

function named(name: string) {
  return class extends NeuroburstError {
    constructor(message: string, input = '') {
      super(name, message, input);
    }
  };
}

/** A file is not NIfTI, is truncated, or its header is inconsistent. */
export const InvalidNifti = named('InvalidNifti');
/** A NIfTI datatype the reader does not support. */
export const UnsupportedDatatype = named('UnsupportedDatatype');
/** Two images disagree in dimensions or affine. */
export const SpaceMismatch = named('SpaceMismatch');
/** A referenced input does not exist. */
export const MissingInput = named('MissingInput');
/** A key or path that escapes its allowed root. */
export const UnsafeInputKey = named('UnsafeInputKey');
/** The job spec does not validate. */
export const InvalidJobSpec = named('InvalidJobSpec');
/** The participants table is malformed or inconsistent with the spec. */
export const InvalidParticipants = named('InvalidParticipants');
/** The design matrix is rank deficient for a contrast. */
export const SingularDesign = named('SingularDesign');
/** A subject map holds no finite value, or the analysis mask is empty. */
export const EmptyData = named('EmptyData');
/** The plan's cost estimate exceeds budget.maxUsd. */
export const BudgetExceeded = named('BudgetExceeded');
/** A parameter value outside its meaningful range. */
export const InvalidParameter = named('InvalidParameter');

/** Turn anything thrown into the error.json shape. */
export function errorRecord(err: unknown): { error: string; message: string; input: string } {
  if (err instanceof NeuroburstError) return err.toJSON();
  if (err instanceof Error) return { error: err.name || 'Error', message: err.message, input: '' };
  return { error: 'Error', message: String(err), input: '' };
}
/** A coordinate file (Sleuth text or NiMARE JSON) is malformed; the message names the line or field. */
export const InvalidCoordinates = named('InvalidCoordinates');
/** An intermediate (shard output) is missing when required, truncated, or fails its checksum; `input` is its key. */
export const CorruptIntermediate = named('CorruptIntermediate');
/** An input file kept changing while its digest was being computed. */
export const InputChanged = named('InputChanged');
/** Cloud commands without credentials, region or a reachable endpoint; the message says what to set. */
export const CloudNotConfigured = named('CloudNotConfigured');
/** A connectome subject file is truncated, too long, of the wrong type (e.g. gzip) or holds non-finite values; `input` is the file. */
export const InvalidConnectome = named('InvalidConnectome');


/**
 * Names of the named errors defined beside the code that throws them (subclasses of
 * NeuroburstError in shared/stats, shared/rnaseq, shared/transcriptomics, …, and names given
 * to `new NeuroburstError(name, …)` directly). Every one is about the input: the CLI gives
 * them the exit code of an invalid input, and the README's "Errors" section lists them
 * (a test scans the sources so this list stays complete).
 */
export const NAMED_ELSEWHERE: readonly string[] = [
  'PartlyNumericColumn',
  'TooFewSubjects',
  'NonEstimableContrast',
  'NoSpatialOverlap',
  'ExactTestTooLarge',
  'InvalidCounts',
  'InvalidSampleGroups',
  'InvalidAhbaData',
  'InvalidGeneSets',
  'InvalidGeneList',
  'InvalidEdgeList',
  'NotAResultFolder',
  'InvalidSpinInput',
  'InvalidRegionTable',
  'InvalidPlsInput',
  'UnknownRegions',
  'NoGridOverlap',
  'TooFewRegions',
  'TooFewGenes',
];
