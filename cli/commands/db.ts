import { Command, Option } from 'commander';
import { backupHome } from '../../server/home-backup.ts';
import { defaultHome } from '../home.ts';
import type { CliIO } from '../io.ts';
import { outputOption } from '../options.ts';
import { renderRecords, type OutputFormat } from '../output.ts';

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
  return db;
}
