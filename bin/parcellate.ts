/**
 * `neuroburst parcellate --map M --atlas A [--labels L] --out regions.csv`: regional mean, median
 * and voxel count of a NIfTI map by a label atlas (a NIfTI on any grid, resampled onto the map by
 * nearest neighbour, or the bundled 'aal' / 'brainnetome'), as the transcriptomics pipeline's
 * tables/regions.csv is made (shared/volume/parcellate.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { errorRecord, MissingInput } from '../shared/errors.ts';
import { readNifti } from '../shared/nifti/index.ts';
import { BUNDLED_ATLASES, loadBundledAtlas } from '../shared/volume/atlas-bundle.ts';
import { parseLabelTable } from '../shared/volume/atlas-labels.ts';
import { parcellate, regionsCsv } from '../shared/volume/parcellate.ts';

export interface ParcellateCliOptions {
  map: string;
  atlas: string;
  labels?: string;
  out?: string;
  hemisphere?: 'left' | 'right' | 'both';
  minVoxels?: string;
  ignoreZeros?: boolean;
}

function read(path: string, field: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch {
    throw new MissingInput(`${field}: ${path} cannot be read`, field);
  }
}

/** Parcellate and return the CSV text (also written to opts.out when given). */
export function runParcellate(opts: ParcellateCliOptions): string {
  const m = readNifti(read(opts.map, '--map'), '--map');
  const map = { data: m.data, dims: m.header.dims.slice(0, 3), affine: m.header.affine };
  let atlas;
  let labels;
  if ((BUNDLED_ATLASES as readonly string[]).includes(opts.atlas.toLowerCase())) {
    const b = loadBundledAtlas(opts.atlas.toLowerCase(), '2mm');
    atlas = { data: b.labels, dims: b.dims, affine: b.affine };
    labels = b.table;
  } else {
    const a = readNifti(read(opts.atlas, '--atlas'), '--atlas');
    atlas = { data: a.data, dims: a.header.dims.slice(0, 3), affine: a.header.affine };
  }
  if (opts.labels) labels = parseLabelTable(new TextDecoder().decode(read(opts.labels, '--labels')), '--labels');
  const res = parcellate(map, atlas, {
    labels,
    hemisphere: opts.hemisphere ?? 'both',
    minVoxels: opts.minVoxels === undefined ? 1 : Number(opts.minVoxels),
    ignoreZeros: opts.ignoreZeros ?? false,
    mapInput: '--map',
    atlasInput: '--atlas',
  });
  const csv = regionsCsv(res.regions);
  if (opts.out) writeFileSync(opts.out, csv);
  return csv;
}

export function registerParcellateCommand(program: Command): void {
  program
    .command('parcellate')
    .description('regional mean, median and voxel count of a NIfTI map by a label atlas (resampled onto the map by nearest neighbour when on another grid)')
    .requiredOption('--map <nifti>', 'the map, e.g. a glm _t map')
    .requiredOption('--atlas <nifti|aal|brainnetome>', 'label atlas (any grid) or a bundled atlas name')
    .option('--labels <table>', 'label table of the atlas (CSV/TSV index,name; AAL txt; LUT)')
    .option('--hemisphere <left|right|both>', 'keep regions of one hemisphere', 'both')
    .option('--min-voxels <k>', 'regions with fewer counted voxels are reported empty (NaN)', '1')
    .option('--ignore-zeros', 'map voxels equal to 0 do not count (outside a statistic map\'s mask)')
    .option('-o, --out <csv>', 'write regions.csv here (else print it)')
    .action((opts: ParcellateCliOptions) => {
      try {
        const csv = runParcellate(opts);
        if (!opts.out) process.stdout.write(csv);
        else console.log(`neuroburst: regions written to ${opts.out}`);
      } catch (e) {
        const r = errorRecord(e);
        console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
        process.exitCode = 1;
      }
    });
}
