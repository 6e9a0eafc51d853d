import { handlers } from '../functions/index.ts';

export interface WorkerCall {
  name: string;
  event: unknown;
}

export type WorkerReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

/** Worker-thread entry: run one task handler. Errors travel as data so their names survive the thread boundary. */
export default async function run(call: WorkerCall): Promise<WorkerReply> {
  const h = handlers[call.name];
  if (!h) return { ok: false, name: 'UnknownTask', message: `no handler named ${call.name}` };
  try {
    return { ok: true, value: await h(call.event as never) };
  } catch (e) {
    const err = e as Error;
    return { ok: false, name: err?.name ?? 'Error', message: err?.message ?? String(e) };
  }
}
