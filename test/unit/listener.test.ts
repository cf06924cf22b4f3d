import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Listener, type ListenerDeps } from '../../client/listener.ts';
import type { Event } from '../../protocol/event.ts';
import type { EventFilter } from '../../protocol/rpc.ts';
import { Collector, deferred } from '../helpers.ts';

const ev = (offset: number, key = 'k', namespace = 'default'): Event => ({
  offset,
  key,
  value: '',
  namespace,
  sender: 's',
  context: null,
  createTime: offset,
});

/** A fake log: pure unit tests of the delivery algorithm, no broker. */
function fakeLog(events: Event[]) {
  const deps: ListenerDeps & { errors: unknown[] } = {
    errors: [],
    fetch: async (f: EventFilter, limit: number) =>
      events
        .filter((e) => e.offset > (f.beginOffset ?? 0) && e.namespace === f.namespace)
        .filter((e) => !f.keys || f.keys.includes(e.key))
        .slice(0, limit),
    onProcessorError: (error) => deps.errors.push(error),
    onFetchError: (error) => deps.errors.push(error),
  };
  return deps;
}

test('catch-up reads the log after the cursor, in offset order', async () => {
  const collector = new Collector();
  const log = fakeLog([ev(1), ev(2), ev(3, 'other'), ev(4)]);
  const listener = new Listener('l', { namespace: 'default', keys: ['k'], afterOffset: 1 }, collector, log);
  await listener.catchUp();
  await collector.waitFor(2);
  assert.deepEqual(collector.offsets, [2, 4]);
});

test('live events during catch-up are held back, then delivered once, in order', async () => {
  const collector = new Collector();
  const gate = deferred();
  const log = fakeLog([ev(1), ev(2), ev(3)]);
  const fetch = log.fetch;
  log.fetch = async (f, limit) => {
    await gate.promise;
    return fetch(f, limit);
  };
  const listener = new Listener('l', { namespace: 'default', keys: null, afterOffset: 0 }, collector, log);
  const catchingUp = listener.catchUp();
  listener.onLiveEvents([ev(4)]);
  listener.onLiveEvents([ev(3)]); // also in the log: a duplicate
  gate.resolve();
  await catchingUp;
  listener.onLiveEvents([ev(4)]); // repeated delivery
  listener.onLiveEvents([ev(5)]);
  await collector.waitFor(5);
  assert.deepEqual(collector.offsets, [1, 2, 3, 4, 5]);
});

test('a live event that comes before the first catch-up waits for it: the events before it are not skipped', async () => {
  // The subscription is acknowledged, and may deliver, before the catch-up starts (a scheduler restarting while
  // its committed status events are being published).
  const collector = new Collector();
  const log = fakeLog([ev(1), ev(2), ev(3)]);
  const listener = new Listener('l', { namespace: 'default', keys: null, afterOffset: 0 }, collector, log);
  listener.onLiveEvents([ev(3)]);
  await listener.catchUp();
  await collector.waitFor(3);
  assert.deepEqual(collector.offsets, [1, 2, 3]);
});

test('after hold (a reconnect), live events wait for the next catch-up: no gap', async () => {
  const collector = new Collector();
  const events = [ev(1)];
  const listener = new Listener(
    'l',
    { namespace: 'default', keys: null, afterOffset: 0 },
    collector,
    fakeLog(events),
  );
  await listener.catchUp();
  await collector.waitFor(1);
  listener.hold();
  events.push(ev(2), ev(3)); // stored while the connection was down
  listener.onLiveEvents([ev(3)]); // delivered by the new subscription before the catch-up starts
  await listener.catchUp();
  await collector.waitFor(3);
  assert.deepEqual(collector.offsets, [1, 2, 3]);
});

test('events of another namespace or key are ignored', async () => {
  const collector = new Collector();
  const listener = new Listener('l', { namespace: 'a', keys: ['k'], afterOffset: 0 }, collector, fakeLog([]));
  await listener.catchUp();
  listener.onLiveEvents([ev(1, 'k', 'b')]);
  listener.onLiveEvents([ev(2, 'x', 'a')]);
  listener.onLiveEvents([ev(3, 'k', 'a')]);
  await collector.waitFor(1);
  assert.deepEqual(collector.offsets, [3]);
});

test('a processor that throws is reported and the next events still arrive', async () => {
  const collector = new Collector();
  const log = fakeLog([]);
  const listener = new Listener(
    'l',
    { namespace: 'default', keys: null, afterOffset: 0 },
    {
      process(events) {
        collector.process(events);
        if (events.some((e) => e.offset === 1)) throw new Error('boom');
      },
    },
    log,
  );
  await listener.catchUp();
  listener.onLiveEvents([ev(1)]);
  await collector.waitFor(1);
  listener.onLiveEvents([ev(2)]);
  await collector.waitFor(2);
  assert.deepEqual(collector.offsets, [1, 2]);
  assert.equal((log.errors[0] as Error).message, 'boom');
});

test('a failed catch-up is reported and retried without opening a gap', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const collector = new Collector();
  const log = fakeLog([ev(1), ev(2)]);
  const fetch = log.fetch;
  let failures = 1;
  log.fetch = async (f, limit) => {
    if (failures-- > 0) throw new Error('offline');
    return fetch(f, limit);
  };
  const listener = new Listener('l', { namespace: 'default', keys: null, afterOffset: 0 }, collector, log);
  await listener.catchUp();
  listener.onLiveEvents([ev(3)]); // held back: the log read has not succeeded yet
  assert.deepEqual(collector.offsets, []);
  t.mock.timers.tick(1_000);
  await collector.waitFor(3);
  assert.deepEqual(collector.offsets, [1, 2, 3]);
  assert.equal((log.errors[0] as Error).message, 'offline');
  await listener.stop();
});
