import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import type { CliIO } from '../io.ts';
import { collect, outputOption, serverOption } from '../options.ts';
import { renderRecord, renderRecords, time, type OutputFormat } from '../output.ts';
import { callScheduler } from '../scheduler-call.ts';

interface Options {
  server: string;
  output: OutputFormat;
}

const grantOption = () =>
  new Option(
    '-g, --grant <role@namespace>',
    'a role in a namespace (repeatable): viewer, publisher, operator, admin; * for every namespace',
  )
    .argParser(collect)
    .makeOptionMandatory();

const passwordStdinOption = () =>
  new Option(
    '--password-stdin',
    'read the password from standard input (else one is generated and printed once)',
  );

/** `user add|list|delete|passwd`: admin only. */
export function userCommand(io: CliIO): Command {
  const user = new Command('user').description('add, list and delete users, change passwords (admin)');
  user
    .command('add')
    .argument('<name>')
    .addOption(grantOption())
    .addOption(passwordStdinOption())
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (name: string, o: Options & { grant: string[]; passwordStdin?: boolean }) => {
      const { password, generated } = await newPassword(o.passwordStdin === true);
      const added = await callScheduler(o.server, 'user.add', { name, password, grants: o.grant });
      io.stdout(renderRecord(o.output, { ...added, ...(generated ? { password } : {}) }));
      if (generated) io.stderr('the password is shown once: keep it now\n');
    });
  user
    .command('list')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: Options) => {
      const { users } = await callScheduler(o.server, 'user.list', {});
      io.stdout(
        renderRecords(o.output, users, [
          ['NAME', (u) => u.name],
          ['GRANTS', (u) => u.grants.join(' ')],
          ['CREATED', (u) => time(u.createTime)],
        ]),
      );
    });
  user
    .command('delete')
    .argument('<name>')
    .addOption(serverOption())
    .action(async (name: string, o: Options) => {
      await callScheduler(o.server, 'user.delete', { name });
      io.stdout(`user ${name} deleted\n`);
    });
  user
    .command('passwd')
    .argument('<name>')
    .addOption(passwordStdinOption())
    .addOption(serverOption())
    .action(async (name: string, o: Options & { passwordStdin?: boolean }) => {
      const { password, generated } = await newPassword(o.passwordStdin === true);
      await callScheduler(o.server, 'user.passwd', { name, password });
      io.stdout(generated ? `new password of ${name}: ${password}\n` : `password of ${name} changed\n`);
    });
  return user;
}

/** `token create|list|revoke`: admin only. */
export function tokenCommand(io: CliIO): Command {
  const token = new Command('token').description(
    'create, list and revoke tokens for devices and scripts (admin)',
  );
  token
    .command('create')
    .addOption(grantOption())
    .option('--name <name>', 'the name it logs in with and events show as sender (default: token-<id>)')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: Options & { grant: string[]; name?: string }) => {
      const params = { grants: o.grant, ...(o.name === undefined ? {} : { name: o.name }) };
      const created = await callScheduler(o.server, 'token.create', params);
      io.stdout(renderRecord(o.output, created));
      io.stderr(`the token is shown once; log in with: -u ${created.name} -P <token>\n`);
    });
  token
    .command('list')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: Options) => {
      const { tokens } = await callScheduler(o.server, 'token.list', {});
      io.stdout(
        renderRecords(o.output, tokens, [
          ['ID', (t) => t.id],
          ['NAME', (t) => t.name],
          ['GRANTS', (t) => t.grants.join(' ')],
          ['CREATED', (t) => time(t.createTime)],
        ]),
      );
    });
  token
    .command('revoke')
    .argument('<id>')
    .addOption(serverOption())
    .action(async (id: string, o: Options) => {
      await callScheduler(o.server, 'token.revoke', { id });
      io.stdout(`token ${id} revoked\n`);
    });
  return token;
}

/** `whoami`: the identity and grants this login acts with. */
export function whoamiCommand(io: CliIO): Command {
  return new Command('whoami')
    .description('show the identity and grants the server gives this login')
    .addOption(serverOption())
    .addOption(outputOption())
    .action(async (o: Options) => {
      const me = await callScheduler(o.server, 'access.whoami', {});
      const grants = me.grants.map((g) => `${g.role}@${g.namespace}`);
      io.stdout(
        o.output === 'table' ? `${me.name} ${grants.join(' ')}\n` : renderRecord(o.output, { ...me, grants }),
      );
    });
}

async function newPassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomBytes(18).toString('base64url'), generated: true };
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return {
    password: Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, ''),
    generated: false,
  };
}
