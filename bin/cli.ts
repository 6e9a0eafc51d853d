import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { runLocal, storeSettings, useStore } from '../runner/local.ts';
import { recordFailure } from '../shared/runtime/failure.ts';
import { taskEnv } from '../shared/runtime/task.ts';
import type { LocalRunOutcome } from '../runner/local.ts';
import { registerDemo } from './demo.ts';
import { errorRecord } from '../shared/errors.ts';
import { parseJobText } from '../shared/jobs/parse.ts';
import { readUri } from '../shared/storage/index.ts';

function jobUriOf(ref: string): string {
  return /^[a-z0-9]+:\/\//.test(ref) ? ref : pathToFileURL(resolve(ref)).href;
}

function summarise(outcome: LocalRunOutcome, outDir: string, jobId: string): number {
  const dir = join(resolve(outDir), jobId);
  if (outcome.status === 'failed') {
    console.error(`\nneuroburst: job failed: ${outcome.error}: ${outcome.message}`);
    console.error(`error record: ${join(dir, 'error.json')}`);
    return 1;
  }
  console.log(`\nneuroburst: done in ${outcome.seconds.toFixed(1)} s; results in ${dir}`);
  return 0;
}

async function runJob(jobRef: string, opts: { out: string; threads?: string; progress: boolean }): Promise<number> {
  const jobUri = jobUriOf(jobRef);
  let pipeline: string;
  let jobId: string;
  try {
    const job = parseJobText(new TextDecoder().decode(await readUri(jobUri)), 'job.json');
    pipeline = job.pipeline;
    jobId = job.jobId;
  } catch (e) {
    // no workflow for a job that cannot be parsed: report its own error and write error.json
    // where the failure recorder of every workflow would (invalid-job/ when it names no usable jobId)
    const r = errorRecord(e);
    useStore(storeSettings({ outDir: opts.out }));
    await recordFailure(taskEnv(), jobUri, { Error: r.error, Cause: JSON.stringify(r) });
    console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
    return 1;
  }
  const outcome = await runLocal({
    jobUri,
    pipeline,
    outDir: opts.out,
    threads: opts.threads ? Number(opts.threads) : undefined,
    progress: opts.progress && process.stderr.isTTY,
  });
  return summarise(outcome, opts.out, jobId);
}

const program = new Command();
program.name('neuroburst').description('group statistics and network mapping of neuroimaging cohorts, locally or on AWS');

program
  .command('run')
  .description('run a job locally: the same state machine as on AWS, with local storage and worker threads')
  .argument('<job>', 'path or URI of job.json')
  .option('-o, --out <dir>', 'output folder (results in <dir>/<jobId>/)', './out')
  .option('-t, --threads <n>', 'worker threads (default: all cores)')
  .option('--no-progress', 'no progress bars')
  .action(async (job: string, opts) => {
    process.exitCode = await runJob(job, opts);
  });

program
  .command('estimate')
  .description('validate a job and print its cost estimate without running it')
  .argument('<job>', 'path or URI of job.json')
  .action(async (job: string) => {
    const { estimateFor } = await import('./estimate.ts');
    try {
      const est = await estimateFor(jobUriOf(job));
      console.log(est);
    } catch (e) {
      const r = errorRecord(e);
      console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
      process.exitCode = 1;
    }
  });

registerDemo(program);

const connectome = program.command('connectome').description('prepare a normative connectome for network mapping (pipeline "netmap")');
connectome
  .command('pack')
  .description('pack preprocessed 4-D resting-state runs into neuroburst connectome format')
  .requiredOption('--runs <table>', 'CSV/TSV with columns subject, run (a 4-D NIfTI per row; several rows per subject for several runs)')
  .requiredOption('--mask <nifti>', 'brain mask on the runs\' grid (non-zero = in)')
  .requiredOption('-o, --out <dir>', 'output folder (connectome.json, mask.nii.gz, subjects/)')
  .option('--name <name>', 'connectome name recorded in results')
  .action(async (opts) => {
    const { packConnectome } = await import('./connectome.ts');
    try {
      const m = await packConnectome(opts.runs, opts.mask, opts.out, opts.name);
      console.log(`neuroburst: packed ${m.subjects.length} subjects (${m.subjects.reduce((a, s) => a + s.runs.length, 0)} runs, ${m.voxels} voxels) into ${join(resolve(opts.out), 'connectome.json')}`);
    } catch (e) {
      const r = errorRecord(e);
      console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
      process.exitCode = 1;
    }
  });
connectome
  .command('demo')
  .description('write a synthetic connectome with two planted networks and an example netmap job, and run it')
  .option('-o, --out <dir>', 'output folder', './out')
  .option('-t, --threads <n>', 'worker threads (default: all cores)')
  .option('--no-progress', 'no progress bars')
  .action(async (opts) => {
    const { writeDemoNetmap } = await import('./connectome.ts');
    const jobPath = await writeDemoNetmap(join(resolve(opts.out), 'demo-netmap-input'));
    console.log(`neuroburst: synthetic connectome and job written to ${jobPath}`);
    process.exitCode = await runJob(jobPath, opts);
  });

(await import('./maptools.ts')).registerMapTools(program);
program
  .command('demographics')
  .description('demographics and clinical table of a participants table: per-group summaries, ANOVA/Kruskal–Wallis, χ²/Fisher, pairwise Mann–Whitney U')
  .argument('<participants>', 'TSV or CSV participants table')
  .requiredOption('--group <column>', 'column holding the group')
  .option('--groups <a,b,…>', 'group order (default: sorted)')
  .option('--variables <a,b,…>', 'variables to report (default: every column but the group, participant_id and identifier-like text)')
  .option('--categorical <a,b,…>', 'numeric columns to treat as categorical (e.g. sex coded 0/1)')
  .option('--mann-whitney <a,b,…>', 'variables tested pairwise by Mann–Whitney U')
  .option('--kruskal [a,b,…]', 'Kruskal–Wallis instead of ANOVA (for the listed variables, or all)')
  .option('--fisher [auto]', "Fisher's exact test for categorical variables (always, or 'auto' when an expected count is < 5)")
  .option('--csv <file>', 'also write the table as CSV')
  .option('--json', 'print JSON')
  .action(async (file: string, opts) => {
    const { runDemographics } = await import('./demographics.ts');
    try {
      console.log(runDemographics(file, opts));
    } catch (e) {
      const r = errorRecord(e);
      console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
      process.exitCode = 1;
    }
  });

program
  .command('conjunction')
  .description('overlap of two result maps on one grid (minimum statistic), its clusters and their atlas regions')
  .argument('<a>', 'first result map (NIfTI), e.g. a GMV _grf map')
  .argument('<b>', 'second result map on the same grid, e.g. a ReHo _grf map')
  .option('--atlas <name|file>', "'aal' or 'brainnetome' (bundled, 2 or 3 mm MNI) or a label NIfTI on the same grid")
  .option('--labels <table>', 'label table of an atlas file (CSV/TSV index,name; AAL txt; LUT)')
  .option('--mode <min|both>', 'min: sign·min(|a|,|b|) where both share a sign; both: 1 where both are non-zero', 'min')
  .option('--connectivity <6|18|26>', 'cluster connectivity', '26')
  .option('--min-voxels <k>', 'smallest cluster reported', '1')
  .option('-o, --out <nifti>', 'write the conjunction map')
  .option('--csv <file>', 'write the cluster × region table')
  .option('--json', 'print JSON')
  .action(async (a: string, b: string, opts) => {
    const { runConjunction } = await import('./conjunction.ts');
    try {
      console.log(runConjunction(a, b, opts).text);
    } catch (e) {
      const r = errorRecord(e);
      console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
      process.exitCode = 1;
    }
  });

(await import('./report.ts')).registerReportCommand(program);
(await import('./cloud/commands.ts')).registerCloudCommands(program);
await program.parseAsync(process.argv);
