/** The cloud subcommands of the CLI: submit, status, fetch (registered by bin/cli.ts). */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { errorRecord } from '../../shared/errors.ts';
import { join } from 'node:path';
import { EXIT, errorLine, exitCodeFor, reportError } from '../exit-codes.ts';
import { explainCloudError } from './setup-errors.ts';

/** Run a cloud command; a failure is printed by name (setup failures of the SDK say what to set) with its exit code. */
async function guarded(body: () => Promise<void>, what: string, json = false): Promise<void> {
  try {
    await body();
  } catch (e) {
    const err = explainCloudError(e, what);
    process.exitCode = reportError(err);
    if (json) console.log(JSON.stringify({ status: 'failed', exitCode: process.exitCode, error: errorRecord(err) }, null, 2));
  }
}

export function registerCloudCommands(program: Command): void {
  program
    .command('submit')
    .description('upload a job folder to the input bucket (job.json last: the upload starts the run on AWS)')
    .argument('<job>', 'path of job.json; every file beside and below it is uploaded')
    .requiredOption('-b, --bucket <bucket>', 'input bucket (stack output InputBucketName)')
    .action((job: string, opts: { bucket: string }) =>
      guarded(async () => {
        const { submitJob } = await import('./submit.ts');
        const r = await submitJob(job, { bucket: opts.bucket, onUpload: (k, n) => console.log(`  uploaded s3://${opts.bucket}/${k} (${n} bytes)`) });
        console.log(`neuroburst: submitted ${r.jobId} (${r.pipeline}): ${r.keys.length} objects, ${r.bytes} bytes; watch with: neuroburst status ${r.jobId} --bucket ${opts.bucket}`);
      }, `s3://${opts.bucket}`),
    );

  program
    .command('status')
    .description('stage, shards done/total and cost so far of a submitted job (Step Functions + S3)')
    .argument('<jobId>')
    .requiredOption('-b, --bucket <bucket>', 'input bucket')
    .option('-r, --results-bucket <bucket>', 'results bucket (for cost so far)')
    .option('-s, --stack <name>', 'stack name', 'Neuroburst')
    .option('--json', 'print JSON')
    .action((jobId: string, opts: { bucket: string; resultsBucket?: string; stack: string; json?: boolean }) =>
      guarded(async () => {
        const { jobStatus, formatStatus } = await import('./status.ts');
        const s = await jobStatus(jobId, opts);
        console.log(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      }, `the stack ${opts.stack} (S3 s3://${opts.bucket}, Step Functions)`, opts.json),
    );

  program
    .command('fetch')
    .description('download results/<jobId>/ from the results bucket')
    .argument('<jobId>')
    .requiredOption('-r, --results-bucket <bucket>', 'results bucket (stack output ResultsBucketName)')
    .option('-o, --out <dir>', 'output folder (files in <dir>/<jobId>/)', './out')
    .action((jobId: string, opts: { resultsBucket: string; out: string }) =>
      guarded(async () => {
        const { fetchResults } = await import('./fetch.ts');
        const r = await fetchResults(jobId, { bucket: opts.resultsBucket, out: opts.out });
        console.log(`neuroburst: ${r.files.length} files (${r.bytes} bytes) in ${r.dir}; job ${r.status}`);
        // a failed job exits with the class of its own error (error.json is in the folder); an incomplete one as a runtime failure
        if (r.status === 'failed') {
          const rec = JSON.parse(readFileSync(join(r.dir, 'error.json'), 'utf8')) as { error: string; message: string; input?: string };
          console.error(errorLine(rec));
          process.exitCode = exitCodeFor(rec.error);
        } else if (r.status !== 'succeeded') process.exitCode = EXIT.runtime;
      }, `s3://${opts.resultsBucket}`),
    );
}
