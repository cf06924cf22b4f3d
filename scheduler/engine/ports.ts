import type { Logger } from '../../broker/logger.ts';
import type { Clock } from '../clock.ts';
import type { ConditionSandbox } from '../condition-sandbox.ts';
import type { AdoptRecord, SubmitRequest } from '../executor/executor-options.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import type { OutboxRecord } from '../store/records.ts';

/** What the engine asks of the process executor (reports come back as `taskStarted` / `taskFinished` inputs). */
export interface TaskRunner {
  submit(request: SubmitRequest): Promise<void>;
  stop(runId: number): Promise<void>;
  /**
   * Takes back a try handed out but still waiting for a free process slot: true if it was waiting (it will never
   * start, and no report follows); false if it started, ended, or is unknown.
   */
  withdraw(runId: number): boolean;
  adopt(records: AdoptRecord[]): Promise<void>;
}

/** What the engine asks of the condition sandbox. */
export type ConditionEvaluator = Pick<ConditionSandbox, 'evaluate'>;

/** Where the engine reports what it processed (the scheduler's metrics). */
export interface EngineMetrics {
  /** An event of the log was fully processed (committed with its effects, or nothing to do). */
  eventProcessed(offset: number): void;
  /** One input of the given kind (`event`, `request`, `task`, `timer`, …) took `seconds` from its start to its commit. */
  inputHandled(kind: string, seconds: number): void;
}

/** Everything the engine depends on, passed in: a test drives it without MQTT or processes. */
export interface EngineDeps {
  store: MetadataStore;
  runner: TaskRunner;
  conditions: ConditionEvaluator;
  clock: Clock;
  logger: Logger;
  /** Snapshots and task logs go here. */
  dataDir: string;
  /** The server URL task processes connect to. */
  server: string;
  /** The key each task's login is derived from (`task-credential.ts`); without it tasks get no login. */
  taskSecret?: string;
  /** Called with each batch's committed status events, in commit order (the shell publishes them). */
  publish: (outbox: OutboxRecord[]) => void;
  /**
   * Null when every status event committed so far is on its way to the broker; otherwise resolves once they all
   * are. The loop waits on it before a turn (1 s at most), so the events of a large reaction leave before more work
   * is done.
   */
  statusBacklog?: () => Promise<void> | null;
  /** Called after each batch is committed and before its effects run (crash-point tests hook in here). */
  onCommitted?: (inputs: readonly string[]) => void;
  metrics?: EngineMetrics;
}
