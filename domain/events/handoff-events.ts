import { z } from "zod";
import type { CanonicalEvent } from "./canonical";

/**
 * Facts Handoff itself contributes to an order: what went wrong handing it
 * off, and a person clearing a hold. They live in the same fact set as the
 * senders' events, so holds stay a pure function of the facts.
 */
export const EXCEPTION_KINDS = [
  "consumer_rejected",
  "delivery_failed",
  "ack_missing",
  // A superseded export the consumer may have acted on could not be taken back (see cancellation.ts).
  "cancellation_refused",
  "cancellation_failed",
  "cancelled_export_acted_on",
  // The QA gate refused a decision before it left (domain/handoff/gate.ts): nothing was sent.
  "export_blocked",
] as const;
export const ExceptionKind = z.enum(EXCEPTION_KINDS);
export type ExceptionKind = z.infer<typeof ExceptionKind>;

/** One check of the QA gate an export failed: what, why, and which field of the document or rules. */
export const GATE_CHECKS = [
  "schema_invalid",
  "owner_unknown",
  "contact_unknown",
  "sla_invalid",
  "sla_past",
  "exception_path_missing",
  "line_items_missing",
  "shipping_address_missing",
  "conflicting_live_export",
] as const;
export const GateFailure = z.object({
  code: z.enum(GATE_CHECKS),
  message: z.string(),
  field: z.string().describe("Path in the export document (or `steps.<step>.…` in the rules) the check read"),
});
export type GateFailure = z.infer<typeof GateFailure>;

const base = {
  id: z.string().min(1),
  order_id: z.string(),
  occurred_at: z.string(),
  source: z.literal("handoff"),
};

export const HandoffEvent = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("handoff.exception"),
    data: z.object({
      kind: ExceptionKind,
      export_id: z.string(),
      step: z.string(),
      detail: z.string(),
      /** Only on `export_blocked`: each check the document failed. */
      checks: z.array(GateFailure).optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal("handoff.exception_cleared"),
    /** Clears the hold opened by fact `event_id`, whatever opened it. */
    data: z.object({ event_id: z.string(), by: z.string(), justification: z.string() }),
  }),
]);
export type HandoffEvent = z.infer<typeof HandoffEvent>;

/** Everything the order machine folds. */
export type MachineEvent = CanonicalEvent | HandoffEvent;
