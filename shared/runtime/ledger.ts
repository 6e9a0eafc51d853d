/**
 * The resume ledger of one task invocation, kept by the verified work store
 * (`storage/work-store.ts`): how many intermediates it found valid (work skipped), found
 * corrupt (work recomputed) and wrote. `task()` records the counts in the invocation's
 * metrics and bills the recorded compute time of the batch items it reused (`batchTask`
 * records each item's time when it computes), and an invocation that skipped everything
 * keeps the billed time of the attempt that did the work.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ResumeLedger {
  /** intermediates that existed and verified (the skip test passed) */
  skipped: number;
  /** intermediates that existed but failed verification (their shard recomputes) */
  recomputed: number;
  /** intermediates written */
  written: number;
  /** compute ms recorded by earlier attempts for the batch items this invocation reused */
  earlierMs: number;
}

const scope = new AsyncLocalStorage<ResumeLedger>();

export function newLedger(): ResumeLedger {
  return { skipped: 0, recomputed: 0, written: 0, earlierMs: 0 };
}

/** Run `fn` with `ledger` as the current invocation's ledger. */
export function withLedger<T>(ledger: ResumeLedger, fn: () => Promise<T>): Promise<T> {
  return scope.run(ledger, fn);
}

/** The ledger of the invocation running this code (undefined outside a task, e.g. a test calling a stage directly). */
export function currentLedger(): ResumeLedger | undefined {
  return scope.getStore();
}
