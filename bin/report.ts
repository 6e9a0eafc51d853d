/** `neuroburst report DIR`: regenerate DIR/report.html from a result folder of any pipeline. */
import { writeFileSync } from 'node:fs';
import { exitCodeFor } from './exit-codes.ts';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { errorRecord } from '../shared/errors.ts';
import { describeResultFolder, renderReportHtml } from '../shared/report/index.ts';

export async function regenerateReport(dir: string, opts: { inputs?: string; out?: string } = {}): Promise<string> {
  const desc = await describeResultFolder(resolve(dir), { ...(opts.inputs ? { inputsDir: resolve(opts.inputs) } : {}), generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
  const out = opts.out ? resolve(opts.out) : join(resolve(dir), 'report.html');
  writeFileSync(out, await renderReportHtml(desc));
  return out;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('regenerate report.html of a result folder (result.json, job.json, maps/, tables/)')
    .argument('<dir>', 'result folder, e.g. out/<jobId>')
    .option('--inputs <dir>', "folder the job's relative inputs resolve against (the folder of the job.json that was run), for input checksums, the design matrix, FD traces and the atlas a transcriptomics report paints its regions on")
    .option('-o, --out <file>', 'write the report here instead of <dir>/report.html')
    .action(async (dir: string, opts: { inputs?: string; out?: string }) => {
      try {
        console.log(`neuroburst: report written to ${await regenerateReport(dir, opts)}`);
      } catch (e) {
        const r = errorRecord(e);
        console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
        process.exitCode = exitCodeFor(r.error);
      }
    });
}
