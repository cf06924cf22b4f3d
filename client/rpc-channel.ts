import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { AIFlowError } from '../protocol/errors.ts';
import { parseRpcReply, type RpcMethod, type RpcMethods } from '../protocol/rpc.ts';
import { replyTopic, RPC_REQUEST_TOPIC } from '../protocol/topics.ts';

interface PendingRequest {
  payload: string;
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

  constructor(mqtt: MqttClient, clientId: string, timeoutMs: number) {
    this.#mqtt = mqtt;
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

  call<M extends RpcMethod>(method: M, params: RpcMethods[M]['params']): Promise<RpcMethods[M]['result']> {
    return this.request(method, params) as Promise<RpcMethods[M]['result']>;
  }

  /** Any method, including the scheduler's (`workflow.list`, …), whose params the server validates. */
  request(method: string, params: object): Promise<unknown> {
    // After close no timer may be started: it would keep the process alive for the whole timeout.
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    const id = randomUUID();
    const payload = JSON.stringify({ id, method, params });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AIFlowError('TIMEOUT', `${method} got no reply within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { payload, resolve, reject, timer });
      this.#send(payload);
    });
  }

  /** After a reconnect (reply topic subscribed again): sends every unanswered request again. */
  resendPending(): void {
    for (const pending of this.#pending.values()) this.#send(pending.payload);
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
