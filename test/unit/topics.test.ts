import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AIFlowError } from '../../protocol/errors.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { eventTopic, isReservedTopic, parseEventTopic } from '../../protocol/topics.ts';
import { maySubscribe, routePublish } from '../../broker/topic-policy.ts';

const code = (code: string) => (error: unknown) => error instanceof AIFlowError && error.code === code;

test('parses ns/<namespace>/<key>, keys may contain slashes', () => {
  assert.deepEqual(parseEventTopic('ns/default/k'), { namespace: 'default', key: 'k' });
  assert.deepEqual(parseEventTopic('ns/plant-1/sensor/temp/3'), {
    namespace: 'plant-1',
    key: 'sensor/temp/3',
  });
  assert.deepEqual(parseEventTopic('ns/a.b_c/é✓'), { namespace: 'a.b_c', key: 'é✓' });
  assert.equal(eventTopic('default', 'sensor/x'), 'ns/default/sensor/x');
});

test('rejects topics outside the grammar', () => {
  assert.throws(() => parseEventTopic('ns'), code('INVALID_TOPIC'));
  assert.throws(() => parseEventTopic('ns/default'), code('INVALID_TOPIC'));
  assert.throws(() => parseEventTopic('other/default/k'), code('INVALID_TOPIC'));
});

test('rejects invalid namespaces: empty, bad characters, too long', () => {
  assert.throws(() => parseEventTopic('ns//k'), code('INVALID_NAMESPACE'));
  assert.throws(() => parseEventTopic('ns/bad ns/k'), code('INVALID_NAMESPACE'));
  assert.throws(() => parseEventTopic('ns/ü/k'), code('INVALID_NAMESPACE'));
  assert.throws(
    () => parseEventTopic(`ns/${'a'.repeat(LIMITS.namespaceMaxLength + 1)}/k`),
    code('INVALID_NAMESPACE'),
  );
  assert.deepEqual(parseEventTopic(`ns/${'a'.repeat(LIMITS.namespaceMaxLength)}/k`).key, 'k');
});

test('rejects invalid keys: empty, wildcards, NUL, too long', () => {
  assert.throws(() => parseEventTopic('ns/default/'), code('INVALID_KEY'));
  assert.throws(() => eventTopic('default', 'a+b'), code('INVALID_KEY'));
  assert.throws(() => eventTopic('default', 'a/#'), code('INVALID_KEY'));
  assert.throws(() => eventTopic('default', 'a\0b'), code('INVALID_KEY'));
  assert.throws(() => eventTopic('default', 'é'.repeat(LIMITS.keyMaxBytes / 2 + 1)), code('INVALID_KEY'));
  assert.equal(
    eventTopic('default', 'k'.repeat(LIMITS.keyMaxBytes)).length,
    'ns/default/'.length + LIMITS.keyMaxBytes,
  );
});

test('routes publishes: events, requests, reserved and plain topics', () => {
  assert.equal(routePublish('ns/default/k'), 'event');
  assert.equal(routePublish('ns'), 'event');
  assert.equal(routePublish('$aiflow/rpc'), 'rpc');
  assert.equal(routePublish('$aiflow/reply/x'), 'reserved');
  assert.equal(routePublish('$aiflow/consumed'), 'reserved');
  assert.equal(routePublish('home/lights'), 'plain');
  assert.ok(isReservedTopic('$aiflow/anything'));
});

test('reserved topics can be read only as reply topics of one client', () => {
  assert.ok(maySubscribe('ns/default/#'));
  assert.ok(maySubscribe('#'));
  assert.ok(maySubscribe('$aiflow/reply/me'));
  assert.ok(!maySubscribe('$aiflow/reply/+'));
  assert.ok(!maySubscribe('$aiflow/reply/#'));
  assert.ok(!maySubscribe('$aiflow/#'));
  assert.ok(!maySubscribe('$aiflow/rpc'));
  assert.ok(!maySubscribe('$aiflow/consumed'));
});
