import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../broker/logger.ts';
import { EngineState } from '../../scheduler/engine/engine-state.ts';
import { InputLoop } from '../../scheduler/engine/input-loop.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { tempDir } from '../helpers.ts';

test('what a batch hands on for the next tick (a socket write) happens before the next batch runs', async (t) => {
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  t.after(() => store.close());
  const state = new EngineState();
  const loop = new InputLoop({
    store,
    state,
    logger: createLogger('error', () => undefined),
    reload: async () => undefined,
    publish: () => undefined,
  });
  let written = false;
  let next: Promise<boolean> | undefined;
  await loop.submit({
    label: 'first',
    run: () => {
      state.current().effects.push(() => {
        // As the MQTT client does with a publish: the write happens on the next tick.
        process.nextTick(() => (written = true));
        // An input that arrives meanwhile (a task report) runs in the next batch.
        next = loop.submit({ label: 'second', run: () => written });
      });
    },
  });
  assert.equal(await next, true);
});
