// A seeded PRNG (mulberry32) so a failing kill schedule can be replayed:
// suites print their seed, and RELIABILITY_SEED=<n> runs that schedule again.

/** Random numbers in [0, 1) from `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RELIABILITY_SEED when set, else a fresh seed (printed by the caller). */
export function suiteSeed(): number {
  const env = Number(process.env.RELIABILITY_SEED);
  return Number.isInteger(env) && env > 0 ? env : (Date.now() ^ (process.pid << 8)) >>> 0;
}
