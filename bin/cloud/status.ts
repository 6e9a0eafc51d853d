/**
 * `neuroburst status <jobId> --bucket B [--results-bucket R] [--stack Neuroburst]`:
 * the execution name is re-derived from job.json's current version and etag (as the
 * trigger does), so the router and pipeline executions are described directly; stage and
 * shards done/total come from the execution history (inline Maps) and DescribeMapRun
 * (Distributed Maps); cost so far from the workers' metrics records in the results bucket.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { actualCost } from '../../shared/jobs/cost.ts';
import type { TaskType } from '../../shared/jobs/cost.ts';
import { parseJobText } from '../../shared/jobs/parse.ts';
import { S3Store, assertSafeKey } from '../../shared/storage/index.ts';
import { executionName } from '../../runner/local-trigger.ts';
import { s3, sfnClient } from './clients.ts';
import type { SfnClient } from './clients.ts';

export interface HistoryEvent {
  type: string;
  id?: number;
  stateEnteredEventDetails?: { name: string };
  mapStateStartedEventDetails?: { length?: number };
  mapRunStartedEventDetails?: { mapRunArn: string };
}

export interface MapProgress {
  state: string;
  done: number;
  total: number;
  failed: number;
  distributed: boolean;
}

/** Stage (last state entered), transitions so far and inline Map progress from an execution history (oldest first). */
export function summariseHistory(events: HistoryEvent[]): { stage?: string; transitions: number; maps: MapProgress[]; mapRunArns: { state: string; arn: string }[] } {
  let stage: string | undefined;
  let transitions = 0;
  let currentMap: string | undefined;
  const maps = new Map<string, MapProgress>();
  const mapRunArns: { state: string; arn: string }[] = [];
  for (const e of events) {
    if (e.type.endsWith('StateEntered')) {
      transitions += 1;
      stage = e.stateEnteredEventDetails?.name ?? stage;
      if (e.type === 'MapStateEntered' && stage) currentMap = stage;
    } else if (e.type === 'MapStateStarted' && currentMap) {
      maps.set(currentMap, { state: currentMap, done: 0, total: e.mapStateStartedEventDetails?.length ?? 0, failed: 0, distributed: false });
    } else if (e.type === 'MapIterationSucceeded' && currentMap) {
      maps.get(currentMap)!.done += 1;
    } else if (e.type === 'MapIterationFailed' && currentMap) {
      maps.get(currentMap)!.failed += 1;
    } else if (e.type === 'MapRunStarted' && currentMap && e.mapRunStartedEventDetails) {
      mapRunArns.push({ state: currentMap, arn: e.mapRunStartedEventDetails.mapRunArn });
    }
  }
  return { stage, transitions, maps: [...maps.values()], mapRunArns };
}

async function history(sfn: SfnClient, executionArn: string, maxPages = 50): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const r = await sfn.send<{ events: HistoryEvent[]; nextToken?: string }>('GetExecutionHistory', { executionArn, maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) });
    events.push(...r.events);
    nextToken = r.nextToken;
    if (!nextToken) break;
  }
  return events;
}

async function findMachine(sfn: SfnClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const r = await sfn.send<{ stateMachines: { name: string; stateMachineArn: string }[]; nextToken?: string }>('ListStateMachines', { maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    const hit = r.stateMachines.find((m) => m.name === name);
    if (hit) return hit.stateMachineArn;
    nextToken = r.nextToken;
  } while (nextToken);
  return undefined;
}

export interface JobStatus {
  jobId: string;
  pipeline: string;
  executionName: string;
  router?: { status: string; startDate?: unknown; stopDate?: unknown; error?: string; cause?: string };
  pipelineExecution?: { status: string; startDate?: unknown; stopDate?: unknown; error?: string; cause?: string };
  stage?: string;
  maps: MapProgress[];
  cost?: { lambdaGbSeconds: number; invocations: number; usdSoFar: number };
}

export async function jobStatus(jobId: string, opts: { bucket: string; resultsBucket?: string; stack?: string; prefix?: string }): Promise<JobStatus> {
  assertSafeKey(jobId, 'jobId');
  const stack = opts.stack ?? 'Neuroburst';
  const key = `${(opts.prefix ?? 'jobs').replace(/\/+$/, '')}/${jobId}/job.json`;
  const head = await s3().send(new HeadObjectCommand({ Bucket: opts.bucket, Key: key }));
  const job = parseJobText(await new S3Store({ bucket: opts.bucket }).getText(key), 'job.json');
  const name = executionName({ bucket: opts.bucket, key, versionId: head.VersionId ?? '', etag: (head.ETag ?? '').replace(/^"|"$/g, '') });
  const out: JobStatus = { jobId, pipeline: job.pipeline, executionName: name, maps: [] };
  const sfn = sfnClient();
  const describe = async (machine: string) => {
    const arn = await findMachine(sfn, `${stack}-${machine}`);
    if (!arn) return undefined;
    const execArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      const d = await sfn.send<{ status: string; startDate?: unknown; stopDate?: unknown; error?: string; cause?: string }>('DescribeExecution', { executionArn: execArn });
      return { arn: execArn, d };
    } catch (e) {
      if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw e;
    }
  };
  const router = await describe('router');
  if (router) out.router = { status: router.d.status, startDate: router.d.startDate, stopDate: router.d.stopDate, error: router.d.error, cause: router.d.cause };
  const run = await describe(job.pipeline);
  let transitions = 0;
  if (run) {
    out.pipelineExecution = { status: run.d.status, startDate: run.d.startDate, stopDate: run.d.stopDate, error: run.d.error, cause: run.d.cause };
    const h = summariseHistory(await history(sfn, run.arn));
    out.stage = h.stage;
    out.maps = h.maps;
    transitions = h.transitions;
    for (const m of h.mapRunArns) {
      const r = await sfn.send<{ itemCounts: { total: number; succeeded: number; failed: number } }>('DescribeMapRun', { mapRunArn: m.arn });
      out.maps.push({ state: m.state, done: r.itemCounts.succeeded, total: r.itemCounts.total, failed: r.itemCounts.failed, distributed: true });
    }
  }
  if (opts.resultsBucket) {
    const store = new S3Store({ bucket: opts.resultsBucket, prefix: `work/${jobId}` });
    const records: { task: TaskType; billedMs: number }[] = [];
    for await (const k of store.list('')) {
      if (!k.includes('/metrics/') || !k.endsWith('.json')) continue;
      const m = JSON.parse(await store.getText(k)) as { task: TaskType; billedMs: number };
      records.push({ task: m.task, billedMs: m.billedMs });
    }
    const c = actualCost(records, transitions);
    out.cost = { lambdaGbSeconds: c.lambdaGbSeconds, invocations: c.invocations, usdSoFar: c.usd };
  }
  return out;
}

export function formatStatus(s: JobStatus): string {
  const lines = [`job ${s.jobId} (${s.pipeline}), execution ${s.executionName}`];
  lines.push(`  router:   ${s.router ? s.router.status : 'not started (yet)'}`);
  lines.push(`  pipeline: ${s.pipelineExecution ? s.pipelineExecution.status : 'not started (yet)'}${s.stage ? `, stage ${s.stage}` : ''}`);
  for (const m of s.maps) lines.push(`    ${m.state}: ${m.done}/${m.total} shards done${m.failed ? `, ${m.failed} failed` : ''}${m.distributed ? ' (Distributed Map)' : ''}`);
  const err = s.pipelineExecution?.error ?? s.router?.error;
  if (err) lines.push(`  error: ${err}${s.pipelineExecution?.cause ?? s.router?.cause ? `: ${s.pipelineExecution?.cause ?? s.router?.cause}` : ''}`);
  if (s.cost) lines.push(`  cost so far: $${s.cost.usdSoFar.toFixed(4)} (${s.cost.lambdaGbSeconds.toFixed(1)} Lambda GB-s, ${s.cost.invocations} invocations)`);
  return lines.join('\n');
}
