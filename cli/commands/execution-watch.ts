import { CommanderError } from 'commander';
import { AIFlowNotificationClient } from '../../client/index.ts';
import type { Event } from '../../protocol/event.ts';
import { cliClientTls, type ServerCliOptions } from '../client-tls-options.ts';
import { cliLogin } from '../login.ts';
import type { CliIO } from '../io.ts';
import { renderRecord, table, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';

/** The exit code of `workflow-execution start --wait/--follow` for each final status of an execution. */
export const EXIT_CODES: Record<string, number> = { success: 0, failed: 1, stopped: 2 };

interface TaskState {
  task: string;
  status: string;
  taskExecutionId: number | null;
  reason: string | null;
}

interface WatchOptions extends ServerCliOptions {
  namespace: string;
  output: OutputFormat;
  /** Print every task transition (a live table on a terminal, one line per change otherwise). */
  follow: boolean;
}

/**
 * Starts an execution and waits for its final status from the status events (`$workflow/<name>` and
 * `$task/<name>/<task>`), never by polling. The listener is registered before the start request, so not one
 * status event of the new execution can be missed. Resolves for `success`; throws a CommanderError carrying the
 * exit code otherwise (1 failed, 2 stopped), which the CLI returns without printing an error line.
 */
export async function startAndWatch(io: CliIO, workflow: string, o: WatchOptions): Promise<void> {
  const client = await AIFlowNotificationClient.connect({
    server: o.server,
    tls: cliClientTls(o),
    namespace: o.namespace,
    connectTimeoutMs: 5_000,
    credentials: cliLogin(),
  });
  try {
    const view = new ExecutionView(io, workflow, o);
    const finished = new Promise<string>((resolve) => (view.onFinished = resolve));
    await client.registerListener({ process: (events) => events.forEach((e) => view.onEvent(e)) });
    const { id } = await callScheduler(o, 'workflowExecution.start', {
      namespace: o.namespace,
      workflow,
    });
    view.start(id);
    const status = await finished;
    const result = { id, workflow, status };
    // --follow -o json prints one document per line, the result last; --wait prints the result alone.
    if (o.output === 'json' && o.follow) io.stdout(JSON.stringify(result) + '\n');
    else if (o.output !== 'table') io.stdout(renderRecord(o.output, result));
    const code = EXIT_CODES[status] ?? 1;
    if (code !== 0) {
      throw new CommanderError(code, `aiflow.execution.${status}`, `workflow execution ${id} ${status}`);
    }
  } finally {
    await client.close();
  }
}

/** What one execution looks like from its status events, and how it is printed. */
class ExecutionView {
  onFinished: (status: string) => void = () => {};
  readonly #io: CliIO;
  readonly #workflow: string;
  readonly #o: WatchOptions;
  readonly #live: boolean;
  #id: number | null = null;
  /** Events that came before the start request answered with the execution's id. */
  #early: Event[] = [];
  readonly #tasks = new Map<string, TaskState>();
  #status = 'running';
  #drawnLines = 0;

  constructor(io: CliIO, workflow: string, o: WatchOptions) {
    this.#io = io;
    this.#workflow = workflow;
    this.#o = o;
    this.#live = o.follow && o.output === 'table' && io.stdoutIsTerminal === true;
  }

  start(id: number): void {
    this.#id = id;
    if (this.#o.output === 'table') this.#io.stdout(`workflow execution ${id} started\n`);
    const early = this.#early;
    this.#early = [];
    early.forEach((e) => this.onEvent(e));
  }

  onEvent(event: Event): void {
    if (this.#id === null) {
      this.#early.push(event);
      return;
    }
    const context = parseContext(event.context);
    if (context.workflowExecutionId !== this.#id) return;
    if (event.key === `$workflow/${this.#workflow}`) {
      this.#status = event.value;
      if (event.value in EXIT_CODES) this.#finish(event.value);
    } else if (event.key.startsWith(`$task/${this.#workflow}/`)) {
      const task = typeof context.task === 'string' ? context.task : event.key.split('/').at(-1)!;
      const state: TaskState = {
        task,
        status: event.value,
        taskExecutionId: typeof context.taskExecutionId === 'number' ? context.taskExecutionId : null,
        reason: typeof context.reason === 'string' ? context.reason : null,
      };
      this.#tasks.set(task, state);
      if (this.#o.follow) this.#printChange(state);
    }
  }

  #finish(status: string): void {
    if (this.#o.output === 'table') {
      if (this.#live) this.#redraw();
      this.#io.stdout(`workflow execution ${this.#id} ${status}\n`);
    }
    this.onFinished(status);
  }

  #printChange(state: TaskState): void {
    if (this.#live) return this.#redraw();
    if (this.#o.output !== 'table') {
      this.#io.stdout(JSON.stringify({ workflowExecutionId: this.#id, ...state }) + '\n');
      return;
    }
    const reason = state.reason ? ` (${state.reason})` : '';
    const execution = state.taskExecutionId === null ? '' : ` [task execution ${state.taskExecutionId}]`;
    this.#io.stdout(`task ${state.task}: ${state.status}${reason}${execution}\n`);
  }

  /** Moves the cursor back over the previous table and draws the current one in its place. */
  #redraw(): void {
    const rows = [...this.#tasks.values()].map((s) => [
      s.task,
      s.status,
      s.taskExecutionId === null ? '' : String(s.taskExecutionId),
      s.reason ?? '',
    ]);
    const text =
      `workflow execution ${this.#id} of ${this.#workflow}: ${this.#status}\n` +
      table(['TASK', 'STATUS', 'TASK EXECUTION', 'REASON'], rows);
    const erase = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}A\x1b[0J` : '';
    this.#io.stdout(erase + text);
    this.#drawnLines = text.split('\n').length - 1;
  }
}

function parseContext(context: string | null): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(context ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
