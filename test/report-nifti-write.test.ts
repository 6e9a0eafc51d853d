/**
 * NIfTI conventions of written maps: statistic intent codes (t with its DOF, z, p) and xform
 * codes copied from an input header, read back by the project's reader and by nifti-reader-js
 * (an independent parser) from the raw header bytes.
 */
import { gunzipSync } from 'fflate';
import * as niftiReader from 'nifti-reader-js';
import { describe, expect, it } from 'vitest';
import { readNifti, readNiftiHeader, writeNifti } from '../shared/nifti/index.ts';
import { NIFTI_INTENT, statIntent } from '../shared/nifti/write.ts';

const affine = Float64Array.from([-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]);
const vol = { dims: [3, 2, 2], affine, data: Float32Array.from({ length: 12 }, (_, i) => i - 5.5) };
const theirs = (gz: Uint8Array) => niftiReader.readHeader(gunzipSync(gz).slice().buffer) as niftiReader.NIFTI1;

describe('writeNifti intent codes', () => {
  it('marks a t map as NIFTI_INTENT_TTEST (3) with DOF in intent_p1', () => {
    const bytes = writeNifti(vol, { intent: statIntent('t', 21) });
    const h = readNiftiHeader(bytes, 't.nii.gz');
    expect(h.intent).toEqual({ code: 3, p1: 21, p2: 0, p3: 0, name: 't' });
    const o = theirs(bytes);
    expect(o.intent_code).toBe(3);
    expect(o.intent_p1).toBe(21);
    expect(o.intent_name).toBe('t');
    // data unchanged by the header fields
    expect(Array.from(readNifti(bytes, 't').data)).toEqual(Array.from(vol.data));
  });

  it('marks z as NIFTI_INTENT_ZSCORE (5) and p as NIFTI_INTENT_PVAL (22)', () => {
    for (const [kind, code] of [['z', 5], ['p', 22]] as const) {
      const bytes = writeNifti(vol, { intent: statIntent(kind) });
      expect(readNiftiHeader(bytes, kind).intent!.code).toBe(code);
      expect(theirs(bytes).intent_code).toBe(code);
      expect(theirs(bytes).intent_p1).toBe(0);
    }
    expect(NIFTI_INTENT).toEqual({ TTEST: 3, FTEST: 4, ZSCORE: 5, PVAL: 22 });
  });

  it('refuses a t intent without a usable DOF', () => {
    expect(() => statIntent('t', 0)).toThrow(/DOF/);
    expect(() => statIntent('t', Number.NaN)).toThrow(/DOF/);
  });

  it('writes no intent by default (code 0)', () => {
    const bytes = writeNifti(vol);
    expect(readNiftiHeader(bytes, 'plain').intent!.code).toBe(0);
    expect(theirs(bytes).intent_code).toBe(0);
  });
});

describe('writeNifti xform codes', () => {
  it('defaults to MNI (4) for both, as before', () => {
    const o = theirs(writeNifti(vol));
    expect([o.sform_code, o.qform_code]).toEqual([4, 4]);
  });

  it('copies sform_code and qform_code from an input header', () => {
    // an "input" in scanner space (qform 1) aligned to a template (sform 2)
    const input = readNiftiHeader(writeNifti(vol, { sformCode: 2, qformCode: 1 }), 'input.nii.gz');
    expect([input.sformCode, input.qformCode]).toEqual([2, 1]);
    const out = writeNifti(vol, { xformFrom: input, intent: statIntent('z') });
    const h = readNiftiHeader(out, 'out.nii.gz');
    expect([h.sformCode, h.qformCode]).toEqual([2, 1]);
    const o = theirs(out);
    expect([o.sform_code, o.qform_code]).toEqual([2, 1]);
    // the affine is still the one given (sform preferred by our reader)
    Array.from(affine).forEach((e, k) => expect(h.affine[k]).toBeCloseTo(e, 6));
  });

  it('explicit codes override the copied ones; bad codes are refused', () => {
    const h = readNiftiHeader(writeNifti(vol, { xformFrom: { sformCode: 2, qformCode: 1 }, qformCode: 0 }), 'x');
    expect([h.sformCode, h.qformCode]).toEqual([2, 0]);
    expect(() => writeNifti(vol, { sformCode: 7 })).toThrow(/sformCode/);
  });
});
