import { iso } from "../time";
import { z } from "zod";
import { DeliveryAttempt, ExportState, IntendedAction, type ExportStatus, type HandoffExport } from "./document";
import type { MachineEvent } from "../events/handoff-events";

/**
 * Taking back a decision the consumer may already hold. An export that was
 * never sent is simply withdrawn. One that may have reached the consumer (an
 * attempt started, it answered 2xx, it acked) is cancelled by a signed message
 * to the same consumer, which must acknowledge it on the same ack route before
 * the replacement is delivered: until then the replacement waits
 * (`awaiting_cancellation`). A consumer that refuses, never answers, or reports
 * having acted on the cancelled version leaves the order on hold for a person,
 * and the replacement is withdrawn unsent: two live decisions for one order
 * must never both reach the consumer. Everything here is pure; cancel.ts persists it.
 */

const PREFIX = "cxl_";

/** The cancellation's webhook-id and ack id: stable across retries, and routable to the order from the export id inside it. */
export function cancellationId(exportId: string): string {
  return `${PREFIX}${exportId}`;
}

/** The export a cancellation id cancels, or null for anything else. */
export function cancelledExportId(id: string): string | null {
  return id.startsWith(PREFIX) ? id.slice(PREFIX.length) : null;
}

/**
 * What the consumer receives. The cancelled action is nested on purpose: a
 * consumer that does not know this message must not mistake it for a new
 * export (it has no top-level `intended_action`), so it refuses it, and the
 * refusal reaches a person instead of a second parcel reaching a customer.
 */
export const ExportCancellation = z
  .object({
    type: z.literal("export.cancelled"),
    cancellation_id: z.string().describe("The webhook-id; acknowledge it at POST …/exports/{cancellation_id}/ack"),
    export_id: z.string().describe("The export to drop: do not act on it"),
    order_id: z.string(),
    tenant: z.string(),
    cancelled: z.object({ intended_action: IntendedAction, version: z.number().int() }),
    superseded_by: z.string().nullable().describe("The export that replaces it, delivered only after this cancellation is acknowledged"),
    reason: z.string(),
    issued_at: z.string(),
  })
  .meta({ title: "Handoff export cancellation", description: "Handoff asks a consumer to drop an export it was sent; the consumer must acknowledge (accepted) or refuse (rejected)" });
export type ExportCancellation = z.infer<typeof ExportCancellation>;

export function cancellationMessage(ex: HandoffExport, supersededBy: string | null, reason: string, now: number): ExportCancellation {
  return {
    type: "export.cancelled",
    cancellation_id: cancellationId(ex.export_id),
    export_id: ex.export_id,
    order_id: ex.order_id,
    tenant: ex.tenant,
    cancelled: { intended_action: ex.intended_action, version: ex.version },
    superseded_by: supersededBy,
    reason,
    issued_at: iso(now),
  };
}

/** `moot`: the consumer reported acting on the export before the cancellation landed. */
export const CANCELLATION_STATUSES = ["pending", "delivered", "acked", "refused", "failed", "moot"] as const;
export type CancellationStatus = (typeof CANCELLATION_STATUSES)[number];

export const CancellationState = z.object({
  cancellation_id: z.string(),
  status: z.enum(CANCELLATION_STATUSES),
  reason: z.string(),
  superseded_by: z.string().nullable(),
  requested_at: z.string(),
  delivered_at: z.string().nullable(),
  acked_at: z.string().nullable(),
  ack: z.object({ status: z.enum(["accepted", "rejected"]), reason: z.string().nullable() }).nullable(),
  attempts: z.array(DeliveryAttempt),
});
export type CancellationState = z.infer<typeof CancellationState>;

/** An export as the order API shows it, with its cancellation when one was asked for. */
export const ExportWithCancellation = ExportState.extend({ cancellation: CancellationState.nullable() });
export type ExportWithCancellation = z.infer<typeof ExportWithCancellation>;

export type Retraction = "withdraw" | "cancel" | "none";

/**
 * How to take back an export that a new decision replaces. `attempted`: a
 * delivery attempt started, so the consumer may hold it even if we never saw
 * the answer (timeout, eviction mid-flight).
 */
export function retraction(status: ExportStatus, attempted: boolean): Retraction {
  switch (status) {
    case "pending":
      return attempted ? "cancel" : "withdraw";
    case "awaiting_cancellation":
      return "withdraw";
    case "delivered":
    case "acked":
      return "cancel";
    default:
      return "none";
  }
}

/** Statuses that are no longer (or no longer meant to be) anyone's decision: the planner looks past them. */
export function isWithdrawn(status: ExportStatus): boolean {
  return status === "superseded" || status === "cancelled" || status === "cancelling" || status === "blocked";
}

/**
 * Could the consumer hold an export whose delivery failed? Yes if an attempt
 * was answered 2xx (an ack never came) or got no answer at all (a timeout or a
 * dropped connection may have landed); a consumer that only ever answered
 * non-2xx did not take it.
 */
export function consumerMayHold(attempts: readonly { status: number | null }[]): boolean {
  return attempts.some((a) => a.status === null || (a.status >= 200 && a.status < 300));
}

/** The fact by which a consumer acts on each action: the warehouse accepts, the carrier ships. */
const ACTED_BY: Record<IntendedAction, MachineEvent["type"]> = {
  fulfil_order: "fulfillment.accepted",
  request_shipment: "shipment.shipped",
  // A backorder is acted on when a warehouse accepts the rest (naming that export).
  backorder_order: "fulfillment.accepted",
};

export interface ExportRef {
  export_id: string;
  action: IntendedAction;
  status: ExportStatus;
}

function namedExport(e: MachineEvent): string | null {
  if (e.type === "fulfillment.accepted" || e.type === "shipment.shipped") return e.data.export_id ?? null;
  return null;
}

/**
 * Consumers that acted on an export we asked them to drop (or are asking):
 * a report naming it, or a report naming no export while the only version the
 * consumer can hold is the one being cancelled (its replacement is not sent yet).
 */
export function actedOnCancelled(facts: readonly MachineEvent[], exports: readonly ExportRef[]): { export_id: string; event_id: string }[] {
  const out: { export_id: string; event_id: string }[] = [];
  const seen = new Set<string>();
  for (const e of facts) {
    if (e.source === "handoff") continue;
    const named = namedExport(e);
    const mine = exports.filter((x) => ACTED_BY[x.action] === e.type);
    if (mine.length === 0) continue;
    let target: ExportRef | undefined;
    if (named !== null) {
      target = mine.find((x) => x.export_id === named);
    } else {
      const standing = mine.filter((x) => x.status === "pending" || x.status === "delivered" || x.status === "acked");
      if (standing.length === 0) target = mine.find((x) => x.status === "cancelling");
    }
    if (!target || (target.status !== "cancelling" && target.status !== "cancelled") || seen.has(target.export_id)) continue;
    seen.add(target.export_id);
    out.push({ export_id: target.export_id, event_id: e.id });
  }
  return out;
}
