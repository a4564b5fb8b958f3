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
] as const;
export const ExceptionKind = z.enum(EXCEPTION_KINDS);
export type ExceptionKind = z.infer<typeof ExceptionKind>;

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
    data: z.object({ kind: ExceptionKind, export_id: z.string(), step: z.string(), detail: z.string() }),
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
