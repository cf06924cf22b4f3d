import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CHROMIUM_PATH, openPage } from '../chromium.ts';
import { requireProgram, tempDir } from '../helpers.ts';
import { startTestServer, type TestServer } from '../server-harness.ts';
import { readAdminCredential } from '../../server/home-files.ts';
import type { Credentials } from '../../protocol/admin-credential.ts';

/**
 * The dashboard against a server with access control on, as `aiflow server start` runs it: the admin made on the
 * first start (its password in `<home>/admin.credential`), anonymous visitors on loopback `publisher@default`.
 */
async function securedServer(t: TestContext): Promise<{ server: TestServer; admin: Credentials }> {
  const server = await startTestServer(t, { wsPort: 0, access: {} });
  const admin = readAdminCredential(server.home);
  assert.ok(admin, 'the first start writes the admin credential');
  return { server, admin };
}

/** Runs a CLI command logged in as `login`; asserts it succeeded and returns its stdout. */
async function cliAs(server: TestServer, login: Credentials, ...argv: string[]): Promise<string> {
  const result = await server.cli(...argv, '-u', login.username, '--password', login.password);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

/** Uploads a one-task workflow `name` into `namespace` as the admin. */
async function upload(
  t: TestContext,
  server: TestServer,
  admin: Credentials,
  name: string,
  namespace: string,
) {
  const file = join(tempDir(t), `${name}.ts`);
  writeFileSync(
    file,
    `import { Workflow } from 'aiflow-mqtt/workflow';\nconst w = new Workflow('${name}', { namespace: '${namespace}' });\nw.bash('t', 'true');\nexport default w;\n`,
  );
  await cliAs(server, admin, 'workflow', 'upload', file);
}

test('an anonymous visitor sees what anonymous may, is offered a login on FORBIDDEN, and the admin logs in from the form', async (t) => {
  if (!requireProgram(t, CHROMIUM_PATH, 'apt-get install -y chromium')) return;
  const { server, admin } = await securedServer(t);
  await cliAs(server, admin, 'namespace', 'add', 'plant-1');
  await upload(t, server, admin, 'open-flow', 'default');
  await upload(t, server, admin, 'plant-flow', 'plant-1');
  assert.ok(server.dashboardUrl);

  const { page, pageErrors } = await openPage(t, server.dashboardUrl);
  // Anonymous (publisher@default): the workflows of `default` only, without Start (it needs operator).
  await page.locator('[data-page="workflows"][data-loaded="true"]').waitFor();
  await page.locator('.identity [data-user="anonymous"]').waitFor();
  const openRow = page.locator('tr[data-workflow="open-flow"]');
  await openRow.waitFor();
  assert.equal(await page.locator('tr[data-workflow="plant-flow"]').count(), 0);
  assert.equal(await openRow.getByRole('button', { name: 'Start' }).count(), 0, 'no Start for a publisher');

  // A namespace it may not view: the refusal is shown with a way to log in, not a broken page.
  await page.goto(`${server.dashboardUrl}#/workflow/plant-1/plant-flow`);
  const alert = page.locator('[data-page="workflow"] [role="alert"]');
  await alert.filter({ hasText: 'FORBIDDEN' }).waitFor();
  await alert.getByRole('link', { name: 'log in' }).click();

  const form = page.getByRole('form', { name: 'login' });
  await form.getByLabel('User').fill(admin.username);
  await form.getByLabel('Password or token').fill(admin.password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.locator('.identity [data-user="admin"]').waitFor();
  await page.locator('.connection[data-state="online"]').waitFor();
  await page.locator('[data-page="workflows"][data-loaded="true"]').waitFor();
  await page
    .getByRole('row')
    .filter({ hasText: 'plant-flow' })
    .getByRole('button', { name: 'Start' })
    .click();
  await page.locator('[data-page="execution"][data-status="success"]').waitFor();
  assert.deepEqual(pageErrors, []);
});

test('a token link logs in under the token, and a viewer sees the pages without the actions it may not take', async (t) => {
  if (!requireProgram(t, CHROMIUM_PATH, 'apt-get install -y chromium')) return;
  const { server, admin } = await securedServer(t);
  await upload(t, server, admin, 'watched', 'default');
  const started = await cliAs(server, admin, 'workflow-execution', 'start', 'watched', '-o', 'json');
  const executionId = (JSON.parse(started) as { id: number }).id;
  const created = await cliAs(
    server,
    admin,
    ...['token', 'create', '--grant', 'viewer@default', '--name', 'wall-screen', '-o', 'json'],
  );
  const { token } = JSON.parse(created) as { token: string };
  assert.match(token, /^aft_/);
  assert.ok(server.dashboardUrl);

  const { page, pageErrors } = await openPage(t, `${server.dashboardUrl}#token=${token}`);
  await page.locator('.identity [data-user="wall-screen"]').waitFor();
  assert.ok(!page.url().includes('aft_'), `the token left the address bar: ${page.url()}`);
  const row = page.locator('tr[data-workflow="watched"]');
  await row.waitFor();
  assert.equal(await row.getByRole('button').count(), 0, 'neither Start nor Disable for a viewer');

  await page.goto(`${server.dashboardUrl}#/workflow/default/watched`);
  await page.locator(`tr[data-execution="${executionId}"] [data-status="success"]`).waitFor();
  assert.equal(await page.locator('[data-page="workflow"] .actions button').count(), 0);

  await page.goto(`${server.dashboardUrl}#/execution/${executionId}`);
  await page.locator('[data-page="execution"][data-status="success"]').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Run again' }).count(), 0);
  await page.locator('tr[data-task="t"]').getByRole('button', { name: 'Log' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
