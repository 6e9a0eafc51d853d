/**
 * Degrees-of-freedom correction table for the smoothness estimate of standardised residuals.
 *
 * Origin: FSL smoothest's published DOF correction table (Flitney & Jenkinson 2000, TR00DF1;
 * `Interpolate` class in FSL's smoothest.cc), as transcribed in the project fixtures
 * (`fixtures/vbm_reho/smoothest_dof_lut.csv`). dLh is multiplied by √L(DOF).
 *
 * Row labels: `dof` follows the fixture CSV and DPABI's `y_Smoothest` (MATLAB `lut(6)…lut(501)`).
 * FSL's smoothest.cc keys the same values one lower (`lut[5]…lut[500]`); the `fsl` variant in
 * smoothness.ts uses FSL's keys, i.e. `dof − 1` of the rows below.
 */
export const SMOOTHEST_DOF_LUT: ReadonlyArray<readonly [dof: number, L: number]> = Object.freeze([
  [6, 1.5423138],
  [7, 1.3757105],
  [8, 1.284268],
  [9, 1.2272151],
  [10, 1.1885232],
  [11, 1.1606988],
  [12, 1.1398],
  [13, 1.1235677],
  [14, 1.1106196],
  [15, 1.1000651],
  [16, 1.091306],
  [17, 1.0839261],
  [18, 1.0776276],
  [19, 1.072192],
  [20, 1.0674553],
  [21, 1.0632924],
  [26, 1.0483053],
  [31, 1.0390117],
  [41, 1.0281339],
  [51, 1.0219834],
  [61, 1.0180339],
  [71, 1.015285],
  [81, 1.0132621],
  [91, 1.0117115],
  [101, 1.0104851],
  [151, 1.0068808],
  [201, 1.00512],
  [301, 1.0033865],
  [501, 1.0020191],
] as const);

/** Correction for DOF < 6 (dLh ×= 1.1, no square root). */
export const SMOOTHEST_SMALL_DOF_FACTOR = 1.1;
/** For DOF > 500: L = 1 + SMOOTHEST_LARGE_DOF_COEF / DOF. */
export const SMOOTHEST_LARGE_DOF_COEF = 1.0321;
