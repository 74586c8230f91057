#!/usr/bin/env node
// Regenerates the export golden files (apps/data-proxy/src/export/golden/) from the built code
// (`npm run build` first). Review the diff: the values follow spec §6.4–6.5 by hand (see the
// byte-level assertions in rpc-encoding.spec.ts and trajectory-export.spec.ts).
import { writeFileSync } from 'node:fs';
import { serializeTensor } from '../dist/apps/data-proxy/src/export/rpc-encoding.js';
import { exportTrajectory, TENSOR_KEYS, toJsonEntry } from '../dist/apps/data-proxy/src/export/trajectory-export.js';
import { cacheOf, fixedInteraction } from '../dist/apps/data-proxy/src/export/test-fixtures.js';

const dir = new URL('../apps/data-proxy/src/export/golden/', import.meta.url);
const write = (name, value) => writeFileSync(new URL(name, dir), JSON.stringify(value, null, 2) + '\n');
const [item] = exportTrajectory(cacheOf(fixedInteraction('a', { reward: 2 })), 'individual', 1);
write('individual-tensors.json', Object.fromEntries(TENSOR_KEYS.map((k) => [k, serializeTensor(item.tensors[k])])));
write('individual-json.json', toJsonEntry(item));
const first = fixedInteraction('t1', {
  chatTemplateType: 'concat',
  promptIds: Int32Array.from([1, 2, 3]),
  outputIds: Int32Array.from([10, 151645]),
  outputLogprobs: Float32Array.from([-1, -2]),
  outputVersions: Int32Array.from([0, 0]),
});
const second = fixedInteraction('t2', {
  chatTemplateType: 'concat',
  parentId: 't1',
  promptIds: Int32Array.from([1, 2, 3, 10, 151645, 4, 5]),
  outputIds: Int32Array.from([20, 151645]),
  outputLogprobs: Float32Array.from([-3, -4]),
  outputVersions: Int32Array.from([1, 1]),
  reward: 1,
});
const [leaf] = exportTrajectory(cacheOf(first, second), 'concat', 1);
write('concat-tensors.json', Object.fromEntries(TENSOR_KEYS.map((k) => [k, serializeTensor(leaf.tensors[k])])));
console.log('wrote export golden files');
