import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import { connectClient, startTestBroker } from '../helpers.ts';
import { RawMqtt } from '../raw-mqtt.ts';

function publish(messageId: number, qos: 1 | 2, payload: string, dup = false): IPublishPacket {
  return { cmd: 'publish', topic: 'ns/default/resent', payload, qos, messageId, dup, retain: false };
}

test('[MQTT-4.3.3-2] a QoS 2 PUBLISH sent three times before PUBREL is stored once; after PUBREL its id is new', async (t) => {
  const broker = await startTestBroker(t);
  const sdk = await connectClient(t, broker.url);
  const client = await RawMqtt.connect(t, broker.port, { clientId: 'qos2-sender' });

  const thirdPubrec = client.nextPackets(3, 'pubrec', 7);
  // One write: the broker parses the three copies from the same chunk, concurrently.
  client.socket.write(
    Buffer.concat(
      [publish(7, 2, 'once'), publish(7, 2, 'once', true), publish(7, 2, 'once', true)].map((p) =>
        mqttPacket.generate(p),
      ),
    ),
  );
  await thirdPubrec;
  const pubcomp = client.next('pubcomp', 7);
  client.send({ cmd: 'pubrel', messageId: 7 });
  await pubcomp;
  assert.deepEqual(
    (await sdk.listEvents({ keys: ['resent'] })).map((e) => [e.value, e.sender]),
    [['once', 'qos2-sender']],
  );

  // The exchange is complete: the same packet id now names a new message.
  const pubrec = client.next('pubrec', 7);
  client.send(publish(7, 2, 'again'));
  await pubrec;
  const done = client.next('pubcomp', 7);
  client.send({ cmd: 'pubrel', messageId: 7 });
  await done;
  assert.deepEqual(
    (await sdk.listEvents({ keys: ['resent'] })).map((e) => e.value),
    ['once', 'again'],
  );
});

test('[MQTT-3.3.1-1] a QoS 1 resend with DUP set after a reconnect of a persistent session is stored once', async (t) => {
  const broker = await startTestBroker(t);
  const sdk = await connectClient(t, broker.url);
  const session = { clientId: 'persistent-sender', clean: false };

  const first = await RawMqtt.connect(t, broker.port, session);
  const acked = first.next('puback', 9);
  first.send(publish(9, 1, 'one'));
  await acked;
  // The sender crashes as if the PUBACK had been lost, and resends on its next connection with DUP set.
  first.socket.destroy();
  await first.closed;
  const second = await RawMqtt.connect(t, broker.port, session);
  const reacked = second.next('puback', 9);
  second.send(publish(9, 1, 'one', true));
  await reacked;
  assert.deepEqual(
    (await sdk.listEvents({ keys: ['resent'] })).map((e) => e.value),
    ['one'],
  );

  // Without DUP the id is being reused for a new message [MQTT-2.3.1-6]; it is stored.
  const next = second.next('puback', 9);
  second.send(publish(9, 1, 'two'));
  await next;
  second.socket.destroy();
  await second.closed;

  // A clean session forgets everything of the earlier session [MQTT-3.1.2-6]: a DUP publish is then new to it.
  const clean = await RawMqtt.connect(t, broker.port, { clientId: 'persistent-sender', clean: true });
  const cleanAck = clean.next('puback', 9);
  clean.send(publish(9, 1, 'two', true));
  await cleanAck;
  assert.deepEqual(
    (await sdk.listEvents({ keys: ['resent'] })).map((e) => e.value),
    ['one', 'two', 'two'],
  );
});

test('a QoS 2 PUBLISH resent on a new connection of its persistent session, before PUBREL, is stored once', async (t) => {
  const broker = await startTestBroker(t);
  const sdk = await connectClient(t, broker.url);
  const session = { clientId: 'qos2-persistent', clean: false };
  const first = await RawMqtt.connect(t, broker.port, session);
  const pubrec = first.next('pubrec', 3);
  first.send(publish(3, 2, 'kept'));
  await pubrec;
  first.socket.destroy(); // the PUBREC is lost with the connection: the sender resends the PUBLISH
  await first.closed;
  const second = await RawMqtt.connect(t, broker.port, session);
  const again = second.next('pubrec', 3);
  second.send(publish(3, 2, 'kept', true));
  await again;
  const pubcomp = second.next('pubcomp', 3);
  second.send({ cmd: 'pubrel', messageId: 3 });
  await pubcomp;
  assert.deepEqual(
    (await sdk.listEvents({ keys: ['resent'] })).map((e) => e.value),
    ['kept'],
  );
});
