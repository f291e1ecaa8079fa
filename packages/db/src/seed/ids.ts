import { v5 as uuidv5 } from 'uuid';

// A fixed namespace makes every seeded id the same on every machine and every run,
// so demo users, fixtures and screenshots can refer to them.
const SEED_NAMESPACE = '6d1f4e0a-6f1c-4f0e-9a55-3c2b8f1d7a10';

/** A deterministic UUID for a seeded row (`seedId('branch', 'kampala')`). */
export function seedId(...parts: string[]): string {
  return uuidv5(parts.join(':'), SEED_NAMESPACE);
}

/** A small deterministic PRNG (mulberry32), so seeded quantities never change between runs. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
  };
}
