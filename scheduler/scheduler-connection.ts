import type { MqttClient } from 'mqtt';
import { clientTlsFromEnv, type ClientTls } from '../client/client-tls.ts';
import { connectMqtt } from '../client/mqtt-connection.ts';
import { RpcChannel } from '../client/rpc-channel.ts';
import { isRole, type Caller } from '../protocol/access-roles.ts';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import type { ForwardedRequest } from '../protocol/rpc.ts';
import { replyTopic, SCHEDULER_RPC_TOPIC, SCHEDULER_USERNAME } from '../protocol/topics.ts';

export type RequestHandler = (
  method: string,
  params: Record<string, unknown>,
  caller: Caller,
  requester: { client?: string },
) => Promise<unknown>;

/**
 * The scheduler's privileged MQTT connection: it answers the requests the broker forwards (`workflow.*`, …) on the
 * requesters' reply topics, and sends status events (reserved `$` keys) idempotently.
 */
export class SchedulerConnection {
  readonly #mqtt: MqttClient;
  readonly #rpc: RpcChannel;

  private constructor(mqtt: MqttClient, rpc: RpcChannel) {
    this.#mqtt = mqtt;
    this.#rpc = rpc;
  }

  static async connect(
    server: string,
    token: string,
    handle: RequestHandler,
    tls: ClientTls | undefined = clientTlsFromEnv(),
  ): Promise<SchedulerConnection> {
    const clientId = `aiflow-scheduler-${process.pid}`;
    const mqtt = await connectMqtt(server, {
      clientId,
      clean: true,
      resubscribe: false,
      username: SCHEDULER_USERNAME,
      password: token,
      reconnectPeriod: 500,
      tls,
    });
    const rpc = new RpcChannel(mqtt, clientId, 30_000);
    const connection = new SchedulerConnection(mqtt, rpc);
    mqtt.on('message', (topic, payload) => {
      if (rpc.handleMessage(topic, payload)) return;
      if (topic === SCHEDULER_RPC_TOPIC) connection.#serve(payload, handle);
    });
    const subscribe = () => mqtt.subscribeAsync([rpc.replyTopic, SCHEDULER_RPC_TOPIC], { qos: 1 });
    mqtt.on('connect', () => {
      subscribe().then(
        () => rpc.resendPending(),
        () => undefined,
      );
    });
    await subscribe();
    return connection;
  }

  /**
   * Stores status events in the order given, in one request (at least once; each id makes a repeat a no-op).
   */
  async sendStatuses(
    events: readonly { namespace: string; key: string; value: string; context: string; id: string }[],
  ): Promise<void> {
    await this.#rpc.call('events.sendBatch', {
      events: events.map((event) => ({
        namespace: event.namespace,
        key: event.key,
        value: event.value,
        context: event.context,
        sender: 'aiflow-scheduler',
        idempotencyId: event.id,
      })),
    });
  }

  #serve(payload: Buffer, handle: RequestHandler): void {
    let request: ForwardedRequest;
    try {
      request = JSON.parse(payload.toString()) as ForwardedRequest;
    } catch {
      return;
    }
    if (!isCaller(request.caller)) {
      const error = new AIFlowError('UNAUTHORIZED', 'the request names no caller');
      this.#reply(request, { id: request.id, error: error.toJSON() });
      return;
    }
    const requester = typeof request.client === 'string' ? { client: request.client } : {};
    handle(request.method, request.params ?? {}, request.caller, requester).then(
      (result) => this.#reply(request, { id: request.id, result: result ?? null }),
      (error: unknown) => {
        const e = toAIFlowError(error);
        this.#reply(request, { id: request.id, error: e.toJSON() });
      },
    );
  }

  #reply(request: ForwardedRequest, reply: unknown): void {
    this.#mqtt.publish(replyTopic(request.replyTo), JSON.stringify(reply), { qos: 1 }, () => undefined);
  }

  async close(): Promise<void> {
    this.#rpc.rejectAll(new AIFlowError('CLIENT_CLOSED', 'the scheduler is closing'));
    await this.#mqtt.endAsync(true);
  }
}

/** Only the broker publishes forwarded requests; this guards against an older broker without callers. */
function isCaller(value: unknown): value is Caller {
  const caller = value as Caller | undefined;
  return (
    typeof caller?.name === 'string' &&
    Array.isArray(caller.grants) &&
    caller.grants.every((grant) => isRole(grant.role) && typeof grant.namespace === 'string')
  );
}
