import type { MqttClient } from 'mqtt';
import { randomId } from '../protocol/random-id.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import { parseRpcReply, type BrokerMethods, type RpcMethod } from '../protocol/rpc.ts';
import { replyTopic, RPC_REQUEST_TOPIC } from '../protocol/topics.ts';

const MAX_RESENDS = 2;
/** The default payload limit plus room for the envelope: what a default server takes in one request. */
const DEFAULT_MAX_REQUEST_BYTES = LIMITS.defaultMaxPayloadBytes + 64 * 1024;

interface PendingRequest {
  method: string;
  payload: string;
  /** Times it was sent again after a reconnect. */
  resends: number;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Request/reply over MQTT: requests go to `$aiflow/rpc`, replies come back on `$aiflow/reply/<client id>`.
 * Requests still unanswered when the connection comes back are sent again (every method is idempotent).
 */
export class RpcChannel {
  readonly #mqtt: MqttClient;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, PendingRequest>();
  readonly replyTopic: string;
  #closedWith: AIFlowError | null = null;

  readonly #maxRequestBytes: number;

  constructor(
    mqtt: MqttClient,
    clientId: string,
    timeoutMs: number,
    maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES,
  ) {
    this.#maxRequestBytes = maxRequestBytes;
    this.#mqtt = mqtt;
    // A connection the server cut counts; an attempt refused while the server is away does not.
    let refused = false;
    mqtt.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') refused = true;
    });
    mqtt.on('close', () => {
      if (!refused) this.#connectionLost();
      refused = false;
    });
    this.#timeoutMs = timeoutMs;
    this.replyTopic = replyTopic(clientId);
  }

  /** Feeds a message from the reply topic; returns false for any other topic. */
  handleMessage(topic: string, payload: Buffer): boolean {
    if (topic !== this.replyTopic) return false;
    const reply = parseRpcReply(payload);
    const pending = reply && this.#pending.get(reply.id);
    if (!reply || !pending) return true; // a late or repeated reply
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if ('error' in reply) pending.reject(new AIFlowError(reply.error.code, reply.error.message));
    else pending.resolve(reply.result);
    return true;
  }

  call<M extends RpcMethod>(
    method: M,
    params: BrokerMethods[M]['params'],
  ): Promise<BrokerMethods[M]['result']> {
    return this.request(method, params) as Promise<BrokerMethods[M]['result']>;
  }

  /** Any method, including the scheduler's (`workflow.list`, …), whose params the server validates. */
  request(method: string, params: object): Promise<unknown> {
    // After close no timer may be started: it would keep the process alive for the whole timeout.
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    const id = randomId();
    const payload = JSON.stringify({ id, method, params });
    // A packet over the server's limit would only get the connection cut, again at every reconnect.
    const bytes = Buffer.byteLength(payload, 'utf8');
    if (bytes > this.#maxRequestBytes) {
      return Promise.reject(
        new AIFlowError(
          'PAYLOAD_TOO_LARGE',
          `${method} request is ${bytes} bytes, more than the ${this.#maxRequestBytes} a server accepts by default`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AIFlowError('TIMEOUT', `${method} got no reply within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, payload, resends: 0, resolve, reject, timer });
      this.#send(payload);
    });
  }

  /** After a reconnect (reply topic subscribed again): sends every unanswered request again. */
  resendPending(): void {
    for (const pending of this.#pending.values()) this.#send(pending.payload);
  }

  /**
   * The connection dropped. A request pending across several drops in a row is refused by the server (too large,
   * say): it fails with CONNECTION_LOST rather than hanging its caller until the time-out.
   */
  #connectionLost(): void {
    for (const [id, pending] of this.#pending) {
      pending.resends += 1;
      if (pending.resends <= MAX_RESENDS) continue;
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(
        new AIFlowError(
          'CONNECTION_LOST',
          `the connection dropped ${pending.resends} times while ${pending.method} was pending; ` +
            `the request may be larger than the server accepts (see its log)`,
        ),
      );
    }
  }

  /** Fails every pending request and every later one with `error` (the channel is closed). */
  rejectAll(error: AIFlowError): void {
    this.#closedWith = error;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #send(payload: string): void {
    // Errors surface as a missing reply (resent on reconnect, or TIMEOUT); MQTT.js queues while offline.
    this.#mqtt.publish(RPC_REQUEST_TOPIC, payload, { qos: 1 }, () => undefined);
  }
}
