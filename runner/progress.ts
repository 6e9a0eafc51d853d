/**
 * Progress of a local run: bars on a terminal (cli-progress), plain lines otherwise (a log,
 * a pipe, CI) — one when a stage starts and one when it finishes, with its shard counts.
 * The runner reports Task states (start/end) and Map states (start with items and
 * workers, one tick per finished worker with the items it covered).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  taskStart(state: string): void;
  taskEnd(state: string, ok: boolean): void;
  /** a Map state starts: `items` shards in `workers` invocations (batches; = items for an inline Map) */
  mapStart(state: string, items: number, workers: number): void;
  /** one worker of a Map finished, covering `items` shards */
  mapTick(state: string, items: number, ok: boolean): void;
  stop(): void;
}

export type ProgressMode = 'bars' | 'lines' | 'none';

interface MapCount {
  items: number;
  workers: number;
  doneWorkers: number;
  doneItems: number;
  failedItems: number;
  t0: number;
}

/** Lines on `write` (default stderr): `[   1.2 s] FitSlabs: 8 shards in 2 workers` … `FitSlabs: 8/8 shards done in 0.9 s`. */
export function lineProgress(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Progress {
  const t0 = performance.now();
  const started = new Map<string, number>();
  const maps = new Map<string, MapCount>();
  const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
  const secs = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;
  return {
    taskStart(state) {
      if (started.has(state)) return; // a task state runs once per job outside Maps
      started.set(state, performance.now());
      write(`${stamp()} ${state}: started`);
    },
    taskEnd(state, ok) {
      const from = started.get(state);
      if (from === undefined) return;
      write(`${stamp()} ${state}: ${ok ? 'done' : 'FAILED'} in ${secs(from)}`);
      started.delete(state);
    },
    mapStart(state, items, workers) {
      if (items === 0 || workers === 0) {
        write(`${stamp()} ${state}: 0 shards, nothing to run`);
        return;
      }
      maps.set(state, { items, workers, doneWorkers: 0, doneItems: 0, failedItems: 0, t0: performance.now() });
      write(`${stamp()} ${state}: ${items} shard(s)${workers !== items ? ` in ${workers} worker invocation(s)` : ''} started`);
    },
    mapTick(state, items, ok) {
      const m = maps.get(state);
      if (!m) return;
      m.doneWorkers += 1;
      if (ok) m.doneItems += items;
      else m.failedItems += items;
      if (m.doneWorkers === m.workers) {
        write(`${stamp()} ${state}: ${m.doneItems}/${m.items} shard(s) done${m.failedItems ? `, ${m.failedItems} FAILED` : ''} in ${secs(m.t0)}`);
        maps.delete(state);
      }
    },
    stop() {
      for (const [state, m] of maps) write(`${stamp()} ${state}: stopped at ${m.doneItems}/${m.items} shard(s)`);
      maps.clear();
    },
  };
}

/** Bars on stderr (a terminal): one per Task state (1 step) and one per Map (its shards). */
export function barProgress(): Progress {
  const bars = new cliProgress.MultiBar({ format: ' {stage} |{bar}| {value}/{total} shards | ETA {eta}s', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  const byState = new Map<string, cliProgress.SingleBar>();
  const label = (s: string) => ({ stage: s.padEnd(16) });
  return {
    taskStart(state) {
      if (!byState.has(state)) byState.set(state, bars.create(1, 0, label(state)));
    },
    taskEnd(state) {
      const b = byState.get(state);
      if (b && b.getProgress() < 1) b.increment();
    },
    mapStart(state, items) {
      byState.set(state, bars.create(items, 0, label(state)));
    },
    mapTick(state, items) {
      byState.get(state)?.increment(items);
    },
    stop() {
      bars.stop();
    },
  };
}

export function progressFor(mode: ProgressMode): Progress | undefined {
  return mode === 'bars' ? barProgress() : mode === 'lines' ? lineProgress() : undefined;
}
