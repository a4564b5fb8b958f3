import { mulberry32 } from "../random";

/**
 * Seeded randomness for the simulator. Two kinds, for two jobs:
 *
 * - `Rng` streams (mulberry32) for things drawn in sequence, like the
 *   campaign's arrival times;
 * - `unit(seed, key)` for per-item decisions (is this webhook dropped? does
 *   the WMS reject this export?). A decision that depends only on the seed and
 *   the item's own key stays the same when other items are added, removed or
 *   handled in a different order — so the consumer can decide about an export
 *   whenever it arrives and still agree with a rerun.
 */

/** 32-bit FNV-1a over the UTF-16 code units, then a murmur3 finaliser to spread close keys apart. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) fixed by the seed and the key alone. */
export function unit(seed: number, key: string): number {
  return hash32(`${seed}\u0000${key}`) / 0x1_0000_0000;
}

/** True for about `fraction` of all keys. */
export function chance(seed: number, key: string, fraction: number): boolean {
  return fraction > 0 && unit(seed, key) < fraction;
}

export class Rng {
  private readonly draw: () => number;

  constructor(seed: number, stream = "") {
    this.draw = mulberry32(hash32(`${seed}\u0000stream:${stream}`) || 0x9e3779b9);
  }

  next(): number {
    return this.draw();
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, maxInclusive: number): number {
    return Math.floor(this.between(min, maxInclusive + 1));
  }

  /** Exponentially distributed with this mean: the gaps of a Poisson arrival process. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, w] of choices) {
      r -= w;
      if (r < 0) return value;
    }
    const last = choices.at(-1);
    if (!last) throw new Error("weighted() needs at least one choice");
    return last[0];
  }

  /** Fisher–Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = out[i];
      const b = out[j];
      if (a === undefined || b === undefined) continue;
      out[i] = b;
      out[j] = a;
    }
    return out;
  }

  /** Lower-case hex, e.g. for ids that look like a sender's. */
  hex(length: number): string {
    let s = "";
    while (s.length < length) s += Math.floor(this.next() * 0x1_0000_0000).toString(16).padStart(8, "0");
    return s.slice(0, length);
  }

  /** Base-62 characters, the alphabet of Stripe's object ids. */
  base62(length: number): string {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let s = "";
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(this.next() * 62)] ?? "0";
    return s;
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
