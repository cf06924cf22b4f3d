import { Command, Option } from 'commander';
import type { AIFlowNotificationClient } from '../../client/index.ts';
import { cliClientTls, type ServerCliOptions } from '../client-tls-options.ts';
import { cliLogin } from '../login.ts';
import type { CliIO } from '../io.ts';
import {
  collect,
  namespaceOption,
  outputOption,
  parseNonNegativeInt,
  parseTime,
  serverOption,
} from '../options.ts';
import { render, renderEvents, renderStreamedEvent, table, type OutputFormat } from '../output.ts';

interface ClientOptions extends ServerCliOptions {
  namespace: string;
  output: OutputFormat;
}

interface FilterOptions extends ClientOptions {
  key?: string[];
  sender?: string;
  beginOffset?: number;
  endOffset?: number;
  beginTime?: number;
}

/** Connects, runs `work`, and always closes the client. */
async function withClient<T>(
  options: ClientOptions & { sender?: string; context?: string },
  work: (client: AIFlowNotificationClient) => Promise<T>,
): Promise<T> {
  // Loaded here, not at the top: `aiflow --version` and `--help` need no MQTT client.
  const { AIFlowNotificationClient } = await import('../../client/index.ts');
  const client = await AIFlowNotificationClient.connect({
    server: options.server,
    tls: cliClientTls(options),
    namespace: options.namespace,
    sender: options.sender,
    context: options.context,
    connectTimeoutMs: 5_000,
    credentials: cliLogin(),
  });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function filterOf(o: FilterOptions) {
  return {
    keys: o.key,
    sender: o.sender,
    beginOffset: o.beginOffset,
    endOffset: o.endOffset,
    beginTime: o.beginTime,
  };
}

const keyOption = () => new Option('-k, --key <key>', 'only this key (repeatable)').argParser(collect);
const senderOption = () => new Option('--sender <sender>', 'only events of this sender');
const beginOffsetOption = () =>
  new Option('--begin-offset <n>', 'only events after this offset').argParser(parseNonNegativeInt);
const endOffsetOption = () =>
  new Option('--end-offset <n>', 'only events up to this offset (inclusive)').argParser(parseNonNegativeInt);
const beginTimeOption = () =>
  new Option('--begin-time <time>', 'only events created at or after this ISO 8601 time').argParser(
    parseTime,
  );

/** The options shared by `list` and `count`: where to ask, and every filter of the log. */
function withFilterOptions(command: Command): Command {
  return command
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(keyOption())
    .addOption(senderOption())
    .addOption(beginOffsetOption())
    .addOption(endOffsetOption())
    .addOption(beginTimeOption());
}

export function eventCommand(io: CliIO): Command {
  const event = new Command('event').description('send, list, count and listen to events');

  event
    .command('send')
    .description('send one event and print it as stored')
    .argument('<key>', 'event key')
    .argument('[value]', 'event value', '')
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(new Option('--sender <sender>', 'sender recorded on the event').env('AIFLOW_SENDER'))
    .addOption(new Option('--context <context>', 'context recorded on the event').env('AIFLOW_CONTEXT'))
    .addOption(outputOption())
    .action(async (key: string, value: string, o: ClientOptions & { sender?: string; context?: string }) => {
      const stored = await withClient(o, (client) => client.sendEvent(key, value));
      io.stdout(render(o.output, stored, () => renderEvents('table', [stored])));
    });

  withFilterOptions(event.command('list'))
    .description('list events in offset order')
    .addOption(new Option('--limit <n>', 'at most this many events').argParser(parseNonNegativeInt))
    .addOption(outputOption())
    .action(async (o: FilterOptions & { limit?: number }) => {
      const events = await withClient(o, (client) => client.listEvents({ ...filterOf(o), limit: o.limit }));
      io.stdout(renderEvents(o.output, events));
    });

  withFilterOptions(event.command('count'))
    .description('count events, in total and per sender')
    .addOption(outputOption())
    .action(async (o: FilterOptions) => {
      const counts = await withClient(o, (client) => client.countEvents(filterOf(o)));
      io.stdout(
        render(o.output, counts, () =>
          table(
            ['SENDER', 'COUNT'],
            [...counts.bySender.map((s) => [s.sender, String(s.count)]), ['(total)', String(counts.total)]],
          ),
        ),
      );
    });

  event
    .command('listen')
    .description('print events as they arrive until Ctrl-C (from now, unless a begin option is given)')
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(keyOption())
    .addOption(beginOffsetOption())
    .addOption(beginTimeOption())
    .addOption(outputOption())
    .action(async (o: FilterOptions) => {
      const stopRequested = io.untilStopped();
      await withClient(o, async (client) => {
        let first = true;
        await client.registerListener(
          {
            process: (events) => {
              for (const e of events) {
                io.stdout(renderStreamedEvent(o.output, e, first));
                first = false;
              }
            },
          },
          { eventKeys: o.key, beginOffset: o.beginOffset, beginTime: o.beginTime },
        );
        if (o.output === 'table')
          io.stderr(`listening on ${o.server}, namespace ${o.namespace} (Ctrl-C to stop)\n`);
        await stopRequested;
      });
    });
  return event;
}
