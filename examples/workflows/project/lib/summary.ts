// A helper of the `project` example: plain TypeScript that the workflow module imports.

/** `count 3, mean 4, max 5` for [3, 4, 5]. */
export function summarize(values: readonly number[]): string {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return `count ${values.length}, mean ${mean}, max ${Math.max(...values)}`;
}
