import { isWithdrawn } from "../handoff/cancellation";
import type { ExportStatus } from "../handoff/document";
import { parsedExport } from "../handoff/plan";
import type { OrderCommit } from "../order/commit";
import type { CancellationRecord, Effect, ExportRecord } from "../order/effects";
import type { ExportNotice, Notice, NoticeKind } from "./notice";

/**
 * Watchers (`steps.<step>.watchers`) are told when a decision about their step
 * changes; they own nothing, so they are never paged and nothing escalates to
 * them. Decided from one commit's effects (what it did to the order's exports)
 * and the exports as that commit leaves them: pure, so the same commit always
 * yields the same notices, keyed per (export id, change, watcher). The export
 * id carries its version, so the key is per (export, version, change): the
 * notifier's `INSERT OR IGNORE` sends a retried or repeated one once.
 */

export const EXPORT_CHANGES = ["issued", "blocked", "expired", "superseded", "withdrawn", "cancelled", "not_cancelled"] as const;
export type ExportChange = (typeof EXPORT_CHANGES)[number];

export interface WatcherInput {
  tenant: string;
  orderId: string;
  now: number;
  /** The commit's effects, in emission order. */
  effects: readonly Effect[];
  /** The order's exports and cancellations with those effects applied. */
  exports: readonly ExportRecord[];
  cancellations: readonly CancellationRecord[];
}

/** Status changes that take a version back; whether it was superseded or withdrawn depends on a replacement. */
const RETRACTED = new Set(["superseded", "cancelling"]);

/** What the commit did to each export, in order, once per (export, change). */
function changesOf(effects: readonly Effect[]): { export_id: string; change: ExportChange | "retracted" }[] {
  const out: { export_id: string; change: ExportChange | "retracted" }[] = [];
  const seen = new Set<string>();
  const add = (export_id: string, change: ExportChange | "retracted"): void => {
    if (seen.has(`${export_id}\n${change}`)) return;
    seen.add(`${export_id}\n${change}`);
    out.push({ export_id, change });
  };
  for (const e of effects) {
    if (e.type === "issue_export") add(e.row.export_id, e.row.status === "blocked" ? "blocked" : "issued");
    else if (e.type === "update_export" && e.patch.status !== undefined) {
      if (RETRACTED.has(e.patch.status)) add(e.export_id, "retracted");
      else if (e.patch.status === "cancelled" || e.patch.status === "not_cancelled") add(e.export_id, e.patch.status);
    } else if (e.type === "audit" && e.entry.type === "export.expired" && typeof e.entry.data.export_id === "string") add(e.entry.data.export_id, "expired");
  }
  return out;
}

/** The version of an action that stands: the newest one neither refused nor taken back. */
function standing(exports: readonly ExportRecord[], action: string): string | null {
  const live = exports.filter((r) => r.action === action && !isWithdrawn(r.status as ExportStatus)).sort((a, b) => b.version - a.version);
  return live[0]?.export_id ?? null;
}

function title(action: string, version: number, change: ExportChange, n: ExportNotice): string {
  const what = `${action} v${version}`;
  const stands = n.current === null ? "no version stands" : n.current === n.export_id ? "it stands" : `${n.current} stands`;
  switch (change) {
    case "issued":
      return n.supersedes === null ? `${what} issued` : `${what} issued, replacing ${n.supersedes}`;
    case "blocked":
      return `${what} blocked by the QA gate, not sent; ${stands}`;
    case "expired":
      return `${what} expired unacknowledged (valid until ${n.valid_until ?? "?"}); decided again`;
    case "superseded":
      return `${what} superseded by ${n.superseded_by ?? "?"}`;
    case "withdrawn":
      return `${what} withdrawn; ${stands}`;
    case "cancelled":
      return `${what} cancelled by its consumer; ${stands}`;
    case "not_cancelled":
      return `${what} kept by its consumer (not cancelled); ${stands}`;
  }
}

function kindOf(change: ExportChange): NoticeKind & `export.${ExportChange}` {
  return `export.${change}`;
}

export function watcherNotices(input: WatcherInput): Notice[] {
  const byId = new Map(input.exports.map((r) => [r.export_id, r]));
  const issuedNow = input.effects.flatMap((e) => (e.type === "issue_export" && e.row.status !== "blocked" ? [e.row] : []));
  const out: Notice[] = [];
  for (const ch of changesOf(input.effects)) {
    const row = byId.get(ch.export_id);
    if (!row) continue;
    const doc = parsedExport(row.body);
    const watchers = [...new Set(doc.watchers)];
    if (watchers.length === 0) continue;
    // Replaced when this commit issued another version of its action (a cancellation names it too); else taken back alone.
    const supersededBy =
      ch.change === "issued" || ch.change === "blocked"
        ? null
        : (input.cancellations.find((x) => x.export_id === row.export_id)?.superseded_by ?? issuedNow.find((r) => r.action === row.action && r.export_id !== row.export_id)?.export_id ?? null);
    const change: ExportChange = ch.change === "retracted" ? (supersededBy === null ? "withdrawn" : "superseded") : ch.change;
    const about: ExportNotice = {
      export_id: row.export_id,
      version: row.version,
      intended_action: row.action,
      status: row.status,
      supersedes: doc.supersedes,
      superseded_by: supersededBy,
      current: standing(input.exports, row.action),
      valid_until: doc.valid_until,
    };
    const subject = `${row.export_id}:${change}`;
    for (const w of watchers) {
      out.push({
        key: `${subject}:to:${w}`,
        subject,
        phase: "info",
        level: 0,
        kind: kindOf(change),
        recipient: w,
        at: input.now,
        tenant: input.tenant,
        order_id: input.orderId,
        task_id: null,
        task_type: null,
        title: title(row.action, row.version, change, about),
        step: doc.step,
        owner: doc.owner,
        due_at: doc.sla.due_at,
        value: doc.order.total,
        export: about,
      });
    }
  }
  return out;
}

/** The commit's watcher notices as the effect that queues them with the commit (durable-objects/order/apply.ts). */
export function watcherEffects(c: OrderCommit): Effect[] {
  // Most commits touch no export: then the exports are not even read.
  const touches = c.effects.some((e) => e.type === "issue_export" || (e.type === "update_export" && e.patch.status !== undefined) || (e.type === "audit" && e.entry.type === "export.expired"));
  if (!touches) return [];
  const notices = watcherNotices({ tenant: c.tenant, orderId: c.orderId, now: c.now, effects: c.effects, exports: c.exports(), cancellations: c.cancellations() });
  return notices.length === 0 ? [] : [{ type: "notify_watchers", notices }];
}
