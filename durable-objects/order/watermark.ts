/**
 * How far D1 holds the order's audit chain: the drain's watermark. Entries past
 * it (and the index row, if a block past it marked it stale) are what D1 lacks.
 *
 * The drain moves it in memory only: a meta row per drain was a billed write per
 * commit (bench/results/cost.md, session 9). What the object writes down is the
 * watermark each new block carries (its commit knew D1 held that much:
 * audit-store.ts). A restarted object counts the blocks past that as pending
 * until it has asked D1 what it holds (`learn`), so nothing is ever taken as
 * drained unseen, and nothing is sent twice to D1 that D1 would not ignore.
 */
export class DrainWatermark {
  /** What D1 is known to hold, learnt in this object's lifetime (a drain, or D1 asked); null: not yet. */
  private known: number | null = null;

  constructor(
    /** What the object wrote down as drained. */
    private readonly floor: () => number,
    private readonly head: () => number,
  ) {}

  seq(): number {
    return this.known ?? this.floor();
  }

  /** Blocks past the written-down watermark, and D1 not asked since the object started: they may or may not be in D1. */
  unverified(): boolean {
    return this.known === null && this.head() > this.floor();
  }

  /** D1 holds the chain up to `seq` (drains run in seq order, so everything before it too). */
  learn(seq: number): void {
    this.known = Math.max(this.seq(), seq);
  }

  /** After a rolled-back transaction: ask D1 again rather than trust what was learnt during it. */
  forget(): void {
    this.known = null;
  }
}
