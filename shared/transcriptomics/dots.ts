/**
 * The one dense kernel of the transcriptomics nulls: all dot products between the rows of two
 * row-major matrices, out[a·nb + b] = Σ_k A[a·len + k] · B[b·len + k], computed in 4 × 4 register
 * tiles (8 loads for 16 multiply–adds per step). Every sum runs over k in increasing order, so the
 * result does not depend on the tiling.
 */
export function dotRows(
  A: Float64Array,
  na: number,
  B: Float64Array,
  nb: number,
  len: number,
  out: Float64Array,
): Float64Array {
  const na4 = na - (na % 4);
  const nb4 = nb - (nb % 4);
  for (let a = 0; a < na4; a += 4) {
    const a0 = a * len, a1 = a0 + len, a2 = a1 + len, a3 = a2 + len;
    for (let b = 0; b < nb4; b += 4) {
      const b0 = b * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < len; k++) {
        const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
        const y0 = B[b0 + k]!, y1 = B[b1 + k]!, y2 = B[b2 + k]!, y3 = B[b3 + k]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      let o = a * nb + b;
      out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03;
      o += nb;
      out[o] = s10; out[o + 1] = s11; out[o + 2] = s12; out[o + 3] = s13;
      o += nb;
      out[o] = s20; out[o + 1] = s21; out[o + 2] = s22; out[o + 3] = s23;
      o += nb;
      out[o] = s30; out[o + 1] = s31; out[o + 2] = s32; out[o + 3] = s33;
    }
    for (let b = nb4; b < nb; b++) {
      const b0 = b * len;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < len; k++) {
        const y = B[b0 + k]!;
        s0 += A[a0 + k]! * y; s1 += A[a1 + k]! * y; s2 += A[a2 + k]! * y; s3 += A[a3 + k]! * y;
      }
      out[a * nb + b] = s0; out[(a + 1) * nb + b] = s1; out[(a + 2) * nb + b] = s2; out[(a + 3) * nb + b] = s3;
    }
  }
  for (let a = na4; a < na; a++) {
    const a0 = a * len;
    for (let b = 0; b < nb; b++) {
      const b0 = b * len;
      let s = 0;
      for (let k = 0; k < len; k++) s += A[a0 + k]! * B[b0 + k]!;
      out[a * nb + b] = s;
    }
  }
  return out;
}
