import { describe, expect, it } from 'vitest';
import { MANIFESTS } from '../shared/pipelines/manifests.ts';
import { PIPELINES } from '../shared/pipelines/registry.ts';
import { PIPELINE_NAMES, pipelineValidation } from '../shared/pipelines/validators.ts';
import { parseJobText } from '../shared/jobs/parse.ts';
import { loadJobText } from '../shared/jobs/load-job.ts';

describe('each pipeline\'s validation, loaded on demand', () => {
  it('names the manifests\' pipelines, in their order', () => {
    expect(PIPELINE_NAMES).toEqual(MANIFESTS.map((m) => m.name));
  });

  it.each(MANIFESTS.map((m) => m.name))('%s: the very schema and validators the full registry holds', async (name) => {
    const v = (await pipelineValidation(name))!;
    const entry = PIPELINES[name]!;
    expect(v.jobSchema).toBe(entry.jobSchema);
    expect(v.validate).toBe(entry.validate);
    expect(v.validateEmbedded).toBe(entry.validateEmbedded);
    expect(entry.plan).toBeTypeOf('function');
    expect(await pipelineValidation(name)).toBe(v);
  });

  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty', '', 'GLM'])('%j is no pipeline', (name) => {
    expect(pipelineValidation(name)).toBeUndefined();
  });

  const glm = { jobId: 'j1', pipeline: 'glm', inputs: { participants: 'p.tsv' }, params: { contrasts: ['A-B'] } };
  const texts: [string, string][] = [
    ['not JSON', '{"jobId": '],
    ['an array', '[]'],
    ['null', 'null'],
    ['no pipeline', JSON.stringify({ ...glm, pipeline: undefined })],
    ['pipeline toString', JSON.stringify({ ...glm, pipeline: 'toString' })],
    ['pipeline 7', JSON.stringify({ ...glm, pipeline: 7 })],
    ['a bad jobId', JSON.stringify({ ...glm, jobId: '../x' })],
    ['an unknown field', JSON.stringify({ ...glm, extra: 1 })],
    ['an ale job without coordinates', JSON.stringify({ jobId: 'a', pipeline: 'ale', inputs: {}, params: {} })],
    ['a good glm job', JSON.stringify(glm)],
    ['a good ale job', JSON.stringify({ jobId: 'a', pipeline: 'ale', inputs: { coordinates: 'foci.txt' }, params: {} })],
  ];
  it.each(texts)('%s: loadJobText gives what parseJobText gives (the job, or the same refusal)', async (_what, text) => {
    const sync = (() => {
      try {
        return { job: parseJobText(text, 'job.json') };
      } catch (e) {
        const err = e as Error & { input?: string };
        return { error: [err.name, err.message, err.input] };
      }
    })();
    const lazy = await loadJobText(text, 'job.json').then(
      async ({ job, validation }) => {
        expect(validation).toBe(await pipelineValidation(job.pipeline));
        return { job };
      },
      (e: Error & { input?: string }) => ({ error: [e.name, e.message, e.input] }),
    );
    expect(lazy).toEqual(sync);
  });
});
