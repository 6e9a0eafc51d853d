#!/usr/bin/env node
// Builds the report viewer: bundles NiiVue and assets/viewer/src/viewer-entry.js into one
// minified browser script, assets/viewer/niivue-viewer.min.js, that the report builder inlines
// into every report.html (so a report opens offline). Also writes
// assets/viewer/THIRD_PARTY_LICENSES.txt with the licence of every package in the bundle.
// Run after upgrading @niivue/niivue:  node scripts/build-viewer.mjs
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'assets/viewer/niivue-viewer.min.js');
const res = await build({
  entryPoints: [join(root, 'assets/viewer/src/viewer-entry.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
});
const pkgs = new Map();
for (const input of Object.keys(res.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/(@[^/]+\/[^/]+|[^/]+))\//);
  if (m) pkgs.set(m[2], join(root, m[1]));
}
const sections = [];
const names = [];
for (const [name, dir] of [...pkgs].sort((a, b) => a[0].localeCompare(b[0]))) {
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = licFile ? readFileSync(join(dir, licFile), 'utf8').trim() : `(no licence file in the package; package.json says: ${pj.license})`;
  names.push(`${name}@${pj.version} (${pj.license})`);
  sections.push(`== ${name} ${pj.version} — ${pj.license} — ${pj.homepage ?? ''}\n\n${text}\n`);
}
const js = res.outputFiles[0].text;
const banner = `/*! neuroburst report viewer. Bundles: ${names.join(', ')}. Licences: THIRD_PARTY_LICENSES.txt beside this file. */\n`;
writeFileSync(out, banner + js);
const niivueLicence = join(root, 'assets/viewer/LICENSE-niivue.txt');
writeFileSync(
  join(root, 'assets/viewer/THIRD_PARTY_LICENSES.txt'),
  `Packages bundled into niivue-viewer.min.js by scripts/build-viewer.mjs\n\n` +
    (existsSync(niivueLicence) ? `== @niivue/niivue licence (the npm package ships none; text from the NiiVue repository)\n\n${readFileSync(niivueLicence, 'utf8').trim()}\n\n` : '') +
    sections.join('\n'),
);
console.log(`${out}: ${(js.length / 1e6).toFixed(2)} MB, ${names.length} packages`);
