/**
 * A healthy subscriber's throughput with and without a subscriber that never reads its socket.
 *
 * Our broker runs in this process (durability `full`, default queue bounds); one MQTT.js subscriber on
 * `ns/default/#` counts every event; 4 publishers each keep 64 QoS 1 publishes of 64 bytes outstanding. In the
 * "stuck" variant a raw TCP client subscribes to `ns/default/#` at QoS 1 with keep-alive 0 and then never reads.
 * events/s = events / (first publish → the healthy subscriber has the last one). Variants interleaved, 3 rounds.
 *
 *   node --import tsx bench/slow-consumer.bench.ts          (BENCH_EVENTS, default 40000; BENCH_ROUNDS, default 3)
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { createLogger, startBroker, type LogRecord } from '../broker/index.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 40_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PUBLISHERS = 4;
const WINDOW = 64;
const PAYLOAD = 'x'.repeat(64);

interface Run {
  eventsPerSecond: number;
  /** Whether the stuck subscriber was disconnected during the run. */
  stuckCut: boolean;
}

async function connectClient(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
}

/** Subscribes to `ns/default/#` over a raw socket, then stops reading it. */
async function stuckSubscriber(port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined); // the broker cuts it: that is the point
  await once(socket, 'connect');
  const parser = mqttPacket.parser();
  const suback = new Promise<void>((resolve) => parser.on('packet', (p) => p.cmd === 'suback' && resolve()));
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  const packets: mqttPacket.Packet[] = [
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'stuck', keepalive: 0 },
    { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ns/default/#', qos: 1 }] },
  ];
  for (const packet of packets) socket.write(mqttPacket.generate(packet));
  await suback;
  socket.removeAllListeners('data');
  socket.pause();
  return socket;
}

function publishAll(client: MqttClient, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const next = () => {
      sent += 1;
      client.publish('ns/default/load', PAYLOAD, { qos: 1 }, (error) => {
        if (error) return reject(error);
        acked += 1;
        if (sent < count) next();
        else if (acked === count) resolve();
      });
    };
    for (let i = 0; i < Math.min(WINDOW, count); i += 1) next();
  });
}

async function measure(withStuck: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'aiflow-slow-consumer-'));
  const records: LogRecord[] = [];
  const broker = await startBroker({
    dbFile: join(dir, 'aiflow.db'),
    port: 0,
    logger: createLogger('warn', (r) => records.push(r)),
  });
  const clients: MqttClient[] = [];
  let stuck: Socket | undefined;
  try {
    if (withStuck) stuck = await stuckSubscriber(broker.port);
    const healthy = await connectClient(broker.url);
    clients.push(healthy);
    let received = 0;
    const all = new Promise<void>((resolve) =>
      healthy.on('message', () => {
        received += 1;
        if (received === EVENTS) resolve();
      }),
    );
    await healthy.subscribeAsync('ns/default/#', { qos: 1 });
    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, () => connectClient(broker.url)));
    clients.push(...publishers);
    const started = performance.now();
    await Promise.all(publishers.map((p) => publishAll(p, EVENTS / PUBLISHERS)));
    await all;
    const seconds = (performance.now() - started) / 1000;
    return {
      eventsPerSecond: EVENTS / seconds,
      stuckCut: records.some((r) => r.fields.code === 'SLOW_CONSUMER'),
    };
  } finally {
    stuck?.destroy();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function summary(runs: Run[]): string {
  const rates = runs.map((r) => r.eventsPerSecond).sort((a, b) => a - b);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const median = rates[Math.floor(rates.length / 2)]!;
  return `min ${fmt(rates[0]!)} / median ${fmt(median)} / max ${fmt(rates.at(-1)!)} events/s`;
}

async function main(): Promise<void> {
  if (EVENTS % PUBLISHERS !== 0) throw new Error(`BENCH_EVENTS must be a multiple of ${PUBLISHERS}`);
  const alone: Run[] = [];
  const beside: Run[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    alone.push(await measure(false));
    beside.push(await measure(true));
    process.stderr.write(
      `round ${round}: alone ${Math.round(alone.at(-1)!.eventsPerSecond)} events/s, beside a stuck subscriber ` +
        `${Math.round(beside.at(-1)!.eventsPerSecond)} events/s (stuck one cut: ${beside.at(-1)!.stuckCut})\n`,
    );
  }
  const median = (runs: Run[]) => runs.map((r) => r.eventsPerSecond).sort((a, b) => a - b)[runs.length >> 1]!;
  console.log(
    `healthy subscriber, ${EVENTS} events of 64 B, QoS 1, ${PUBLISHERS} publishers x ${WINDOW} in flight`,
  );
  console.log(`  alone:                     ${summary(alone)}`);
  console.log(`  beside a stuck subscriber: ${summary(beside)}`);
  console.log(`  ratio (medians): ${(median(beside) / median(alone)).toFixed(2)}x (target >= 0.8x)`);
  console.log(
    `  stuck subscriber disconnected in ${beside.filter((r) => r.stuckCut).length} of ${ROUNDS} runs`,
  );
}

await main();
