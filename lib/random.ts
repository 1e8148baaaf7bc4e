/**
 * A seeded generator of floats in [0, 1) (mulberry32): the same seed gives
 * the same sequence on every run and machine, so a run with random faults
 * can be repeated. Further keys (a connection number, a direction) give each
 * its own sequence, whichever order they are made in.
 *
 * @example
 * ```ts
 * import { random } from "./random.ts";
 * const next = random(42, 7); // seed 42, connection 7
 * console.log(next() < 0.5); // the same answer on every run
 * ```
 */
export function random(seed: number, ...keys: number[]): () => number {
  let a = seed >>> 0;
  for (const key of keys) a = mix(a ^ Math.imul(key >>> 0, 0x9e3779b1));
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A 32-bit finalizer (murmur3's), so nearby keys give unrelated seeds.
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
