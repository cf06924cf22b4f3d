import { Command } from 'commander';
import type { RequestResult } from '../../protocol/request-methods.ts';
import type { CliIO } from '../io.ts';
import { namespaceOption, outputOption, serverOption } from '../options.ts';
import { renderRecord, renderRecords, time, type Column, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';
import { describeTaskAction } from '../../protocol/task-action-text.ts';
import { startAndWatch } from './execution-watch.ts';
import { followLog } from './log-follow.ts';

interface Options {
  server: string;
  namespace: string;
  output: OutputFormat;
}

type ExecutionRow = RequestResult<'workflowExecution.list'>[number];
type TaskRow = RequestResult<'taskExecution.list'>[number];

const EXECUTION_COLUMNS: Column<ExecutionRow>[] = [
  ['ID', (r) => r.id],
  ['WORKFLOW', (r) => r.workflow],
  ['STATUS', (r) => r.status],
  ['RUN TYPE', (r) => r.runType],
  ['SNAPSHOT', (r) => r.snapshotId],
  ['BEGIN', (r) => time(r.beginTime)],
  ['END', (r) => time(r.endTime)],
];

const TASK_COLUMNS: Column<TaskRow>[] = [
  ['ID', (r) => r.id],
  ['TASK', (r) => r.task],
  ['SEQ', (r) => r.sequence],
  ['TRY', (r) => r.attempt],
  ['STATUS', (r) => r.status],
  ['BEGIN', (r) => time(r.beginTime)],
  ['END', (r) => time(r.endTime)],
  ['REASON', (r) => r.reason],
];

export function workflowExecutionCommand(io: CliIO): Command {
  const command = new Command('workflow-execution').description(
    'start, stop, list, show and delete executions',
  );
  const base = (name: string) =>
    command.command(name).addOption(serverOption()).addOption(namespaceOption()).addOption(outputOption());

  base('start')
    .argument('<workflow>')
    .option('--wait', 'wait for the end; exit code 0 success, 1 failed, 2 stopped')
    .option('--follow', 'print each task status change until the end (implies --wait)')
    .action(async (workflow: string, o: Options & { wait?: boolean; follow?: boolean }) => {
      if (o.wait || o.follow) return startAndWatch(io, workflow, { ...o, follow: o.follow === true });
      const { id } = await callScheduler(o, 'workflowExecution.start', {
        namespace: o.namespace,
        workflow,
      });
      io.stdout(o.output === 'table' ? `workflow execution ${id} started\n` : renderRecord(o.output, { id }));
    });
  base('stop')
    .argument('<execution-id>')
    .action(async (id: string, o: Options) => {
      await callScheduler(o, 'workflowExecution.stop', { workflowExecutionId: id });
      io.stdout(`workflow execution ${id} stopping (stopped once its tasks have exited)\n`);
    });
  base('stop-all')
    .argument('<workflow>')
    .action(async (workflow: string, o: Options) => {
      const { stopped } = await callScheduler(o, 'workflowExecution.stopAll', {
        namespace: o.namespace,
        workflow,
      });
      io.stdout(
        `${stopped.length} workflow execution(s) stopping${stopped.length ? `: ${stopped.join(', ')}` : ''}\n`,
      );
    });
  base('list')
    .argument('<workflow>')
    .action(async (workflow: string, o: Options) => {
      const rows = await callScheduler(o, 'workflowExecution.list', {
        namespace: o.namespace,
        workflow,
      });
      io.stdout(renderRecords(o.output, rows, EXECUTION_COLUMNS));
    });
  base('show')
    .argument('<execution-id>')
    .action(async (id: string, o: Options) => {
      const row = await callScheduler(o, 'workflowExecution.show', { workflowExecutionId: id });
      if (o.output !== 'table') return io.stdout(renderRecord(o.output, row));
      io.stdout(
        renderRecord(o.output, row) + '\n' + renderRecords(o.output, row.taskExecutions, TASK_COLUMNS),
      );
    });
  base('delete')
    .argument('<execution-id>')
    .action(async (id: string, o: Options) => {
      await callScheduler(o, 'workflowExecution.delete', { workflowExecutionId: id });
      io.stdout(`workflow execution ${id} deleted\n`);
    });
  return command;
}

export function taskExecutionCommand(io: CliIO): Command {
  const command = new Command('task-execution').description(
    'start, stop, list and show task executions, and logs',
  );
  const base = (name: string) => command.command(name).addOption(serverOption()).addOption(outputOption());

  base('start')
    .argument('<execution-id>')
    .argument('<task>')
    .action(async (id: string, task: string, o: Options) => {
      const started = await callScheduler(o, 'taskExecution.start', {
        workflowExecutionId: id,
        task,
      });
      io.stdout(
        o.output === 'table' ? `task execution ${started.id} started\n` : renderRecord(o.output, started),
      );
    });
  base('stop')
    .argument('<execution-id>')
    .argument('<task>')
    .action(async (id: string, task: string, o: Options) => {
      await callScheduler(o, 'taskExecution.stop', { workflowExecutionId: id, task });
      io.stdout(`task ${task} of workflow execution ${id} stopping\n`);
    });
  base('list')
    .argument('<execution-id>')
    .action(async (id: string, o: Options) => {
      const rows = await callScheduler(o, 'taskExecution.list', {
        workflowExecutionId: id,
      });
      io.stdout(renderRecords(o.output, rows, TASK_COLUMNS));
    });
  base('show')
    .argument('<task-execution-id>')
    .action(async (id: string, o: Options) => {
      const row = await callScheduler(o, 'taskExecution.show', { taskExecutionId: id });
      if (o.output !== 'table') return io.stdout(renderRecord(o.output, row));
      // A server of an earlier release returns no actions: the record alone.
      const actions = (row.actions ?? []).map((a) => `  ${time(a.time)}  ${describeTaskAction(a)}\n`);
      io.stdout(renderRecord(o.output, row) + (actions.length ? `actions:\n${actions.join('')}` : ''));
    });
  command
    .command('logs')
    .argument('<task-execution-id>')
    .addOption(serverOption())
    .option('-f, --follow', 'print new lines as they are written, until the task ends')
    .action(async (id: string, o: Options & { follow?: boolean }) => {
      if (o.follow) return followLog(io, o, id);
      const { log } = await callScheduler(o, 'taskExecution.logs', {
        taskExecutionId: id,
      });
      io.stdout(log);
    });
  return command;
}
