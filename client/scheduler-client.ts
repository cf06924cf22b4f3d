import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { AIFlowError } from '../protocol/errors.ts';
import { DEFAULT_SERVER_URL, fromEnv } from '../protocol/runtime-env.ts';
import { connectMqtt } from './mqtt-connection.ts';
import { RpcChannel } from './rpc-channel.ts';

export interface SchedulerClientOptions {
  /** @defaultValue `$AIFLOW_SERVER`, else `mqtt://localhost:1883` */
  server?: string;
  /** @defaultValue 60000 (an upload loads the module first) */
  requestTimeoutMs?: number;
  /** @defaultValue 5000 */
  connectTimeoutMs?: number;
}

/**
 * Calls the scheduler's methods (namespaces, workflows, executions) through the server's one MQTT address; the
 * broker forwards them to the scheduler. The method names and params are listed in the README.
 */
export class SchedulerClient {
  readonly #mqtt: MqttClient;
  readonly #rpc: RpcChannel;
  #closing: Promise<void> | undefined;

  private constructor(mqtt: MqttClient, rpc: RpcChannel) {
    this.#mqtt = mqtt;
    this.#rpc = rpc;
  }

  static async connect(options: SchedulerClientOptions = {}): Promise<SchedulerClient> {
    const server = options.server ?? fromEnv('server') ?? DEFAULT_SERVER_URL;
    const clientId = `aiflow-${randomUUID()}`;
    const mqtt = await connectMqtt(server, {
      clientId,
      clean: true,
      resubscribe: false,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
    });
    const rpc = new RpcChannel(mqtt, clientId, options.requestTimeoutMs ?? 60_000);
    mqtt.on('message', (topic, payload) => rpc.handleMessage(topic, payload));
    mqtt.on('connect', () => {
      mqtt.subscribeAsync(rpc.replyTopic, { qos: 1 }).then(
        () => rpc.resendPending(),
        () => undefined,
      );
    });
    await mqtt.subscribeAsync(rpc.replyTopic, { qos: 1 });
    return new SchedulerClient(mqtt, rpc);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.#closing) return Promise.reject(new AIFlowError('CLIENT_CLOSED', 'the client was closed'));
    return this.#rpc.request(method, params) as Promise<T>;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#rpc.rejectAll(new AIFlowError('CLIENT_CLOSED', 'the client was closed'));
      await this.#mqtt.endAsync(true);
    })();
    return this.#closing;
  }
}
