import type { MachineEvent } from "../../domain/events/handoff-events";
import { epochMs } from "../../domain/order/facts";
import type { AuditBlocks } from "./audit-store";

/**
 * The order's facts. Each rides on the audit block of the commit that added it
 * (audit-store.ts): a row of its own was one more billed write per event. An
 * object from before holds its earlier facts as rows of the `facts` table, read
 * alongside. Dedupe is by id, as the table's key did it (INSERT OR IGNORE): a
 * fact already held, in either place or earlier in the same commit, is not
 * recorded again.
 */
export class FactRows {
  /** The ids held, read once per object; dropped with `forget()` when a transaction rolls back. */
  private known: Set<string> | null = null;

  constructor(
    private readonly sql: () => SqlStorage,
    private readonly chain: AuditBlocks,
  ) {}

  /** Rows were written by this object from schema-checked events. */
  all(): MachineEvent[] {
    const rows = this.sql()
      .exec<{ json: string }>("SELECT json FROM facts")
      .toArray()
      .map((r) => JSON.parse(r.json) as MachineEvent);
    return [...rows, ...this.chain.facts()];
  }

  private ids(): Set<string> {
    this.known ??= new Set(this.all().map((e) => e.id));
    return this.known;
  }

  count(): number {
    return this.ids().size;
  }

  /** Returns false when the fact was already known (its id is the dedupe key). */
  add(e: MachineEvent): boolean {
    const ids = this.ids();
    if (ids.has(e.id)) return false;
    this.chain.recordFact(e);
    ids.add(e.id);
    return true;
  }

  /**
   * Facts of a commit that wrote no block keep rows of their own. No decision
   * does that today (a new fact always comes with its `event.applied` entry),
   * but a fact must never depend on that staying true.
   */
  keep(facts: readonly MachineEvent[]): void {
    for (const e of facts) this.sql().exec("INSERT OR IGNORE INTO facts (id, occurred_ms, json) VALUES (?, ?, ?)", e.id, epochMs(e.occurred_at), JSON.stringify(e));
  }

  forget(): void {
    this.known = null;
  }
}
