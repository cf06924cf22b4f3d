import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client, PublishPacket } from 'aedes';
import { RECENT_PACKET_IDS, ResendFilter } from '../../broker/resend-filter.ts';

const client = (id: string, clean: boolean) => ({ id, clean }) as unknown as Client;
const publish = (messageId: number, qos: 1 | 2, dup: boolean, topic = 'ns/d/k') =>
  ({ cmd: 'publish', topic, payload: 'v', qos, dup, retain: false, messageId }) as PublishPacket;

test('QoS 1: only a DUP resend with the same id and topic in the same persistent session is a resend', () => {
  const filter = new ResendFilter();
  const stored = Promise.resolve();
  const first = client('p', false);
  filter.remember(first, publish(5, 1, false), stored);
  const again = client('p', false); // the same session on a new connection
  assert.equal(filter.original(again, publish(5, 1, true)), stored);
  assert.equal(filter.original(again, publish(5, 1, false)), undefined, 'no DUP: a new message');
  assert.equal(filter.original(again, publish(5, 1, true, 'ns/d/other')), undefined, 'another topic');
  assert.equal(filter.original(client('q', false), publish(5, 1, true)), undefined, 'another session');
  filter.connected(client('p', true));
  assert.equal(filter.original(again, publish(5, 1, true)), undefined, 'a clean session forgets');
});

test('QoS 1 in a clean session is not remembered: it is never resent into the same session', () => {
  const filter = new ResendFilter();
  const c = client('c', true);
  filter.remember(c, publish(1, 1, false), Promise.resolve());
  assert.equal(filter.original(c, publish(1, 1, true)), undefined);
});

test('QoS 2: the same id is a resend until PUBREL, with or without DUP', () => {
  const filter = new ResendFilter();
  const stored = Promise.resolve();
  const c = client('c', true);
  filter.remember(c, publish(7, 2, false), stored);
  assert.equal(filter.original(c, publish(7, 2, false)), stored);
  assert.equal(filter.original(c, publish(7, 2, true)), stored);
  filter.released(c, 7);
  assert.equal(filter.original(c, publish(7, 2, true)), undefined);
});

test('a session remembers its most recent QoS 1 packet ids only, and forgets a failed append', () => {
  const filter = new ResendFilter();
  const c = client('p', false);
  for (let id = 1; id <= RECENT_PACKET_IDS + 1; id += 1)
    filter.remember(c, publish(id, 1, false), Promise.resolve());
  assert.equal(filter.original(c, publish(1, 1, true)), undefined, 'the oldest is forgotten');
  assert.ok(filter.original(c, publish(2, 1, true)));
  const failed = Promise.resolve();
  filter.remember(c, publish(9, 1, false), failed);
  filter.forget(c, publish(9, 1, false), failed);
  assert.equal(filter.original(c, publish(9, 1, true)), undefined);
});
