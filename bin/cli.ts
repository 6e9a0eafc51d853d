import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerDemo } from './demo.ts';
import { errorRecord } from '../shared/errors.ts';
import { EXIT, exitCodeFor, reportError } from './exit-codes.ts';
import { jobUriOf, runJob } from './run.ts';
import { explainCloudError } from './cloud/setup-errors.ts';

// the SDK's notice about future Node versions is noise on every command; set it to 'false' to see it
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command();
program
  .name('neuroburst')
  .description('group statistics and network mapping of neuroimaging cohorts, locally or on AWS')
  .version(VERSION, '-V, --version', 'print the version')
  .addHelpText(
    'after',
    `
Exit codes: 0 success; 1 internal error (a bug); 2 invalid input (job spec, input files, options);
3 budget refused (BudgetExceeded); 4 runtime failure (task failed or timed out, corrupt intermediate);
5 cloud not configured or unreachable (credentials, region, endpoint).`,
  )
  .exitOverride();

program
  .command('run')
  .description('run a job locally: the same state machine as on AWS, with local storage and worker threads')
  .argument('<job>', 'path or URI of job.json')
  .option('-o, --out <dir>', 'output folder (results in <dir>/<jobId>/)', './out')
  .option('-t, --threads <n>', 'worker threads (default: all cores)')
  .option('--no-progress', 'no progress bars or lines')
  .option('--json', 'print one JSON object (status, summary or error, paths) on stdout')
  .action(async (job: string, opts) => {
    process.exitCode = await runJob(job, opts);
  });

program
  .command('estimate')
  .description('validate a job and print its cost estimate without running it')
  .argument('<job>', 'path or URI of job.json')
  .option('--json', 'print the estimate as JSON')
  .action(async (job: string, opts: { json?: boolean }) => {
    const { estimateJob, formatEstimate } = await import('./estimate.ts');
    try {
      const r = await estimateJob(jobUriOf(job)).catch((e: unknown) => {
        throw explainCloudError(e);
      });
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatEstimate(r));
      // a job the run would refuse (over budget, nothing to analyse) exits with that error's code
      if (r.wouldFail) process.exitCode = exitCodeFor(r.wouldFail.error);
    } catch (e) {
      process.exitCode = reportError(e);
      if (opts.json) console.log(JSON.stringify({ status: 'failed', exitCode: process.exitCode, error: errorRecord(e) }, null, 2));
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
      process.exitCode = reportError(e);
    }
  });
connectome
  .command('demo')
  .description('write a synthetic connectome with two planted networks and an example netmap job, and run it')
  .option('-o, --out <dir>', 'output folder', './out')
  .option('-t, --threads <n>', 'worker threads (default: all cores)')
  .option('--no-progress', 'no progress bars')
  .option('--sweep', 'a sensitivity-sweep job instead (thresholds × diameters, subsets, leave-one-out, per coordinate; one connectome pass)')
  .action(async (opts) => {
    const { writeDemoNetmap } = await import('./connectome.ts');
    const jobPath = await writeDemoNetmap(join(resolve(opts.out), opts.sweep ? 'demo-netmap-sweep-input' : 'demo-netmap-input'), 1, 24, Boolean(opts.sweep));
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
      process.exitCode = reportError(e);
    }
  });

program
  .command('conjunction')
  .description('overlap of two result maps (minimum statistic; the second resampled onto the first by nearest neighbour when the grids differ), its clusters and their atlas regions')
  .argument('<a>', 'first result map (NIfTI), e.g. a GMV _grf map')
  .argument('<b>', 'second result map, e.g. a ReHo _grf map (any grid in the same space)')
  .option('--atlas <name|file>', "'aal' or 'brainnetome' (bundled; resampled onto the maps' grid when needed) or a label NIfTI (any grid)")
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
      process.exitCode = reportError(e);
    }
  });

(await import('./correlate.ts')).registerCorrelateCommand(program);
(await import('./parcellate.ts')).registerParcellateCommand(program);
(await import('./report.ts')).registerReportCommand(program);
(await import('./cloud/commands.ts')).registerCloudCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // commander has printed its message (unknown option, missing argument, --help, --version)
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.input;
  else process.exitCode = reportError(e);
}
