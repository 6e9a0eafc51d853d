import { task } from '../shared/runtime/task.ts';
import { poolSeedMaps } from '../shared/pipelines/netmap/maps.ts';

/** Pool the connectome chunks into every seed's maps; plan the specificity permutations. */
export const handler = task('netmapMaps', (e: { context: string }, env) => poolSeedMaps(env, e.context), (e) => ({ context: e.context, shard: 'maps' }));
