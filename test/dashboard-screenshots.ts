// `npm run screenshots`: starts a server on free ports with a demo workflow, drives the dashboard in Debian's
// Chromium (/usr/bin/chromium, or AIFLOW_CHROMIUM) and saves the main pages as docs/dashboard-*.png (the execution
// page also in dark mode).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../broker/logger.ts';
import { AIFlowNotificationClient, SchedulerClient } from '../client/index.ts';
import { readAdminCredential } from '../server/home-files.ts';
import { startServer } from '../server/index.ts';
import { launchChromium } from './chromium.ts';
import { ROOT } from './support.ts';

const home = mkdtempSync(join(tmpdir(), 'aiflow-screenshots-'));
const server = await startServer({ home, port: 0, wsPort: 0, logger: createLogger('warn') });
const browser = await launchChromium();
// Access control is on (the default): everything is done as the admin made on the first start.
const admin = readAdminCredential(home)!;
try {
  const source = `import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';
const etl = new Workflow('etl');
const extract = etl.bash('extract', 'for i in 1 2 3; do echo "extracting part $i"; sleep 0.2; done');
const flaky = etl.bash('validate', 'test -e ${home}/validated || { touch ${home}/validated; echo "schema check failed"; exit 1; }; echo valid', { retry: { maxRetries: 2, backoffMs: 200 } });
const transform = etl.bash('transform', 'echo "transforming 1200 rows"; sleep 0.5; echo done');
const load = etl.bash('load', 'echo "loading into the warehouse"; sleep 0.3');
const report = etl.bash('report', 'echo "report sent"');
transform.startAfter([extract, flaky]);
load.startAfter(transform);
report.actionOnEventReceived(TaskAction.START, 'report');
load.actionOnEventReceived(TaskAction.RESTART, 'reload');
load.actionOnEventReceived(TaskAction.STOP, 'halt');
export default etl;
`;
  const scheduler = await SchedulerClient.connect({ server: server.url, credentials: admin });
  await scheduler.call('workflow.upload', { fileName: 'etl.ts', source });
  await scheduler.addWorkflowSchedule({ workflow: 'etl' }, 'cron@0 2 * * *');
  await scheduler.addWorkflowTrigger({ workflow: 'etl' }, { key: 'data-arrived' });
  const events = await AIFlowNotificationClient.connect({ server: server.url, credentials: admin });

  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(60_000);
  page.on('dialog', (dialog) => void dialog.accept());
  const login = new URLSearchParams({ user: admin.username, password: admin.password });
  await page.goto(`${server.dashboardUrl!}#${login}`);
  await page.locator('tr[data-workflow="etl"]').getByRole('button', { name: 'Start' }).click();
  await page.locator('tr[data-task="load"][data-status="success"]').waitFor();
  await events.sendEvent('reload', 'late rows');
  await page.locator('tr[data-task="load"][data-status="success"] summary', { hasText: '2 runs' }).waitFor();
  await events.sendEvent('report', 'weekly');
  await page.locator('[data-page="execution"][data-status="success"]').waitFor();
  await page.locator('tr[data-task="transform"]').getByRole('button', { name: 'Log' }).click();
  await page.locator('pre.log[data-done="true"]').waitFor();
  await page.screenshot({ path: join(ROOT, 'docs', 'dashboard-execution.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(ROOT, 'docs', 'dashboard-execution-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.goto(`${server.dashboardUrl!}#/workflows`);
  await page.locator('[data-page="workflows"][data-loaded="true"]').waitFor();
  await page.locator('td.last-run .status').waitFor();
  await page.screenshot({ path: join(ROOT, 'docs', 'dashboard-workflows.png') });

  await page.goto(`${server.dashboardUrl!}#/workflow/default/etl`);
  await page.locator('[data-page="workflow"][data-loaded="true"] svg.task-graph').waitFor();
  await page.screenshot({ path: join(ROOT, 'docs', 'dashboard-workflow.png'), fullPage: true });

  await page.goto(`${server.dashboardUrl!}#/events`);
  await page.locator('[data-following]').waitFor();
  for (let i = 0; i < 40; i++) await events.sendEvent(`sensor/${i % 4}`, String(20 + (i % 7)));
  await page.locator('[data-page="events"] .vtable[data-count="40"]').first().waitFor();
  await page.getByRole('textbox', { name: 'Keys (comma)' }).fill('sensor/1');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.vtable[aria-label="search results"][data-count="10"]').waitFor();
  await page.screenshot({ path: join(ROOT, 'docs', 'dashboard-events.png') });
  await events.close();
  await scheduler.close();
  writeFileSync(1, 'screenshots written to docs/dashboard-*.png\n');
} finally {
  await browser.close();
  await server.close({ stopTasks: true });
  rmSync(home, { recursive: true, force: true });
}
