/**
 * The dashboard under volume, in Debian's Chromium (/usr/bin/chromium or AIFLOW_CHROMIUM):
 * (a) a workflow with 10,000 finished executions (written straight into the metadata store): time from opening the
 *     workflow page to its first page of rows, to the next page, and the DOM size;
 * (b) the event tail at 1,000 events/s for 10 s (an MQTT.js publisher, QoS 0, 10 events every 10 ms): frames the
 *     page drew, the longest gap between frames, long tasks, rows in the DOM, and how far the tail lags at the end.
 *
 *   node --conditions=aiflow-source --import tsx bench/dashboard.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createLogger } from '../broker/logger.ts';
import { SchedulerClient } from '../client/index.ts';
import { emptyUnitOfWork, type WorkflowExecutionRecord } from '../scheduler/store/records.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';
import { startServer } from '../server/index.ts';
import { launchChromium } from '../test/chromium.ts';

const EXECUTIONS = 10_000;
const RATE = 1_000;
const SECONDS = 10;

const home = mkdtempSync(join(tmpdir(), 'aiflow-dashboard-bench-'));
const logger = createLogger('warn');
const store = SqliteMetadataStore.open(join(home, 'metadata.db'), { logger });
const server = await startServer({ home, port: 0, wsPort: 0, store, durability: 'normal', logger });
const browser = await launchChromium();
try {
  const scheduler = await SchedulerClient.connect({ server: server.url });
  await scheduler.call('workflow.upload', {
    fileName: 'big.ts',
    source: `import { Workflow } from 'aiflow-mqtt/workflow';\nconst w = new Workflow('big');\nw.bash('t', 'true');\nexport default w;\n`,
  });
  await scheduler.close();
  const workflow = (await store.getWorkflow('default', 'big'))!;
  const now = Date.now();
  const executions: WorkflowExecutionRecord[] = Array.from({ length: EXECUTIONS }, (_, i) => ({
    id: i + 1,
    workflowId: workflow.id,
    snapshotId: workflow.snapshotId,
    namespace: 'default',
    workflow: 'big',
    status: i % 10 === 0 ? 'failed' : 'success',
    runType: 'schedule',
    beginTime: now - (EXECUTIONS - i) * 60_000,
    endTime: now - (EXECUTIONS - i) * 60_000 + 5_000,
  }));
  await store.commit({ ...emptyUnitOfWork(), workflowExecutions: executions });

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(120_000);
  await page.goto(server.dashboardUrl!);
  await page.locator('[data-page="workflows"][data-loaded="true"]').waitFor();
  let t0 = Date.now();
  await page.evaluate(() => (location.hash = '#/workflow/default/big'));
  await page.locator(`tr[data-execution="${EXECUTIONS}"]`).waitFor();
  const firstPage = Date.now() - t0;
  t0 = Date.now();
  await page.getByRole('button', { name: 'older ›' }).click();
  await page.locator(`tr[data-execution="${EXECUTIONS - 50}"]`).waitFor();
  const nextPage = Date.now() - t0;
  const workflowNodes = await page.evaluate(() => document.getElementsByTagName('*').length);

  await page.evaluate(() => (location.hash = '#/events'));
  await page.locator('[data-following="ns/+/#"]').waitFor();
  // A string, not a function: tsx would wrap a named inner function in a helper the page does not have.
  await page.evaluate(`
    window.frames_ = [];
    window.longTasks = [];
    const tick = (time) => { window.frames_.push(time); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration)))
      .observe({ type: 'longtask' });
  `);
  // The same page idle for 3 s: the frame rate this machine and headless Chromium give without any event.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idle = (await page.evaluate(`(() => {
    const f = window.frames_;
    const gaps = f.slice(1).map((t, i) => t - f[i]).sort((a, b) => a - b);
    window.frames_ = [];
    window.longTasks = [];
    return { frames: f.length, p95Gap: gaps[Math.floor(gaps.length * 0.95)] ?? 0 };
  })()`)) as { frames: number; p95Gap: number };
  const publisher = mqtt.connect(server.url, { clientId: 'bench-publisher' });
  await new Promise((resolve) => publisher.once('connect', resolve));
  const total = RATE * SECONDS;
  const started = Date.now();
  for (let sent = 0; sent < total;) {
    for (let i = 0; i < RATE / 100; i++, sent++)
      publisher.publish(`ns/default/sensor/${sent % 8}`, String(sent));
    const due = started + (sent / RATE) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
  }
  const publishedMs = Date.now() - started;
  await page.waitForFunction(
    (count) =>
      Number(document.querySelector('.vtable[aria-label="event tail"]')?.getAttribute('data-count')) >= count,
    Math.min(total, 10_000),
  );
  const caughtUpMs = Date.now() - started - publishedMs;
  const stats = await page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; longTasks: number[] };
    const gaps = w.frames_
      .slice(1)
      .map((t, i) => t - w.frames_[i]!)
      .sort((a, b) => a - b);
    return {
      frames: w.frames_.length,
      p95Gap: gaps[Math.floor(gaps.length * 0.95)] ?? 0,
      maxGap: gaps.at(-1) ?? 0,
      longTasks: w.longTasks.length,
      longTaskMs: w.longTasks.reduce((a, b) => a + b, 0),
      rows: document.querySelectorAll('.vtable[aria-label="event tail"] .vbody .vrow').length,
      nodes: document.getElementsByTagName('*').length,
    };
  });
  publisher.end(true);
  const lines = [
    `(a) workflow page, ${EXECUTIONS} executions: first page of rows ${firstPage} ms after navigation, next page ${nextPage} ms, ${workflowNodes} DOM elements`,
    `(b) event tail, ${total} events at ${RATE}/s: published in ${publishedMs} ms; the tail had them all ${caughtUpMs} ms after the last publish`,
    `    idle page: ${(idle.frames / 3).toFixed(0)} frames/s, frame gap p95 ${idle.p95Gap.toFixed(1)} ms`,
    `    under load: ${(stats.frames / (SECONDS + caughtUpMs / 1000)).toFixed(0)} frames/s, ${stats.frames} frames drawn, frame gap p95 ${stats.p95Gap.toFixed(1)} ms, max ${stats.maxGap.toFixed(1)} ms; ${stats.longTasks} long tasks (${Math.round(stats.longTaskMs)} ms in all); ${stats.rows} tail rows and ${stats.nodes} elements in the DOM`,
  ];
  console.log(lines.join('\n'));
} finally {
  await browser.close();
  await server.close({ stopTasks: true });
  rmSync(home, { recursive: true, force: true });
}
