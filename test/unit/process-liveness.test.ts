import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { isProcessRunning } from '../../scheduler/process-liveness.ts';
import { makeZombie } from '../fixtures/zombie.ts';

test('a running process runs; an exited one and a zombie do not', async (t) => {
  assert.equal(isProcessRunning(process.pid), true);
  const exited = spawn('true');
  await once(exited, 'exit');
  assert.equal(isProcessRunning(exited.pid!), false);

  const zombie = await makeZombie(t);
  assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(0) alone still sees the zombie');
  assert.equal(isProcessRunning(zombie), false);
});
