/** A small seeded PRNG (mulberry32): the same seed gives the same kill moments. Returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from AIFLOW_CHAOS_SEED when set, a fresh one otherwise. */
export function chaosSeed(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.AIFLOW_CHAOS_SEED;
  if (fromEnv === undefined || fromEnv === '') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`AIFLOW_CHAOS_SEED must be an integer in [0, 2^32), got ${fromEnv}`);
  }
  return seed;
}
