/** Named errors of the RNA-seq differential-expression module. */
import { NeuroburstError } from '../errors.ts';

/** A count table is malformed: negative or non-integer count, ragged row, duplicate gene or sample. */
export class InvalidCounts extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidCounts', message, input);
  }
}

/** The sample table or grouping cannot support the test (unknown sample, group with < 2 samples…). */
export class InvalidSampleGroups extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidSampleGroups', message, input);
  }
}
