import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';

let counter = 0;

/**
 * An MQTT 3.1.1 client written packet by packet over a TCP socket, for what MQTT.js will not send: resends with
 * DUP set, the same QoS 2 PUBLISH several times, malformed topics, a subscriber that stops reading.
 */
export class RawMqtt {
  readonly socket: Socket;
  readonly received: Packet[] = [];
  readonly closed: Promise<void>;
  #waiters: { done: () => boolean }[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = once(socket, 'close').then(() => undefined);
    const parser = mqttPacket.parser();
    parser.on('packet', (packet: Packet) => {
      this.received.push(packet);
      this.#waiters = this.#waiters.filter((w) => !w.done());
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined); // a connection the broker cuts is what some tests expect
  }

  /** Connects and waits for a CONNACK that accepts the connection. */
  static async connect(
    t: TestContext,
    port: number,
    connect: Partial<IConnectPacket> = {},
  ): Promise<RawMqtt> {
    const socket = netConnect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    const client = new RawMqtt(socket);
    const connack = client.next('connack');
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      ...connect,
      clientId: connect.clientId ?? `raw-${process.pid}-${(counter += 1)}`,
    });
    const reply = (await connack) as mqttPacket.IConnackPacket;
    if (reply.returnCode !== 0) throw new Error(`CONNACK return code ${reply.returnCode}`);
    return client;
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  /** The next packet of this kind (and packet id, if given) that arrives from now on. */
  async next(cmd: Packet['cmd'], messageId?: number): Promise<Packet> {
    const packets = await this.nextPackets(1, cmd, messageId);
    return packets[0]!;
  }

  /** The next `count` packets of this kind (and packet id, if given) that arrive from now on. */
  nextPackets(count: number, cmd: Packet['cmd'], messageId?: number): Promise<Packet[]> {
    const from = this.received.length;
    const matching = () =>
      this.received
        .slice(from)
        .filter((p) => p.cmd === cmd && (messageId === undefined || p.messageId === messageId));
    return new Promise((resolve) =>
      this.#waiters.push({
        done: () => {
          const found = matching();
          if (found.length < count) return false;
          resolve(found.slice(0, count));
          return true;
        },
      }),
    );
  }

  async subscribe(topic: string, qos: 0 | 1 | 2 = 1): Promise<void> {
    const suback = this.next('suback', 1);
    this.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] });
    await suback;
  }

  /** Stops reading the socket: what the broker writes piles up in the kernel's buffers, then in its own. */
  stopReading(): void {
    this.socket.pause();
  }
}
