// A test reporter that names, at the end of the run, every test file cancelled at its time limit. Node 20's
// `--test-timeout` bounds a whole file too: when a file hits it, the tests still running or not yet started in
// it are not reported at all, and the summary shows only "cancelled 1". The run exits non-zero anyway; this says
// why, loudly, so that tests that never ran are not mistaken for a pass.
// Plain JavaScript: the runner loads reporters before the `--import tsx` loader applies to them.

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* fileLimitReporter(source) {
  const cancelled = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, nesting, details } = event.data;
    if (nesting === 0 && details?.error?.failureType === 'testTimeoutFailure') {
      cancelled.push(`  ${name} (cancelled after ${Math.round(details.duration_ms ?? 0)} ms)`);
    }
  }
  if (cancelled.length === 0) return;
  yield [
    '',
    `✖ ${cancelled.length} test file(s) hit the per-file time limit (--test-timeout) and were cancelled;`,
    '  the tests they had not finished did not run and are not counted above. The run fails.',
    ...cancelled,
    '  Split the file, or find what hangs in it.',
    '',
  ].join('\n');
}
