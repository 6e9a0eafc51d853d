/**
 * Label tables from the atlas fixtures (data/fixtures/atlases, see its
 * README): the entries checked below are copied from the files by eye and from
 * the README (BN 1 = A8m_L, 246 = lPFtha_R; AAL 91 = Cerebelum_Crus1_L, …).
 * Cross-check: the four files must agree with each other where they overlap.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelAtVoxel, parseLabelTable } from '../shared/volume/atlas-labels.ts';
import { expectNamed } from './helpers/errors.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const ATLASES = `${FIXTURES}/atlases`;
const read = (rel: string) => readFileSync(`${ATLASES}/${rel}`, 'utf8');


describe('parseLabelTable on the fixtures', () => {
  it('AAL116_labels.csv: index → original AAL spelling', () => {
    const t = parseLabelTable(read('aal/AAL116_labels.csv'), 'AAL116_labels.csv');
    expect(t.size).toBe(116);
    expect(t.get(1)).toBe('Precentral_L');
    expect(t.get(2)).toBe('Precentral_R');
    expect(t.get(4)).toBe('Frontal_Sup_R');
    expect(t.get(91)).toBe('Cerebelum_Crus1_L');
    expect(t.get(103)).toBe('Cerebelum_8_L');
    expect(t.get(116)).toBe('Vermis_10');
    expect(t.has(0)).toBe(false);
    expect(t.has(117)).toBe(false);
  });

  it('ROI_MNI_V4.txt: gray-level code → name, consistent with the CSV', () => {
    const t = parseLabelTable(read('aal/ROI_MNI_V4.txt'), 'ROI_MNI_V4.txt');
    expect(t.size).toBe(116);
    expect(t.get(2001)).toBe('Precentral_L');
    expect(t.get(2102)).toBe('Frontal_Sup_R');
    expect(t.get(9170)).toBe('Vermis_10');
    expect(t.has(1)).toBe(false);
    // Every CSV row: its code maps to its FieldTrip spelling (name_alt) in ROI_MNI_V4.txt.
    const rows = read('aal/AAL116_labels.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(116);
    for (const [, code, , nameAlt] of rows) expect(t.get(Number(code))).toBe(nameAlt);
    // FieldTrip spells the cerebellum with two l's.
    expect(t.get(Number(rows[90][1]))).toBe('Cerebellum_Crus1_L');
  });

  it('BN_Atlas_246_labels.csv (quoted fields) and BN_Atlas_246_LUT.txt agree', () => {
    const csv = parseLabelTable(read('brainnetome/BN_Atlas_246_labels.csv'), 'BN_Atlas_246_labels.csv');
    const lut = parseLabelTable(read('brainnetome/BN_Atlas_246_LUT.txt'), 'BN_Atlas_246_LUT.txt');
    for (const t of [csv, lut]) {
      expect(t.size).toBe(246);
      expect(t.get(1)).toBe('A8m_L');
      expect(t.get(2)).toBe('A8m_R');
      expect(t.get(3)).toBe('A8dl_L');
      expect(t.get(245)).toBe('lPFtha_L');
      expect(t.get(246)).toBe('lPFtha_R');
      expect(t.has(0)).toBe(false); // LUT row "0 Unknown" is background
    }
    expect([...csv.entries()]).toEqual([...lut.entries()]);
    // Odd = left, even = right (README).
    for (const [k, name] of csv) expect(name.endsWith(k % 2 === 1 ? '_L' : '_R')).toBe(true);
  });
});

describe('parseLabelTable formats', () => {
  it('header variants pick the index and name columns', () => {
    expect([...parseLabelTable('index,name\n1,Left\n2,Right\n', 'a.csv')]).toEqual([[1, 'Left'], [2, 'Right']]);
    expect([...parseLabelTable('label,name\n5,Amygdala\n7,Hippocampus', 'b.csv')]).toEqual([
      [5, 'Amygdala'],
      [7, 'Hippocampus'],
    ]);
    expect([...parseLabelTable('ROI,Label\n1,Precuneus_L\n2,Precuneus_R\n', 'c.csv')]).toEqual([
      [1, 'Precuneus_L'],
      [2, 'Precuneus_R'],
    ]);
    // Names in the "ROI" column, numbers in "Label": detected by content.
    expect([...parseLabelTable('ROI,Label\nPrecuneus_L,11\n', 'd.csv')]).toEqual([[11, 'Precuneus_L']]);
    // Tab-separated with CRLF, a BOM and extra columns.
    expect([...parseLabelTable('\uFEFFName\tValue\tHemi\r\nThalamus L\t10\tL\r\n', 'e.tsv')]).toEqual([
      [10, 'Thalamus L'],
    ]);
  });

  it('headerless LUT, plain and MRIcron styles', () => {
    expect([...parseLabelTable('# FreeSurfer LUT\n0 Unknown 0 0 0 0\n17 Left-Hippocampus 220 216 20 0\n', 'lut')]).toEqual([
      [17, 'Left-Hippocampus'],
    ]);
    expect([...parseLabelTable('1 Precentral_L 2001\n2 Precentral_R 2002\n', 'aal.nii.txt')]).toEqual([
      [1, 'Precentral_L'],
      [2, 'Precentral_R'],
    ]);
    expect([...parseLabelTable('3\tSuperior frontal gyrus\n\n4\tMiddle frontal gyrus\n', 'plain')]).toEqual([
      [3, 'Superior frontal gyrus'],
      [4, 'Middle frontal gyrus'],
    ]);
    expect([...parseLabelTable('1 Left caudate\n', 'plain-ws')]).toEqual([[1, 'Left caudate']]);
  });

  it('malformed text → InvalidParameter naming the source and line', () => {
    const e = expectNamed(() => parseLabelTable('1 A8m_L\n2 A8m_R\noops\n', 'bad.txt'), 'InvalidParameter', /bad\.txt line 3/);
    expect(e.input).toBe('bad.txt');
    expectNamed(() => parseLabelTable('', 'empty.txt'), 'InvalidParameter', /empty\.txt/);
    expectNamed(() => parseLabelTable('hello world\nfoo bar\n', 'words.txt'), 'InvalidParameter', /words\.txt line 1/);
    expectNamed(() => parseLabelTable('colour,shade\nred,dark\n', 'nohdr.csv'), 'InvalidParameter', /nohdr\.csv line 1/);
    expectNamed(() => parseLabelTable('index,name\n1,A\n2\n', 'short.csv'), 'InvalidParameter', /short\.csv line 3/);
    expectNamed(() => parseLabelTable('index,name\n1,A\n1,B\n', 'dup.csv'), 'InvalidParameter', /line 3.*twice/);
    expectNamed(() => parseLabelTable('index,name\nx,A\n', 'nonint.csv'), 'InvalidParameter', /nonint\.csv/);
    expectNamed(() => parseLabelTable('FAG\tPrecentral_L\t2001\nFAD\tPrecentral_R\n', 'roi.txt'), 'InvalidParameter', /roi\.txt line 2/);
    expectNamed(() => parseLabelTable('index,name\n1,"unterminated\n', 'q.csv'), 'InvalidParameter', /q\.csv line 2/);
  });
});

describe('labelAtVoxel', () => {
  const table = parseLabelTable(read('brainnetome/BN_Atlas_246_LUT.txt'), 'BN_Atlas_246_LUT.txt');

  it('looks up integer and float atlases, rounding float labels', () => {
    const atlas = Float32Array.from([0, 1, 245.99998, 246.2, 2.5, 300, NaN, -0.3]);
    expect(labelAtVoxel(atlas, table, 0)).toBe('');
    expect(labelAtVoxel(atlas, table, 1)).toBe('A8m_L');
    expect(labelAtVoxel(atlas, table, 2)).toBe('lPFtha_R');
    expect(labelAtVoxel(atlas, table, 3)).toBe('lPFtha_R');
    expect(labelAtVoxel(atlas, table, 4)).toBe('A8dl_L'); // Math.round(2.5) = 3
    expect(labelAtVoxel(atlas, table, 5)).toBe(''); // unknown label
    expect(labelAtVoxel(atlas, table, 6)).toBe('');
    expect(labelAtVoxel(atlas, table, 7)).toBe('');
    expect(labelAtVoxel(Uint8Array.from([0, 2]), table, 1)).toBe('A8m_R');
    expectNamed(() => labelAtVoxel(atlas, table, 8), 'InvalidParameter');
  });
});
