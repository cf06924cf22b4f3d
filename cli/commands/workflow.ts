import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { AIFlowError } from '../../protocol/errors.ts';
import type { RequestResult } from '../../protocol/request-methods.ts';
import type { CliIO } from '../io.ts';
import { namespaceOption, outputOption, serverOption } from '../options.ts';
import { renderRecord, renderRecords, time, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';
import { describeWorkflow } from './workflow-description.ts';

interface Options {
  server: string;
  namespace: string;
  output: OutputFormat;
}

type WorkflowRow = RequestResult<'workflow.list'>[number];

const COLUMNS: [string, (r: WorkflowRow) => unknown][] = [
  ['ID', (r) => r.id],
  ['NAMESPACE', (r) => r.namespace],
  ['NAME', (r) => r.name],
  ['ENABLED', (r) => r.enabled],
  ['SNAPSHOT', (r) => r.snapshotId],
  ['UPDATED', (r) => time(r.updateTime)],
];

export function workflowCommand(io: CliIO): Command {
  const workflow = new Command('workflow').description(
    'upload, list, show, enable, disable and delete workflows',
  );

  workflow
    .command('upload')
    .description(
      'upload a workflow module (.ts or .js) with what it imports (bundled here); each upload is a new snapshot',
    )
    .argument('<file>')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (file: string, o: Options) => {
      try {
        readFileSync(file);
      } catch (error) {
        throw new AIFlowError('NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`);
      }
      // Loaded here only: the other commands need not pay for esbuild.
      const { bundleWorkflowModule } = await import('../../workflow/bundle.ts');
      const source = await bundleWorkflowModule(file);
      const saved = await callScheduler(o, 'workflow.upload', {
        fileName: basename(file),
        source,
        format: 'bundle',
      });
      io.stdout(
        renderRecords(o.output, saved, [
          ['NAMESPACE', (r) => r.namespace],
          ['WORKFLOW', (r) => r.name],
          ['SNAPSHOT', (r) => r.snapshotId],
          ['TASKS', (r) => r.tasks],
        ]),
      );
    });

  workflow
    .command('list')
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(outputOption())
    .action(async (o: Options) => {
      const rows = await callScheduler(o, 'workflow.list', { namespace: o.namespace });
      io.stdout(renderRecords(o.output, rows, COLUMNS));
    });

  workflow
    .command('show')
    .argument('<workflow>')
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(outputOption())
    .action(async (name: string, o: Options) => {
      const row = await callScheduler(o, 'workflow.show', {
        namespace: o.namespace,
        workflow: name,
      });
      if (o.output !== 'table' || !row.spec) return io.stdout(renderRecord(o.output, row));
      const params = { namespace: o.namespace, workflow: name };
      const [schedules, triggers] = await Promise.all([
        callScheduler(o, 'workflowSchedule.list', params),
        callScheduler(o, 'workflowTrigger.list', params),
      ]);
      const tasks = row.spec.tasks.map((task) => task.name).join(', ');
      io.stdout(
        renderRecord(o.output, { ...row, tasks }) + describeWorkflow({ spec: row.spec, schedules, triggers }),
      );
    });

  for (const [command, done] of [
    ['enable', 'enabled'],
    ['disable', 'disabled'],
    ['delete', 'deleted'],
  ] as const) {
    workflow
      .command(command)
      .argument('<workflow>')
      .addOption(serverOption())
      .addOption(namespaceOption())
      .action(async (name: string, o: Options) => {
        await callScheduler(o, `workflow.${command}`, { namespace: o.namespace, workflow: name });
        io.stdout(`workflow ${o.namespace}.${name} ${done}\n`);
      });
  }
  return workflow;
}
