import { Command, Option } from 'commander';
import type { CliIO } from '../io.ts';
import { namespaceOption, outputOption, serverOption } from '../options.ts';
import { renderRecord, renderRecords, time, type Column, type OutputFormat } from '../output.ts';
import type { ServerCliOptions } from '../client-tls-options.ts';
import { callScheduler } from '../scheduler-call.ts';
import type { WorkflowRef, WorkflowScheduleInfo, WorkflowTriggerInfo } from '../../protocol/scheduler-api.ts';

interface Options {
  server: string;
  namespace: string;
  output: OutputFormat;
}

type ScheduleRow = WorkflowScheduleInfo;
type TriggerRow = WorkflowTriggerInfo;

/** The calls a rule command makes: the same shapes for schedules and triggers, each typed by its method. */
interface RuleCalls<Row> {
  list(server: ServerCliOptions, ref: WorkflowRef): Promise<Row[]>;
  show(server: ServerCliOptions, id: string): Promise<Row>;
  act(server: ServerCliOptions, action: 'pause' | 'resume' | 'delete', id: string): Promise<unknown>;
  deleteAll(server: ServerCliOptions, ref: WorkflowRef): Promise<{ deleted: number[] }>;
}

const SCHEDULE_CALLS: RuleCalls<ScheduleRow> = {
  list: (server, ref) => callScheduler(server, 'workflowSchedule.list', ref),
  show: (server, scheduleId) => callScheduler(server, 'workflowSchedule.show', { scheduleId }),
  act: (server, action, scheduleId) => callScheduler(server, `workflowSchedule.${action}`, { scheduleId }),
  deleteAll: (server, ref) => callScheduler(server, 'workflowSchedule.deleteAll', ref),
};

const TRIGGER_CALLS: RuleCalls<TriggerRow> = {
  list: (server, ref) => callScheduler(server, 'workflowTrigger.list', ref),
  show: (server, triggerId) => callScheduler(server, 'workflowTrigger.show', { triggerId }),
  act: (server, action, triggerId) => callScheduler(server, `workflowTrigger.${action}`, { triggerId }),
  deleteAll: (server, ref) => callScheduler(server, 'workflowTrigger.deleteAll', ref),
};

const SCHEDULE_COLUMNS: Column<ScheduleRow>[] = [
  ['ID', (r) => r.id],
  ['EXPRESSION', (r) => r.expression],
  ['MEANING', (r) => r.description],
  ['PAUSED', (r) => r.paused],
  ['NEXT RUN', (r) => time(r.nextRunTime)],
];

const TRIGGER_COLUMNS: Column<TriggerRow>[] = [
  ['ID', (r) => r.id],
  ['CONDITION', (r) => describeCondition(r.condition)],
  ['ORIGIN', (r) => r.origin],
  ['PAUSED', (r) => r.paused],
  ['CREATED', (r) => time(r.createTime)],
];

function describeCondition(condition: TriggerRow['condition']): string {
  if (condition.type !== 'event') return condition.type;
  return condition.value === undefined
    ? `event ${condition.key}`
    : `event ${condition.key} = ${condition.value}`;
}

/** `workflow-schedule` and `workflow-trigger` share their shape: add, list, show, pause, resume, delete(-all). */
function ruleCommand<Row extends { id: number }>(
  io: CliIO,
  spec: {
    name: 'workflow-schedule' | 'workflow-trigger';
    calls: RuleCalls<Row>;
    what: string;
    columns: Column<Row>[];
  },
): Command {
  const command = new Command(spec.name);
  const base = (name: string) =>
    command.command(name).addOption(serverOption()).addOption(namespaceOption()).addOption(outputOption());

  base('list')
    .argument('<workflow>')
    .action(async (workflow: string, o: Options) => {
      const rows = await spec.calls.list(o, { namespace: o.namespace, workflow });
      io.stdout(renderRecords(o.output, rows, spec.columns));
    });
  base('show')
    .argument('<id>')
    .action(async (id: string, o: Options) => {
      io.stdout(renderRecords(o.output, [await spec.calls.show(o, id)], spec.columns));
    });
  for (const [name, done] of [
    ['pause', 'paused'],
    ['resume', 'resumed'],
    ['delete', 'deleted'],
  ] as const) {
    base(name)
      .argument('<id>')
      .action(async (id: string, o: Options) => {
        await spec.calls.act(o, name, id);
        io.stdout(`${spec.what} ${id} ${done}\n`);
      });
  }
  base('delete-all')
    .argument('<workflow>')
    .action(async (workflow: string, o: Options) => {
      const { deleted } = await spec.calls.deleteAll(o, { namespace: o.namespace, workflow });
      io.stdout(`${deleted.length} ${spec.what}(s) deleted\n`);
    });
  return command;
}

export function workflowScheduleCommand(io: CliIO): Command {
  const command = ruleCommand<ScheduleRow>(io, {
    name: 'workflow-schedule',
    calls: SCHEDULE_CALLS,
    what: 'workflow schedule',
    columns: SCHEDULE_COLUMNS,
  }).description(
    'start executions periodically: cron@<5-field crontab> or interval@<days> <hours> <minutes> <seconds>',
  );
  command
    .command('add')
    .description('add a schedule (e.g. "cron@0 * * * *" or "interval@0 0 10 0")')
    .argument('<workflow>')
    .argument('<expression>')
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(outputOption())
    .action(async (workflow: string, expression: string, o: Options) => {
      const row = await callScheduler(o, 'workflowSchedule.add', {
        namespace: o.namespace,
        workflow,
        expression,
      });
      io.stdout(
        o.output === 'table' ? renderRecords(o.output, [row], SCHEDULE_COLUMNS) : renderRecord(o.output, row),
      );
    });
  return command;
}

export function workflowTriggerCommand(io: CliIO): Command {
  const command = ruleCommand<TriggerRow>(io, {
    name: 'workflow-trigger',
    calls: TRIGGER_CALLS,
    what: 'workflow trigger',
    columns: TRIGGER_COLUMNS,
  }).description('start an execution whenever an event arrives');
  command
    .command('add')
    .description('start an execution of WORKFLOW for each event with this key in its namespace')
    .argument('<workflow>')
    .addOption(
      new Option(
        '--event-key <key>',
        'event key (e.g. sensor/door, or $workflow/<other> for another workflow)',
      ).makeOptionMandatory(),
    )
    .addOption(new Option('--event-value <value>', 'only events with this value (e.g. success)'))
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(outputOption())
    .action(async (workflow: string, o: Options & { eventKey: string; eventValue?: string }) => {
      const row = await callScheduler(o, 'workflowTrigger.add', {
        namespace: o.namespace,
        workflow,
        eventKey: o.eventKey,
        eventValue: o.eventValue,
      });
      io.stdout(
        o.output === 'table' ? renderRecords(o.output, [row], TRIGGER_COLUMNS) : renderRecord(o.output, row),
      );
    });
  return command;
}
