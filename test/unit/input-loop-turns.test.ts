import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../broker/logger.ts';
import { EngineState } from '../../scheduler/engine/engine-state.ts';
import { InputLoop } from '../../scheduler/engine/input-loop.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { tempDir } from '../helpers.ts';

function newLoop(t: TestContext, statusBacklog?: () => Promise<void> | null) {
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  t.after(() => store.close());
  const state = new EngineState();
  const logger = createLogger('error', () => undefined);
  const loop = new InputLoop({
    store,
    state,
    logger,
    reload: async () => undefined,
    publish: () => undefined,
    ...(statusBacklog ? { statusBacklog } : {}),
  });
  return { store, state, loop };
}

/** Keeps the thread busy for `ms` (an input whose handling takes that long). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('what a batch hands on for the next tick (a socket write) happens before the next batch runs', async (t) => {
  const { state, loop } = newLoop(t);
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

test('a turn of slow inputs ends once it has run for a few milliseconds: the event loop turns before the rest', async (t) => {
  const { store, state, loop } = newLoop(t);
  // Each input takes at least 5 ms whatever the machine: past the turn's budget after the second one at the latest.
  const inputs = Array.from({ length: 6 }, (_, i) => ({
    label: `slow ${i}`,
    run: () => {
      busy(5);
      state.current().uow.states.push({ scope: 'test', name: `n${i}`, value: i }); // something to commit
    },
  }));
  let turned = -1;
  let handled = 0;
  setImmediate(() => (turned = handled));
  const before = store.commits;
  await Promise.all(inputs.map((input) => loop.submit({ ...input, run: () => (input.run(), handled++) })));
  assert.ok(store.commits - before >= 3, `${store.commits - before} commits for 6 inputs of 5 ms each`);
  assert.ok(turned >= 1 && turned < 6, `the event loop turned after ${turned} of 6 inputs`);
});

test('no turn starts while committed status events wait for a request; it starts once they have left', async (t) => {
  let release!: () => void;
  let backlog: Promise<void> | null = new Promise<void>((resolve) => (release = resolve));
  const { loop } = newLoop(t, () => backlog);
  let ran = false;
  const handled = loop.submit({ label: 'waits', run: () => (ran = true) });
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ran, false, 'held back while behind');
  backlog = null;
  release();
  assert.equal(await handled, true);
});

test('a backlog that never clears (requests waiting for their time-out) holds a turn back for a while only', async (t) => {
  const { loop } = newLoop(t, () => new Promise<void>(() => undefined));
  assert.equal(await loop.submit({ label: 'runs anyway', run: () => 'ran' }), 'ran');
});
