import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, defaultLogFormat, logSink } from '../../broker/logger.ts';
import { AIFlowError } from '../../protocol/errors.ts';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger(
      'info',
      logSink(format, (line) => lines.push(line)),
    ),
  };
}

test('json lines carry time, level, message and fields; levels below the threshold are dropped', () => {
  const { lines, logger } = capture('json');
  logger.debug('not shown');
  logger.info('execution 3 of etl started (manual)', { workflowExecutionId: 3 });
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  assert.equal(record.level, 'info');
  assert.equal(record.msg, 'execution 3 of etl started (manual)');
  assert.equal(record.workflowExecutionId, 3);
  assert.ok(!Number.isNaN(Date.parse(record.time)));
});

test('an error in the fields is logged as its stable code and reason', () => {
  const { lines, logger } = capture('pretty');
  logger.error('event failed', { offset: 7, error: new AIFlowError('INVALID_PAYLOAD', 'not JSON') });
  logger.error('crash', { error: new Error('boom') });
  assert.match(lines[0]!, / ERROR event failed offset=7 code="INVALID_PAYLOAD" reason="not JSON"\n$/);
  assert.match(lines[1]!, / ERROR crash code="INTERNAL" reason="boom"\n$/);
});

test('the default format is pretty on a terminal and JSON otherwise', () => {
  assert.equal(defaultLogFormat(true), 'pretty');
  assert.equal(defaultLogFormat(false), 'json');
});

test('enabled says which levels a logger keeps, so hot paths skip what it would drop', () => {
  const kept: string[] = [];
  const logger = createLogger('warn', (record) => kept.push(record.level));
  assert.deepEqual(
    (['debug', 'info', 'warn', 'error'] as const).map((level) => logger.enabled(level)),
    [false, false, true, true],
  );
  logger.info('dropped');
  logger.warn('kept');
  assert.deepEqual(kept, ['warn']);
});
