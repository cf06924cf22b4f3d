import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CHROMIUM_PATH, openPage } from '../chromium.ts';
import { requireProgram, tempDir } from '../helpers.ts';
import { readAdminCredential } from '../../server/home-files.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { addFinishedExecutions, startExecution, startTestServer } from '../server-harness.ts';
import { freePort, launchAiflowProcess, run } from '../support.ts';

function requirePrograms(t: TestContext): boolean {
  return (
    requireProgram(t, CHROMIUM_PATH, 'apt-get install -y chromium') &&
    requireProgram(t, 'mosquitto_pub', 'apt-get install -y mosquitto-clients')
  );
}

function publish(port: number, key: string, value: string) {
  return run('mosquitto_pub', [
    ...['-h', '127.0.0.1', '-p', String(port), '-q', '1'],
    ...['-t', `ns/default/${key}`, '-m', value],
  ]);
}

test('the dashboard starts an execution, follows its tasks and log live, and tails events', async (t) => {
  if (!requirePrograms(t)) return;
  const server = await startTestServer(t, { wsPort: 0 });
  const dir = tempDir(t);
  const gate = join(dir, 'go');
  const file = join(dir, 'dash.ts');
  // Task `a` prints a line, then waits for the test to open the gate: its `running` status is observable.
  writeFileSync(
    file,
    `import { Workflow } from 'aiflow-mqtt/workflow';
const dash = new Workflow('dash');
const a = dash.bash('a', 'echo hello-from-a; while [ ! -e ${gate} ]; do sleep 0.05; done');
const b = dash.bash('b', 'echo b-done');
b.startAfter(a);
export default dash;
`,
  );
  const upload = await server.cli('workflow', 'upload', file);
  assert.equal(upload.code, 0, upload.stderr);
  assert.ok(server.dashboardUrl, 'a server with WebSocket serves the dashboard');

  const { page, pageErrors } = await openPage(t, server.dashboardUrl);

  // Workflows: the uploaded workflow is listed; Start opens its new execution in the same page (no reload).
  const row = page.locator('tr[data-workflow="dash"]');
  await row.getByRole('button', { name: 'Start' }).click();
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  await page.locator('[data-page="execution"][data-loaded="true"]').waitFor();
  await page.locator('tr[data-task="a"][data-status="running"]').waitFor();
  assert.equal(await page.locator('tr[data-task="b"]').getAttribute('data-status'), 'none');

  // The log of the running task streams in.
  await page.locator('tr[data-task="a"]').getByRole('button', { name: 'Log' }).click();
  await page.locator('pre.log', { hasText: 'hello-from-a' }).waitFor();

  writeFileSync(gate, '');
  await page.locator('tr[data-task="a"][data-status="success"]').waitFor();
  await page.locator('tr[data-task="b"][data-status="success"]').waitFor();
  await page.locator('[data-page="execution"][data-status="success"]').waitFor();
  await page.locator('pre.log[data-done="true"]').waitFor();
  assert.equal(
    await page.evaluate(() => (window as unknown as { marker?: number }).marker),
    1,
    'the statuses changed without a reload',
  );

  // Workflow: its graph (an edge for `startAfter`) and its executions, this one finished.
  const executionId = await page.locator('[data-page="execution"]').getAttribute('data-execution');
  await page.getByRole('link', { name: 'default / dash' }).click();
  await page.locator(`tr[data-execution="${executionId}"] [data-status="success"]`).waitFor();
  await page.locator('svg.task-graph g.edge[data-from="a"][data-to="b"]').waitFor();

  // Events: an event published by a plain MQTT client appears in the live tail, with its offset.
  await page.getByRole('link', { name: 'Events' }).click();
  await page.locator('[data-page="events"] [data-following="ns/+/#"]').waitFor();
  const published = await publish(server.port, 'dashboard-key', 'hello-dashboard');
  assert.equal(published.code, 0, published.stderr);
  const tailRow = page
    .getByRole('table', { name: 'event tail' })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'hello-dashboard', exact: true }) });
  await tailRow.waitFor();
  const offset = Number(await tailRow.getByRole('cell').first().textContent());
  assert.ok(offset > 0, `the tail shows the event's offset (${offset})`);
  assert.deepEqual(pageErrors, []);
});

test('the execution page says why a task ran: the rule and the event a plain MQTT client sent', async (t) => {
  if (!requirePrograms(t)) return;
  const server = await startTestServer(t, { wsPort: 0 });
  const file = join(tempDir(t), 'why.ts');
  writeFileSync(
    file,
    `import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';
const why = new Workflow('why');
why.bash('w', 'echo woken').actionOnEventReceived(TaskAction.START, 'go');
export default why;
`,
  );
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  const started = await server.cli('workflow-execution', 'start', 'why', '-o', 'json');
  assert.equal(started.code, 0, started.stderr);
  const { id } = JSON.parse(started.stdout) as { id: number };
  const { page, pageErrors } = await openPage(t, `${server.dashboardUrl}#/execution/${id}`);
  await page.locator('[data-page="execution"][data-loaded="true"]').waitFor();

  const sent = await run('mosquitto_pub', [
    ...['-h', '127.0.0.1', '-p', String(server.port), '-q', '1', '-i', 'sensor-7'],
    ...['-t', 'ns/default/go', '-m', 'now'],
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  await page.locator('tr[data-task="w"][data-status="success"]').waitFor();
  await page.locator('tr[data-task="w"]').getByRole('button', { name: 'Log' }).click();
  const why = page.locator('[data-slot="cause"] .why-action');
  await why.first().waitFor();
  const text = (await why.first().textContent()) ?? '';
  assert.match(
    text,
    /^started by rule 0 actionOnEventReceived\(START, "go"\) on event \d+ go from sensor-7 at /,
  );
  assert.deepEqual(pageErrors, []);
});

test('the dashboard asks for a login when the server refuses one, and takes credentials from the link', async (t) => {
  if (!requirePrograms(t)) return;
  const server = await startTestServer(t, { wsPort: 0 });
  // The server refuses this user name with a wrong password (CONNACK 4): the page must ask.
  const { page, pageErrors } = await openPage(
    t,
    `${server.dashboardUrl}#user=aiflow-scheduler&password=wrong`,
  );
  const form = page.getByRole('form', { name: 'login' });
  await form.waitFor();
  assert.ok(!page.url().includes('password'), `the credentials left the address bar: ${page.url()}`);
  await form.getByLabel('User').fill('ann');
  await form.getByLabel('Password or token').fill('secret');
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.locator('.connection[data-state="online"]').waitFor();
  await page.locator('[data-page="workflows"][data-loaded="true"]').waitFor();
  const stored = await page.evaluate(() => sessionStorage.getItem('aiflow.credentials'));
  assert.deepEqual(JSON.parse(stored ?? 'null'), { username: 'ann', password: 'secret' });
  assert.deepEqual(pageErrors, []);
});

test('the dashboard reconnects after a server restart and its event tail goes on', async (t) => {
  if (!requirePrograms(t)) return;
  const first = await startTestServer(t, { wsPort: 0 });
  const { page, pageErrors } = await openPage(t, `${first.dashboardUrl}#/events`);
  await page.locator('[data-following="ns/+/#"]').waitFor();
  assert.equal((await publish(first.port, 'before', 'one')).code, 0);
  const tail = page.getByRole('table', { name: 'event tail' });
  await tail.getByRole('cell', { name: 'one', exact: true }).waitFor();

  await first.close();
  await page.locator('.connection:not([data-state="online"])').waitFor();
  const second = await startTestServer(t, { home: first.home, port: first.port, wsPort: first.wsPort });
  await page.locator('.connection[data-state="online"]').waitFor();
  // Sent as soon as the server is back, whether the page has re-subscribed yet or not: live or caught up from the
  // log, it must appear.
  assert.equal((await publish(second.port, 'after', 'two')).code, 0);
  await tail.getByRole('cell', { name: 'two', exact: true }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('the workflow page lists executions a page at a time from the server, newest first, filtered', async (t) => {
  if (!requirePrograms(t)) return;
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  const server = await startTestServer(t, { wsPort: 0, store });
  const file = join(tempDir(t), 'many.ts');
  writeFileSync(
    file,
    `import { Workflow } from 'aiflow-mqtt/workflow';\nconst w = new Workflow('many');\nw.bash('t', 'true');\nexport default w;\n`,
  );
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  await addFinishedExecutions(store, 'many', 120);
  const { page, pageErrors } = await openPage(t, `${server.dashboardUrl}#/workflow/default/many`);
  const rows = page.locator('table[data-executions] tbody tr');
  await page.locator('tr[data-execution="120"]').waitFor();
  assert.equal(await rows.count(), 50);
  await page.getByRole('button', { name: 'older ›' }).click();
  await page.locator('tr[data-execution="70"]').waitFor();
  assert.deepEqual(
    [await rows.first().getAttribute('data-execution'), await rows.last().getAttribute('data-execution')],
    ['70', '21'],
  );
  await page.getByRole('combobox', { name: 'show executions' }).selectOption('failed');
  await page.locator('tr[data-execution="120"]').waitFor();
  assert.equal(await rows.count(), 40, 'every third of 120 failed: 40, on one page');
  assert.equal(await page.locator('table[data-executions] [data-status="success"]').count(), 0);
  assert.ok(page.url().includes('filter=failed'), 'the filter is kept in the address');
  assert.deepEqual(pageErrors, []);
});

test('aiflow server start prints the dashboard URL, and the page served there talks to its scheduler', async (t) => {
  if (!requirePrograms(t)) return;
  const home = tempDir(t);
  const args = ['server', 'start', '--port', String(await freePort()), '--ws-port', '0', '--home', home];
  const server = launchAiflowProcess(args, 'dashboard on http');
  t.after(() => server.child.kill('SIGKILL'));
  let stdout = '';
  server.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await server.ready;
  const url = /dashboard on (http:\/\/\S+)/.exec(stdout)?.[1];
  assert.ok(url, stdout);
  // How to log in is printed, the password itself never.
  assert.ok(stdout.includes(`log in as admin: password in ${join(home, 'admin.credential')}`), stdout);
  const admin = readAdminCredential(home);
  assert.ok(admin && !stdout.includes(admin.password), stdout);
  const script = await fetch(new URL('dashboard.js', url));
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  // The scheduler runs in its own process, as under `aiflow server start`: the page's queries reach it.
  const { page, pageErrors } = await openPage(t, url);
  await page.locator('[data-page="workflows"][data-loaded="true"]').waitFor();
  await page.getByText('No workflow yet').waitFor();
  assert.deepEqual(pageErrors, []);
});

test('the workflow page stops the executions selected, and their rows follow live', async (t) => {
  if (!requirePrograms(t)) return;
  const server = await startTestServer(t, { wsPort: 0 });
  const file = join(tempDir(t), 'long.ts');
  writeFileSync(
    file,
    `import { Workflow } from 'aiflow-mqtt/workflow';\nconst w = new Workflow('long');\nw.bash('t', 'echo started; sleep 600');\nexport default w;\n`,
  );
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  const ids = [
    await startExecution(server, 'long'),
    await startExecution(server, 'long'),
    await startExecution(server, 'long'),
  ];
  const { page, pageErrors } = await openPage(t, `${server.dashboardUrl}#/workflow/default/long`);
  for (const id of ids) await page.locator(`tr[data-execution="${id}"] [data-status="running"]`).waitFor();
  await page.getByRole('checkbox', { name: `select execution ${ids[0]}` }).check();
  await page.getByRole('checkbox', { name: `select execution ${ids[2]}` }).check();
  await page.getByRole('button', { name: 'Stop selected' }).click();
  await page.locator(`tr[data-execution="${ids[0]}"] [data-status="stopped"]`).waitFor();
  await page.locator(`tr[data-execution="${ids[2]}"] [data-status="stopped"]`).waitFor();
  const shown = await server.cli('workflow-execution', 'show', String(ids[1]), '-o', 'json');
  assert.equal(
    (JSON.parse(shown.stdout) as { status: string }).status,
    'running',
    'the one not selected runs on',
  );
  assert.deepEqual(pageErrors, []);
});
