/**
 * A 0/1 mask of the voxels whose atlas label is in a set (e.g. AAL 77 = Thalamus_L), for
 * peaks within a region and for region means. Atlas values must be integers (float32
 * storage is fine); every requested label must occur in the atlas.
 */
import { EmptyData, InvalidParameter } from '../errors.ts';

export function labelMask(atlas: ArrayLike<number>, labels: readonly number[], input = 'labels'): Uint8Array {
  if (labels.length === 0) throw new EmptyData('the label set is empty', input);
  for (const l of labels) if (!Number.isInteger(l) || l === 0) throw new InvalidParameter(`label ${l} must be a non-zero integer`, input);
  const want = new Set(labels);
  const seen = new Set<number>();
  const out = new Uint8Array(atlas.length);
  for (let v = 0; v < atlas.length; v++) {
    const l = atlas[v]!;
    if (want.has(l)) {
      out[v] = 1;
      seen.add(l);
    }
  }
  const absent = labels.filter((l) => !seen.has(l));
  if (absent.length) throw new InvalidParameter(`label(s) ${absent.join(', ')} have no voxel in the atlas`, input);
  return out;
}

/** Parse "77,78" or "77 78" into integer labels (InvalidParameter naming the bad entry). */
export function parseLabelList(text: string, input = 'labels'): number[] {
  const parts = text.split(/[\s,]+/).filter((s) => s !== '');
  if (parts.length === 0) throw new EmptyData('no label given', input);
  return parts.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n === 0) throw new InvalidParameter(`label "${s}" is not a non-zero integer`, input);
    return n;
  });
}
