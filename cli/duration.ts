import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30d`, `12h`, `90m`, `45s`, `500ms`, `2w` → milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 30d, 12h, 90m, 45s or 500ms.');
  return Number(match[1]) * UNITS[match[2]!]!;
}
