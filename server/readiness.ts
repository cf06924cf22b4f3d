import type { BrokerServer } from '../broker/index.ts';
import { AIFlowError } from '../protocol/errors.ts';
import type { SchedulerProgress } from './scheduler-progress.ts';

/** When the scheduler counts as caught up: within either bound. */
export interface ReadinessBounds {
  /** @defaultValue 1000 */
  maxLagEvents: number;
  /** Age of the oldest event not yet processed. @defaultValue 5 */
  maxLagSeconds: number;
}

export const READINESS_DEFAULTS: ReadinessBounds = { maxLagEvents: 1_000, maxLagSeconds: 5 };

/** The defaults with `bounds` over them; INVALID_OPTION for a bound that is not a number ≥ 0. */
export function readinessBounds(bounds: Partial<ReadinessBounds> = {}): ReadinessBounds {
  const merged = { ...READINESS_DEFAULTS, ...bounds };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new AIFlowError(
        'INVALID_OPTION',
        `readiness.${name} must be a number >= 0, got ${String(value)}`,
      );
    }
  }
  return merged;
}

export interface CheckResult {
  ok: boolean;
  /** Why the check failed. */
  reason?: string;
}

/** `/readyz`'s answer: ready only when every check passes. */
export interface Readiness {
  ready: boolean;
  checks: { broker: CheckResult; eventLog: CheckResult; scheduler: CheckResult & Partial<SchedulerLag> };
}

interface SchedulerLag {
  lagEvents: number | null;
  lagSeconds: number | null;
}

export function readiness(
  broker: BrokerServer,
  progress: SchedulerProgress,
  bounds: ReadinessBounds,
): Readiness {
  const brokerCheck = broker.listening ? ok() : failed('the broker does not listen');
  const writeFailure = broker.log.writeFailure;
  const eventLog = writeFailure === null ? ok() : failed(writeFailure);
  const scheduler = {
    ...schedulerCheck(progress, bounds),
    lagEvents: progress.lagEvents,
    lagSeconds: progress.lagSeconds,
  };
  const checks = { broker: brokerCheck, eventLog, scheduler };
  return { ready: brokerCheck.ok && eventLog.ok && scheduler.ok, checks };
}

function schedulerCheck(progress: SchedulerProgress, bounds: ReadinessBounds): CheckResult {
  if (!progress.connected) return failed('no scheduler is connected');
  const { lagEvents, lagSeconds } = progress;
  if (lagEvents === null) return failed('the scheduler has not reported its progress');
  if (lagEvents <= bounds.maxLagEvents) return ok();
  if (lagSeconds !== null && lagSeconds <= bounds.maxLagSeconds) return ok();
  const age = lagSeconds === null ? '' : `, the oldest ${lagSeconds.toFixed(1)} s old`;
  return failed(
    `the scheduler is ${lagEvents} events behind${age} (bounds: ${bounds.maxLagEvents} events or ${bounds.maxLagSeconds} s)`,
  );
}

const ok = (): CheckResult => ({ ok: true });
const failed = (reason: string): CheckResult => ({ ok: false, reason });
