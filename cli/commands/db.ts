import { Command, Option } from 'commander';
import { AIFlowError } from '../../protocol/errors.ts';
import { backupHome } from '../../server/home-backup.ts';
import { defaultHome } from '../home.ts';
import type { RequestResult } from '../../protocol/request-methods.ts';
import type { CliIO } from '../io.ts';
import { parseDuration } from '../duration.ts';
import { outputOption, parseNonNegativeInt, serverOption } from '../options.ts';
import { render, renderRecords, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';

const homeOption = () => new Option('--home <dir>', 'data folder [env: AIFLOW_HOME] (default: "~/.aiflow")');

/** `aiflow db`: maintenance of a home's databases. */
export function dbCommand(io: CliIO): Command {
  const db = new Command('db').description("back up and prune the server's databases");

  db.command('backup')
    .description('copy the event log and the metadata store of a home into DIR, while the server runs')
    .argument('<dir>', 'a new or empty folder; it can serve as a home as it is')
    .addOption(homeOption())
    .addOption(outputOption())
    .action((dir: string, o: { home?: string; output: OutputFormat }) => {
      const copies = backupHome(o.home ?? defaultHome(io.env), dir);
      io.stdout(
        renderRecords(o.output, copies, [
          ['FILE', (r) => r.file],
          ['BYTES', (r) => r.bytes],
        ]),
      );
    });
  db.command('prune')
    .description('remove old events and finished executions (with their task files) from a running server')
    .addOption(
      new Option(
        '--events-older-than <duration>',
        'events created longer ago than this (30d, 12h…)',
      ).argParser(parseDuration),
    )
    .addOption(
      new Option('--events-keep <n>', 'only the newest N events of each namespace').argParser(
        parseNonNegativeInt,
      ),
    )
    .addOption(
      new Option(
        '--executions-older-than <duration>',
        'executions that finished longer ago than this, with their task executions, logs and files',
      ).argParser(parseDuration),
    )
    .option('--dry-run', 'count what would be removed, remove nothing')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: PruneOptions) => {
      if (
        o.eventsOlderThan === undefined &&
        o.eventsKeep === undefined &&
        o.executionsOlderThan === undefined
      ) {
        throw new AIFlowError(
          'INVALID_OPTION',
          'give --events-older-than, --events-keep or --executions-older-than',
        );
      }
      const now = Date.now();
      const dryRun = o.dryRun === true;
      const result: { events?: EventsPruned; executions?: ExecutionsPruned } = {};
      if (o.executionsOlderThan !== undefined) {
        result.executions = await callScheduler(o, 'workflowExecution.prune', {
          finishedBefore: now - o.executionsOlderThan,
          dryRun,
        });
      }
      if (o.eventsOlderThan !== undefined || o.eventsKeep !== undefined) {
        result.events = await callScheduler(o, 'events.prune', {
          ...(o.eventsOlderThan === undefined ? {} : { createdBefore: now - o.eventsOlderThan }),
          ...(o.eventsKeep === undefined ? {} : { keepPerNamespace: o.eventsKeep }),
          dryRun,
        });
      }
      io.stdout(render(o.output, result, () => describePrune(result, dryRun)));
    });
  return db;
}

interface PruneOptions {
  eventsOlderThan?: number;
  eventsKeep?: number;
  executionsOlderThan?: number;
  dryRun?: boolean;
  server: string;
  output: OutputFormat;
}

type EventsPruned = RequestResult<'events.prune'>;
type ExecutionsPruned = RequestResult<'workflowExecution.prune'>;

function describePrune(
  result: { events?: EventsPruned; executions?: ExecutionsPruned },
  dryRun: boolean,
): string {
  const verb = dryRun ? 'would remove' : 'removed';
  const lines: string[] = [];
  if (result.executions) {
    const e = result.executions;
    lines.push(
      `executions: ${verb} ${e.executions} (${e.taskExecutions} task executions, ${e.files} task files)` +
        (e.ids.length > 0 ? `: ${e.ids.join(', ')}` : ''),
    );
  }
  if (result.events) {
    const e = result.events;
    const where = e.byNamespace.map((n) => `${n.namespace} ${n.removed}`).join(', ');
    lines.push(
      `events: ${verb} ${e.removed}${where ? ` (${where})` : ''}, none above the scheduler checkpoint ${e.maxOffset}`,
    );
  }
  return lines.join('\n') + '\n';
}
