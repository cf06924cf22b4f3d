import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIO } from '../io.ts';
import { parseDuration } from '../duration.ts';
import { outputOption, parseNonNegativeInt, parseTime, serverOption } from '../options.ts';
import { renderRecords, time, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';

interface Options {
  server: string;
  output: OutputFormat;
  identity?: string;
  action?: string;
  namespace?: string;
  since?: number;
  limit?: number;
}

/** `--since`: a time (ISO 8601 or ms), or a duration back from now (`1h`, `7d`). */
function parseSince(value: string): number {
  try {
    return Date.now() - parseDuration(value);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return parseTime(value);
  }
}

/** `audit list`: who changed what, refused logins and FORBIDDEN refusals (admin). */
export function auditCommand(io: CliIO): Command {
  const audit = new Command('audit').description('read the audit trail of changes and refusals (admin)');
  audit
    .command('list')
    .description('the newest entries, oldest first')
    .option('--identity <name>', 'only what this user or token did (--user is the login)')
    .option('--action <method>', 'only this method (e.g. workflow.delete), or login')
    .option('--namespace <namespace>', 'only requests that named this namespace')
    .addOption(
      new Option(
        '--since <time>',
        'only entries at or after an ISO 8601 time, or a duration ago (1h, 7d)',
      ).argParser(parseSince),
    )
    .addOption(new Option('--limit <n>', 'at most this many entries').argParser(parseNonNegativeInt))
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: Options) => {
      const filter = {
        ...(o.identity === undefined ? {} : { user: o.identity }),
        ...(o.action === undefined ? {} : { action: o.action }),
        ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        ...(o.since === undefined ? {} : { since: o.since }),
        ...(o.limit === undefined ? {} : { limit: o.limit }),
      };
      const { entries } = await callScheduler(o.server, 'audit.list', filter);
      io.stdout(
        renderRecords(o.output, entries, [
          ['TIME', (e) => time(e.time)],
          ['IDENTITY', (e) => e.identity],
          ['FROM', (e) => (e.remote === null ? e.client : `${e.client}@${e.remote}`)],
          ['ACTION', (e) => e.action],
          ['NAMESPACE', (e) => e.namespace ?? ''],
          ['TARGET', (e) => targetText(e.target)],
          ['OUTCOME', (e) => e.outcome],
        ]),
      );
    });
  return audit;
}

function targetText(target: Record<string, unknown>): string {
  return Object.entries(target)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
}
