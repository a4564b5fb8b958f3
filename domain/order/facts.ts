import type { LockedField } from "../events/canonical";
import type { MachineEvent } from "../events/handoff-events";
import { canonicalInstantMs, iso as isoOf, parseInstant } from "../time";

/**
 * The order's facts are a set of events (the senders' canonical ones and Handoff's own) keyed by `id`, kept in one
 * total order: (occurred_at as epoch ms, id). Every fold over facts walks that
 * order, which is why any arrival order of the same set derives the same view.
 */

/**
 * Epoch ms of an ISO timestamp. Offsets matter ("10:00+02:00" is before
 * "09:00Z"), so string comparison is not enough. Schema-valid input always
 * parses; 0 keeps the machine total for anything that slipped past the schema.
 */
export function epochMs(iso: string): number {
  const ms = parseInstant(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/** One spelling per instant (UTC, ms), so milestones sort and compare as strings downstream. */
export function utcIso(iso: string): string {
  // Text canonicalInstantMs reads is already that spelling (toISOString would write it back unchanged):
  // every fold re-derives the milestones from the facts' occurred_at, so the format is skipped.
  if (!Number.isNaN(canonicalInstantMs(iso))) return iso;
  return isoOf(epochMs(iso));
}

/** Code-unit comparison, not localeCompare: the order must not depend on the runtime's locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareFacts(a: MachineEvent, b: MachineEvent): number {
  return epochMs(a.occurred_at) - epochMs(b.occurred_at) || compareText(a.id, b.id);
}

/** Sorted, first-seen-wins by id; used when facts come from outside the machine. */
export function toFactSet(events: readonly MachineEvent[]): MachineEvent[] {
  const byId = new Map<string, MachineEvent>();
  for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()].sort(compareFacts);
}

/** Insert into an already sorted fact list without re-sorting it (binary search). */
export function insertFact(facts: readonly MachineEvent[], event: MachineEvent): MachineEvent[] {
  // compareFacts(fact, event), with the event's instant read once rather than once per probe.
  const eventMs = epochMs(event.occurred_at);
  let lo = 0;
  let hi = facts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = facts[mid];
    if (at !== undefined && (epochMs(at.occurred_at) - eventMs || compareText(at.id, event.id)) < 0) lo = mid + 1;
    else hi = mid;
  }
  const out = facts.slice();
  out.splice(lo, 0, event);
  return out;
}

/**
 * JSON with object keys sorted and undefined members dropped: two payloads that
 * mean the same thing produce the same text regardless of how a sender ordered them.
 */
export function canonicalJson(value: unknown): string {
  // Every decision compares exports and locked fields by this text: plain loops, no intermediate arrays per level.
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out += (i === 0 ? "" : ",") + canonicalJson(v === undefined ? null : v);
    }
    return `${out}]`;
  }
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    // Array#sort's default order is by UTF-16 code units, as compareText.
    const keys = Object.keys(o).sort();
    let out = "{";
    let first = true;
    for (const k of keys) {
      const v = o[k];
      if (v === undefined) continue;
      out += `${first ? "" : ","}${JSON.stringify(k)}:${canonicalJson(v)}`;
      first = false;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? "null";
}

interface LineItemLike {
  sku: string;
  quantity: number;
}

function isLineItem(v: unknown): v is LineItemLike {
  return typeof v === "object" && v !== null && "sku" in v && "quantity" in v;
}

/**
 * Locked-field comparison key. Line items are a bag, not a list: senders
 * reorder them freely, and a reorder alone must not count as a change.
 */
export function lockedFieldKey(field: LockedField, value: unknown): string {
  if (field === "line_items" && Array.isArray(value)) {
    const items = value.map((item: unknown) => ({ item, text: canonicalJson(item) }));
    items.sort((a, b) => {
      if (isLineItem(a.item) && isLineItem(b.item)) {
        const bySku = compareText(a.item.sku, b.item.sku);
        if (bySku !== 0) return bySku;
        if (a.item.quantity !== b.item.quantity) return a.item.quantity - b.item.quantity;
      }
      return compareText(a.text, b.text);
    });
    return `[${items.map((i) => i.text).join(",")}]`;
  }
  return canonicalJson(value);
}
