import { z } from "zod";
import { EventType } from "../events/canonical";

/** The acknowledgement a sender gets: proof its delivery is durably recorded. */
export const Receipt = z.object({
  id: z.string(),
  order_id: z.string(),
  events: z.array(EventType),
  duplicate: z.boolean(),
  received_at: z.string(),
});
export type Receipt = z.infer<typeof Receipt>;

export const StoredReceipt = Receipt.omit({ duplicate: true }).extend({
  source: z.string(),
  idempotency_key: z.string(),
  raw_sha256: z.string(),
});
export type StoredReceipt = z.infer<typeof StoredReceipt>;
