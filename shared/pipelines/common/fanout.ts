/**
 * The fan-out descriptor a plan step hands to a Distributed Map: the item list written to
 * storage once (ItemReader), items per child execution (ItemBatcher) and where the map
 * run's results are exported (ResultWriter). Every Map whose item count grows with the data
 * is a Distributed Map over such a list, so its items never enter the parent execution's
 * history (25,000 events) and it is not held to an inline Map's 40 concurrent iterations.
 */
import type { Store } from '../../storage/index.ts';
import { bucketKeyOf, writeItemList, type BucketKey } from '../../storage/items.ts';

export interface FanOut {
  /** false: nothing to run (the workflow's Choice skips the Map) */
  present: boolean;
  items?: BucketKey;
  count: number;
  itemsPerWorker: number;
  resultsPrefix?: string;
}

/** Write `<workDir>/items/<name>.json` and describe the Map run over it; idempotent (same items, same keys). */
export async function fanOut(store: Store, workDir: string, name: string, items: readonly unknown[], itemsPerWorker = 1): Promise<FanOut> {
  if (items.length === 0) return { present: false, count: 0, itemsPerWorker };
  return {
    present: true,
    items: await writeItemList(store, `${workDir}/items/${name}.json`, items),
    count: items.length,
    itemsPerWorker,
    resultsPrefix: bucketKeyOf(store, `${workDir}/map-runs/${name}`).key,
  };
}
