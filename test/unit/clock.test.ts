import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMER_DELAY_MS, steppedTimers, type Clock } from '../../scheduler/clock.ts';

const DAY = 86_400_000;

/** Node's timers, faked: a delay over the limit fires after 1 ms, as Node's own do. Records every arming. */
class FakeNodeTimers implements Clock {
  now_ = 0;
  readonly armed: number[] = [];
  readonly #timers = new Map<number, { due: number; callback: () => void }>();
  #nextId = 1;

  now(): number {
    return this.now_;
  }

  setTimeout(callback: () => void, ms: number): number {
    this.armed.push(ms);
    const id = this.#nextId++;
    this.#timers.set(id, { due: this.now_ + (ms > MAX_TIMER_DELAY_MS ? 1 : ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves to `time`, firing due timers in order. */
  runUntil(time: number): void {
    for (;;) {
      const next = [...this.#timers.entries()].sort((a, b) => a[1].due - b[1].due)[0];
      if (!next || next[1].due > time) break;
      this.#timers.delete(next[0]);
      this.now_ = next[1].due;
      next[1].callback();
    }
    this.now_ = time;
  }

  get pending(): number {
    return this.#timers.size;
  }
}

for (const [name, delay] of [
  ['30 days', 30 * DAY],
  ['one year', 365 * DAY],
  ['eight years (29 February)', 8 * 365 * DAY],
  ['exactly the limit + 1', MAX_TIMER_DELAY_MS + 1],
] as const) {
  test(`a delay of ${name} fires when due and not before, armed in steps under the limit`, () => {
    const base = new FakeNodeTimers();
    const clock = steppedTimers(base);
    let fired = 0;
    clock.setTimeout(() => fired++, delay);
    base.runUntil(delay - 1);
    assert.equal(fired, 0, 'not before its time');
    base.runUntil(delay);
    assert.equal(fired, 1, 'at its time');
    assert.ok(base.armed.length >= 2, 'armed in more than one step');
    assert.ok(
      base.armed.every((ms) => ms <= MAX_TIMER_DELAY_MS),
      `steps ${base.armed.join(', ')}`,
    );
    base.runUntil(delay * 2);
    assert.equal(fired, 1, 'once');
  });
}

test('a short delay is one base timer, unchanged', () => {
  const base = new FakeNodeTimers();
  const clock = steppedTimers(base);
  let fired = 0;
  clock.setTimeout(() => fired++, 1500);
  assert.deepEqual(base.armed, [1500]);
  base.runUntil(1500);
  assert.equal(fired, 1);
});

test('clearTimeout cancels a long timer between steps', () => {
  const base = new FakeNodeTimers();
  const clock = steppedTimers(base);
  let fired = 0;
  const handle = clock.setTimeout(() => fired++, 60 * DAY);
  base.runUntil(40 * DAY); // past the first step: the handle now holds a re-armed timer
  clock.clearTimeout(handle);
  assert.equal(base.pending, 0);
  base.runUntil(100 * DAY);
  assert.equal(fired, 0);
});

test('a delay that is not a finite number never fires', () => {
  const base = new FakeNodeTimers();
  const clock = steppedTimers(base);
  clock.setTimeout(() => assert.fail('fired'), Number.POSITIVE_INFINITY);
  assert.equal(base.pending, 0);
});
