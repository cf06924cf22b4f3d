import type { MqttClient } from 'mqtt';
import { randomId } from '../protocol/random-id.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { DEFAULT_SERVER_URL, fromEnv } from '../protocol/runtime-env.ts';
import type { RequestArgs, RequestMethod, RequestResult } from '../protocol/request-methods.ts';
import type {
  TaskExecutionInfo,
  WorkflowRef,
  WorkflowScheduleInfo,
  WorkflowTriggerInfo,
} from '../protocol/scheduler-api.ts';
import type { Credentials } from '../protocol/admin-credential.ts';
import type { AuditEntry, AuditFilter, TokenInfo, UserInfo } from '../protocol/rpc.ts';
import { clientTlsFromEnv, type ClientTls } from './client-tls.ts';
import { connectWithLogin } from './credentials.ts';
import { RpcChannel } from './rpc-channel.ts';

export interface SchedulerClientOptions {
  /** @defaultValue `$AIFLOW_SERVER`, else `mqtt://localhost:1883` */
  server?: string;
  /** @defaultValue 60000 (an upload loads the module first) */
  requestTimeoutMs?: number;
  /** @defaultValue 5000 */
  connectTimeoutMs?: number;
  /**
   * Certificates for an `mqtts://` or `wss://` server with a private certificate authority, or one that requires
   * client certificates. @defaultValue in Node, the files named by `$AIFLOW_CA`, `$AIFLOW_CERT` and `$AIFLOW_CERT_KEY`
   */
  tls?: ClientTls;
  /** MQTT login, found as the notification client's `credentials` are. */
  credentials?: Credentials;
}

/**
 * Calls the scheduler's methods (namespaces, workflows, executions) through the server's one MQTT address; the
 * broker forwards them to the scheduler. The methods, their params and results are declared in
 * `protocol/scheduler-methods.ts` and listed in the README.
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
    const clientId = `aiflow-${randomId()}`;
    const mqtt = await connectWithLogin(
      server,
      {
        clientId,
        clean: true,
        resubscribe: false,
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        tls: options.tls ?? clientTlsFromEnv(),
      },
      options.credentials,
    );
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

  /** Calls any declared method; its params and result are typed by its name (see the README's method table). */
  call<M extends RequestMethod>(method: M, ...[params]: RequestArgs<M>): Promise<RequestResult<M>> {
    if (this.#closing) return Promise.reject(new AIFlowError('CLIENT_CLOSED', 'the client was closed'));
    return this.#rpc.request(method, params ?? {}) as Promise<RequestResult<M>>;
  }

  /** Starts an execution; resolves with its id. */
  async startWorkflowExecution(ref: WorkflowRef): Promise<number> {
    return (await this.call('workflowExecution.start', { ...ref })).id;
  }

  /** A task execution with every START / STOP / RESTART taken on it and the cause of each (why it ran). */
  showTaskExecution(taskExecutionId: number): Promise<TaskExecutionInfo> {
    return this.call('taskExecution.show', { taskExecutionId });
  }

  /** Adds a schedule: `cron@<5-field crontab>` or `interval@<days> <hours> <minutes> <seconds>`. */
  addWorkflowSchedule(ref: WorkflowRef, expression: string): Promise<WorkflowScheduleInfo> {
    return this.call('workflowSchedule.add', { ...ref, expression });
  }

  listWorkflowSchedules(ref: WorkflowRef): Promise<WorkflowScheduleInfo[]> {
    return this.call('workflowSchedule.list', { ...ref });
  }

  pauseWorkflowSchedule(scheduleId: number): Promise<WorkflowScheduleInfo> {
    return this.call('workflowSchedule.pause', { scheduleId });
  }

  resumeWorkflowSchedule(scheduleId: number): Promise<WorkflowScheduleInfo> {
    return this.call('workflowSchedule.resume', { scheduleId });
  }

  async deleteWorkflowSchedule(scheduleId: number): Promise<void> {
    await this.call('workflowSchedule.delete', { scheduleId });
  }

  /**
   * Adds a trigger on an event key (and value). For any other condition, declare it in the workflow module with
   * `workflow.addTrigger(condition)`.
   */
  addWorkflowTrigger(ref: WorkflowRef, event: { key: string; value?: string }): Promise<WorkflowTriggerInfo> {
    return this.call('workflowTrigger.add', { ...ref, eventKey: event.key, eventValue: event.value });
  }

  listWorkflowTriggers(ref: WorkflowRef): Promise<WorkflowTriggerInfo[]> {
    return this.call('workflowTrigger.list', { ...ref });
  }

  pauseWorkflowTrigger(triggerId: number): Promise<WorkflowTriggerInfo> {
    return this.call('workflowTrigger.pause', { triggerId });
  }

  resumeWorkflowTrigger(triggerId: number): Promise<WorkflowTriggerInfo> {
    return this.call('workflowTrigger.resume', { triggerId });
  }

  async deleteWorkflowTrigger(triggerId: number): Promise<void> {
    await this.call('workflowTrigger.delete', { triggerId });
  }

  /** Who this connection acts as: its identity's name and grants. */
  whoami(): Promise<RequestResult<'access.whoami'>> {
    return this.call('access.whoami');
  }

  /** Adds a user (admin only); `grants` are `role@namespace` strings. */
  addUser(name: string, password: string, grants: string[]): Promise<UserInfo> {
    return this.call('user.add', { name, password, grants });
  }

  async listUsers(): Promise<UserInfo[]> {
    return (await this.call('user.list')).users;
  }

  async deleteUser(name: string): Promise<void> {
    await this.call('user.delete', { name });
  }

  async setUserPassword(name: string, password: string): Promise<void> {
    await this.call('user.passwd', { name, password });
  }

  /** Creates a token (admin only); the answer's `token` is the only copy of its text. */
  createToken(grants: string[], name?: string): Promise<TokenInfo & { token: string }> {
    return this.call('token.create', { grants, ...(name === undefined ? {} : { name }) });
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call('token.list')).tokens;
  }

  async revokeToken(id: string): Promise<void> {
    await this.call('token.revoke', { id });
  }

  /** The newest audit entries of a filter, oldest first (admin only). */
  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return (await this.call('audit.list', filter)).entries;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#rpc.rejectAll(new AIFlowError('CLIENT_CLOSED', 'the client was closed'));
      await this.#mqtt.endAsync(true);
    })();
    return this.#closing;
  }
}
