// Where the CLI finds its server: flag > env > project config > user config > local server > default.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { writeServerRecord } from '../../cli/home.ts';
import { AIFLOW_BIN, freePort, run, startServerProcess, tempDir } from '../helpers.ts';

interface Setting {
  name: string;
  value: string;
  from: string;
}

/** A user home, an aiflow home and a project folder (with a sub-folder to run from), all empty. */
function folders(t: TestContext) {
  const root = tempDir(t);
  const paths = {
    userHome: join(root, 'user'),
    aiflowHome: join(root, 'aiflow-home'),
    project: join(root, 'project'),
    cwd: join(root, 'project', 'src', 'flows'),
  };
  for (const dir of Object.values(paths)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(paths.userHome, '.aiflow'));
  // Nothing of the machine running the test may leak in.
  const env = {
    HOME: paths.userHome,
    AIFLOW_HOME: paths.aiflowHome,
    AIFLOW_SERVER: undefined,
    AIFLOW_NAMESPACE: undefined,
    AIFLOW_PROFILE: undefined,
    AIFLOW_CONFIG: undefined,
  };
  const aiflow = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [AIFLOW_BIN, ...args], { env: { ...env, ...extraEnv }, cwd: paths.cwd });
  const config = async (args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = await aiflow(['config', '-o', 'json', ...args], extraEnv);
    assert.equal(r.code, 0, r.stderr);
    return Object.fromEntries((JSON.parse(r.stdout) as Setting[]).map((s) => [s.name, s]));
  };
  return { ...paths, aiflow, config };
}

test('each source of the server address overrides the ones below it, and config names it', async (t) => {
  const f = folders(t);
  const userFile = join(f.userHome, '.aiflow', 'config.yaml');
  const projectFile = join(f.project, 'aiflow.config.yaml');
  const expectServer = async (
    value: string,
    from: string,
    args: string[] = [],
    env: NodeJS.ProcessEnv = {},
  ) => {
    const settings = await f.config(args, env);
    assert.deepEqual(settings.server, { name: 'server', value, from });
  };

  await expectServer('mqtt://localhost:1883', 'default');

  // A server running for the home: its record names a live process (this one) and its URL.
  writeServerRecord(f.aiflowHome, { pid: process.pid, url: 'mqtt://127.0.0.1:1999' });
  await expectServer('mqtt://127.0.0.1:1999', `local server (pid ${process.pid}, ${f.aiflowHome})`);

  writeFileSync(userFile, 'server: mqtt://user-level:1\nusername: alice\npassword: secret\n');
  await expectServer('mqtt://user-level:1', userFile);

  writeFileSync(
    projectFile,
    [
      'server: mqtt://project:2',
      'namespace: plant-1',
      'profiles:',
      '  staging:',
      '    server: mqtt://staging:3',
      '',
    ].join('\n'),
  );
  await expectServer('mqtt://project:2', projectFile);
  await expectServer('mqtt://staging:3', `${projectFile} (profile staging)`, ['--profile', 'staging']);
  await expectServer('mqtt://staging:3', `${projectFile} (profile staging)`, [], {
    AIFLOW_PROFILE: 'staging',
  });
  await expectServer('mqtt://env:4', 'AIFLOW_SERVER', ['--profile', 'staging'], {
    AIFLOW_SERVER: 'mqtt://env:4',
  });
  await expectServer('mqtt://flag:5', '--server', ['-s', 'mqtt://flag:5'], { AIFLOW_SERVER: 'mqtt://env:4' });

  // Settings of different files combine: the user's login, the project's namespace.
  const settings = await f.config();
  assert.deepEqual(settings.namespace, { name: 'namespace', value: 'plant-1', from: projectFile });
  assert.deepEqual(settings.username, { name: 'username', value: 'alice', from: userFile });
  assert.equal(settings['config files']?.value, `${projectFile}, ${userFile}`);
});

test('an unknown profile, an unknown setting and a malformed file are clear errors', async (t) => {
  const f = folders(t);
  const projectFile = join(f.project, 'aiflow.config.json');
  writeFileSync(projectFile, JSON.stringify({ server: 'mqtt://project:2' }));
  const unknownProfile = await f.aiflow(['config', '--profile', 'prod']);
  assert.equal(unknownProfile.code, 1);
  assert.match(
    unknownProfile.stderr,
    /^aiflow: INVALID_OPTION: profile "prod" is not defined: it is not in .*aiflow\.config\.json\n$/,
  );

  writeFileSync(projectFile, JSON.stringify({ server: 'mqtt://project:2', sever: 'typo' }));
  const unknownSetting = await f.aiflow(['event', 'send', 'k', 'v']);
  assert.equal(unknownSetting.code, 1);
  assert.match(
    unknownSetting.stderr,
    /INVALID_OPTION: config file .*aiflow\.config\.json: unknown setting "sever"/,
  );

  writeFileSync(projectFile, '{ "server": ');
  const malformed = await f.aiflow(['config']);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /INVALID_OPTION: config file .*aiflow\.config\.json: /);
});

test('with nothing set, the CLI reaches the server running for its home, whatever its port', async (t) => {
  const f = folders(t);
  const port = await freePort();
  await startServerProcess(t, { home: f.aiflowHome, port });
  const sent = await f.aiflow(['event', 'send', 'greeting', 'hello', '-o', 'json']);
  assert.equal(sent.code, 0, sent.stderr);
  const listed = await f.aiflow(['event', 'list', '-o', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  const events = JSON.parse(listed.stdout) as { key: string; value: string }[];
  assert.deepEqual(
    events.map((e) => [e.key, e.value]),
    [['greeting', 'hello']],
  );
  const settings = await f.config();
  assert.match(settings.server!.value, new RegExp(`:${port}$`));
  assert.match(settings.server!.from, /^local server \(pid \d+, /);
});
