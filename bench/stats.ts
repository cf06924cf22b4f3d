/** Latency summary in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array: an observed value, never an interpolation. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** Smallest, median and largest of a figure measured once per round. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  rounds: number[];
}

export function spread(rounds: number[]): Spread {
  const sorted = [...rounds].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? Number.NaN,
    median: sorted.length === 0 ? Number.NaN : sorted[(sorted.length - 1) >> 1]!,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    rounds,
  };
}
