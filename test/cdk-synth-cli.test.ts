/**
 * The real thing, once: `npx cdk synth` through the pinned CDK CLI (2.x), fully offline
 * (telemetry off, every proxy pointing at a closed port, npm offline), with esbuild
 * bundling every handler locally and cdk-nag running in the app. Then the bundles are
 * loaded as Lambda would load them (ESM, Node) and one is invoked.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHandlers, REPO_ROOT } from '../lib/sources.ts';

import { tmpDir } from './helpers/tmp.ts';

const run = promisify(execFile);
const out = tmpDir('neuroburst-synth-');
const OFFLINE = {
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '',
  npm_config_offline: 'true',
};

let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }> };
let stderr = '';

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...OFFLINE };
  delete env.AWS_ENDPOINT_URL;
  const r = await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', out], { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: 280_000 });
  stderr = r.stderr;
  template = JSON.parse(readFileSync(join(out, 'Neuroburst.template.json'), 'utf8'));
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** handler name -> bundle folder in the cloud assembly */
function bundles(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !id.startsWith('Compute')) continue;
    const asset = String(r.Metadata?.['aws:asset:path']);
    m.set(id.replace(/^Compute|[0-9A-F]{8}$/g, ''), join(out, asset));
  }
  return m;
}

describe('npx cdk synth (offline, pinned 2.x CLI)', () => {
  it('uses a 2.x CLI', async () => {
    const v = await run('npx', ['cdk', '--version'], { cwd: REPO_ROOT, env: { ...process.env, ...OFFLINE } });
    expect(v.stdout).toMatch(/^2\.\d+\.\d+/);
  });

  it('synthesises the stack with cdk-nag clean and every handler bundled locally (no Docker)', () => {
    expect(stderr).not.toMatch(/docker/i);
    const b = bundles();
    expect([...b.keys()].sort()).toEqual(discoverHandlers().map((h) => h.name).sort());
    for (const [name, dir] of b) {
      expect(existsSync(join(dir, 'index.mjs')), name).toBe(true);
      expect(existsSync(join(dir, 'package.json')), `${name}: no node_modules install step`).toBe(false);
      // run-time data files travel with the code (NEUROBURST_ASSETS_DIR=/var/task/assets)
      expect(readFileSync(join(dir, 'assets', 'ale', 'MNI152_2x2x2_brainmask.nii.gz')).equals(readFileSync(join(REPO_ROOT, 'assets', 'ale', 'MNI152_2x2x2_brainmask.nii.gz'))), name).toBe(true);
    }
  });

  it('bundles load as ESM and a handler runs from its bundle (RecordFailure writes error.json)', async () => {
    const b = bundles();
    const work = tmpDir('neuroburst-bundle-');
    try {
      const jobPath = join(work, 'job.json');
      writeFileSync(jobPath, JSON.stringify({ jobId: 'bundle-smoke', pipeline: 'glm' }));
      const script = `
        const loaded = [];
        for (const dir of JSON.parse(process.argv[1])) { const m = await import(dir + '/index.mjs'); loaded.push(typeof m.handler); }
        const rf = await import(process.argv[2] + '/index.mjs');
        const rec = await rf.handler({ jobUri: process.argv[3], error: { Error: 'BudgetExceeded', Cause: JSON.stringify({ errorType: 'BudgetExceeded', errorMessage: JSON.stringify({ error: 'BudgetExceeded', message: 'estimated cost $9 exceeds budget.maxUsd $1', input: 'budget.maxUsd' }) }) } });
        console.log(JSON.stringify({ loaded, rec }));`;
      const dirs = [...b.values()].map((d) => pathToFileURL(d).href);
      const r = await run(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(dirs), pathToFileURL(b.get('RecordFailure')!).href, pathToFileURL(jobPath).href], {
        cwd: work,
        env: { PATH: process.env.PATH, NEUROBURST_STORE: pathToFileURL(join(work, 'store')).href, AWS_REGION: 'us-east-1' },
      });
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { loaded: string[]; rec: { error: string } };
      expect(res.loaded).toEqual(dirs.map(() => 'function'));
      expect(res.rec.error).toBe('BudgetExceeded');
      const written = JSON.parse(readFileSync(join(work, 'store', 'results', 'bundle-smoke', 'error.json'), 'utf8'));
      expect(written).toEqual({ error: 'BudgetExceeded', message: 'estimated cost $9 exceeds budget.maxUsd $1', input: 'budget.maxUsd' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
