import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { handlers } from '../functions/index.ts';
import { allStages } from '../shared/pipelines/manifests.ts';
import run, { loadHandler } from '../runner/worker.ts';
import { runLocal, storeSettings, useStore } from '../runner/local.ts';
import { tmpDir } from './helpers/tmp.ts';
import type { WorkerReply } from '../runner/worker.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('worker threads load handlers on demand', () => {
  // a store for the task environment (this thread's and, inherited, the pool's)
  useStore(storeSettings({ outDir: tmpDir('nb-runner-worker-') }));

  it('gives, for every name of the registry (functions/index.ts), the very function the registry holds, and knows no other name', async () => {
    const names = Object.keys(handlers).sort();
    expect(names).toEqual(allStages().map((s) => s.handler).sort());
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(await loadHandler(name), name).toBe(handlers[name]);
    // cached per thread: the same promise's value again
    expect(await loadHandler('Validate')).toBe(await loadHandler('Validate'));
  });

  it.each(['NoSuchTask', 'constructor', 'toString', '__proto__', 'validate', ''])('an unknown name (%j) is UnknownTask, as before', async (name) => {
    expect(await loadHandler(name)).toBeUndefined();
    expect(await run({ name, event: {} })).toEqual({ ok: false, name: 'UnknownTask', message: `no handler named ${name}` });
  });

  it('a warm-up call loads the module (Validate: the pipeline\'s validation too) and runs nothing', async () => {
    expect(await run({ name: 'Validate', event: { pipeline: 'glm' }, warm: true })).toEqual({ ok: true, value: undefined });
    expect(await run({ name: 'Validate', event: { pipeline: 'nope' }, warm: true })).toEqual({ ok: true, value: undefined });
    // a module without a warm export: loaded, nothing run (its handler would fail on this event)
    expect(await run({ name: 'GlmSlab', event: {}, warm: true })).toEqual({ ok: true, value: undefined });
    expect(await run({ name: 'NoSuchTask', event: {}, warm: true })).toEqual({ ok: false, name: 'UnknownTask', message: 'no handler named NoSuchTask' });
  });

  it('a handler error travels as data with its name', async () => {
    const reply = await run({ name: 'Validate', event: {} });
    expect(reply.ok).toBe(false);
    expect((reply as Extract<WorkerReply, { ok: false }>).name).toBe('InvalidJobSpec');
  });

  it('in a pool thread: UnknownTask for an unknown name, the named error of a real handler', async () => {
    // an ale job with a bad parameter: Validate loads ale's validation in the thread (require there) and refuses it
    const job = join(tmpDir('nb-runner-worker-job-'), 'job.json');
    writeFileSync(job, JSON.stringify({ jobId: 'w1', pipeline: 'ale', inputs: { coordinates: 'foci.txt' }, params: { iterations: -1 } }));
    const pool = new Piscina({ filename: new URL('../runner/worker.ts', import.meta.url).href, execArgv: ['--import', import.meta.resolve('tsx')], minThreads: 1, maxThreads: 1 });
    try {
      expect(await pool.run({ name: 'NoSuchTask', event: {} })).toEqual({ ok: false, name: 'UnknownTask', message: 'no handler named NoSuchTask' });
      const reply = (await pool.run({ name: 'Validate', event: {} })) as WorkerReply;
      expect(reply).toMatchObject({ ok: false, name: 'InvalidJobSpec' });
      const bad = (await pool.run({ name: 'Validate', event: { jobUri: pathToFileURL(job).href } })) as Extract<WorkerReply, { ok: false }>;
      expect(bad).toMatchObject({ ok: false, name: 'InvalidJobSpec' });
      expect(JSON.parse(bad.message)).toMatchObject({ input: 'params.iterations' });
    } finally {
      await pool.destroy();
    }
  }, 60_000);

  it("a thread asked for one glm handler loads that module, not the registry nor another pipeline's modules", async () => {
    // a module-load hook in a fresh process lists every project module the thread evaluates
    const hook = `data:text/javascript,${encodeURIComponent("export async function load(u, c, n) { if (u.startsWith('file:') && !u.includes('/node_modules/')) process.stderr.write('LOADED ' + u + '\\n'); return n(u, c); }")}`;
    const script = [
      "import { register } from 'node:module';",
      `register(${JSON.stringify(hook)});`,
      `const { loadHandler } = await import(${JSON.stringify(new URL('../runner/worker.ts', import.meta.url).href)});`,
      "if (typeof (await loadHandler('GlmSlab')) !== 'function') throw new Error('no GlmSlab');",
    ].join('\n');
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { cwd: ROOT });
    const loaded = [...stderr.matchAll(/^LOADED file:\/\/(.*)$/gm)].map((m) => m[1]!.slice(ROOT.length));
    expect(loaded).toContain('functions/glm-slab.ts');
    expect(loaded).not.toContain('functions/index.ts');
    expect(loaded.filter((f) => f.startsWith('functions/') && f !== 'functions/glm-slab.ts')).toEqual([]);
    expect(loaded.filter((f) => /^shared\/pipelines\/(ale|reho|netmap|transcriptomics)\//.test(f) && !f.endsWith('/manifest.ts'))).toEqual([]);
  }, 60_000);
});

describe('runLocal validates a definition once per process', () => {
  it('an invalid definition is refused every time (only valid ones are remembered); the pool is closed', async () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Task', Resource: '${GlmSlabFunctionArn}', InputPath: 'not a path', End: true } } };
    for (let i = 0; i < 2; i++) {
      await expect(runLocal({ jobUri: 'file:///nowhere/job.json', pipeline: 'glm', definition: definition as never, outDir: tmpDir('nb-runner-def-'), threads: 1 })).rejects.toThrow(/definition is invalid[\s\S]*InputPath/);
    }
  }, 60_000);
});
