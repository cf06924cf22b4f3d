import { Command } from 'commander';
import type { RequestResult } from '../../protocol/request-methods.ts';
import type { CliIO } from '../io.ts';
import { outputOption, serverOption } from '../options.ts';
import { renderRecords, time, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';

interface Options {
  server: string;
  output: OutputFormat;
}

type NamespaceRow = RequestResult<'namespace.list'>[number];

export function namespaceCommand(io: CliIO): Command {
  const namespace = new Command('namespace').description('add, list and delete namespaces');
  const print = (o: Options, rows: NamespaceRow[]) =>
    io.stdout(
      renderRecords(o.output, rows, [
        ['NAME', (r) => r.name],
        ['CREATED', (r) => time(r.createTime)],
      ]),
    );

  namespace
    .command('add')
    .argument('<name>')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (name: string, o: Options) =>
      print(o, [await callScheduler(o, 'namespace.add', { name })]),
    );
  namespace
    .command('list')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: Options) => print(o, await callScheduler(o, 'namespace.list', {})));
  namespace
    .command('delete')
    .argument('<name>')
    .addOption(serverOption())
    .action(async (name: string, o: Options) => {
      await callScheduler(o, 'namespace.delete', { name });
      io.stdout(`namespace ${name} deleted\n`);
    });
  return namespace;
}
