/**
 * The bad-input corpus for ALE and netmap: each case a tiny synthetic job, refused by name in
 * Validate (before any fan-out) naming the offending field or file, or accepted with a warning
 * in result.json and the CLI summary (test/helpers/bad-input-corpus.ts checks both). The cases
 * and their builders are in test/helpers/bad-inputs-ale-netmap.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../bin/run.ts';
import { exitCodeFor } from '../bin/exit-codes.ts';
import { tmpDir } from './helpers/tmp.ts';
import { describeCorpus } from './helpers/bad-input-corpus.ts';
import { aleCases, netmapCases, netmapJob, withNaNAt } from './helpers/bad-inputs-ale-netmap.ts';

describeCorpus('bad inputs: ALE', aleCases);
describeCorpus('bad inputs: netmap', netmapCases);

describe('netmap: a fault only the connectome workers can see', () => {
  it('a NaN past the Validate sample fails the job with InvalidConnectome naming the file, not the Map threshold error', async () => {
    const dir = tmpDir('nb-bad-deep-');
    // the last volume of subject 3's second run: beyond the 64 KiB Validate reads
    const job = netmapJob(dir, { connectome: { subjectBytes: (s, b) => (s === 2 ? withNaNAt(b, 23) : b) } });
    const r = await executeJob(job, { out: join(dir, '__out'), progress: false });
    expect(r.status).toBe('failed');
    expect(r.error?.error, JSON.stringify(r.error)).toBe('InvalidConnectome');
    expect(r.error?.input).toMatch(/subjects\/sub-0003\.f32$/);
    expect(r.error?.message).toMatch(/6410 non-finite value\(s\)/);
    expect(r.exitCode).toBe(exitCodeFor('InvalidConnectome'));
    const recorded = JSON.parse(readFileSync(r.errorRecord!, 'utf8'));
    expect(recorded.error).toBe('InvalidConnectome');
    expect(existsSync(join(r.resultsDir!, 'result.json'))).toBe(false);
  }, 120_000);
});
