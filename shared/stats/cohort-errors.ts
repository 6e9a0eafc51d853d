/**
 * Named errors of the cohort statistics (demographics, F-contrasts, deviation maps,
 * cluster tables, conjunctions). Each names the offending field in `input`.
 */
import { NeuroburstError } from '../errors.ts';

function named(name: string) {
  return class extends NeuroburstError {
    constructor(message: string, input = '') {
      super(name, message, input);
    }
  };
}

/** A table column holds numbers in some rows and text in others; the message names the column and the row. */
export const PartlyNumericColumn = named('PartlyNumericColumn');
/** Fewer subjects than a statistic needs (e.g. a reference group of fewer than 3 for deviation maps). */
export const TooFewSubjects = named('TooFewSubjects');
/** An F-contrast of rank 0, or one whose rows are not estimable from the design. */
export const NonEstimableContrast = named('NonEstimableContrast');
/** Two result maps without a voxel that is non-zero in both. */
export const NoSpatialOverlap = named('NoSpatialOverlap');
/** An exact test whose enumeration would be too large (use the asymptotic test). */
export const ExactTestTooLarge = named('ExactTestTooLarge');
