import { z } from "zod";
import { InventoryEventType, type InventoryEvent } from "./events";
import { Reservation, type LineOutcome, type ReserveLine, type ReserveOutcome } from "./reserve";
import { WaitEntry } from "./waitlist";

/** The acknowledgement a stock sender gets: its delivery is durably recorded by the SKU's object. */
export const InventoryReceipt = z.object({
  id: z.string(),
  sku: z.string(),
  events: z.array(InventoryEventType),
  duplicate: z.boolean(),
  received_at: z.string(),
}).meta({ id: "InventoryReceipt" });
export type InventoryReceipt = z.infer<typeof InventoryReceipt>;

export const SkuDrift = z.object({
  location: z.string(),
  snapshot_id: z.string(),
  at: z.string(),
  expected: z.number().int(),
  reported: z.number().int(),
  drift: z.number().int(),
});

/** `GET /v1/tenants/:tenant/inventory/:sku`: the level as its single writer holds it. */
export const InventoryLevel = z.object({
  sku: z.string(),
  on_hand: z.number().int(),
  reserved: z.number().int(),
  available: z.number().int().describe("on_hand + oversell_buffer − reserved, never below 0"),
  oversell_buffer: z.number().int(),
  /** Bumped by every change of on_hand or reserved: channels drop a level older than one they have. */
  version: z.number().int(),
  locations: z.array(z.object({ location: z.string(), on_hand: z.number().int(), snapshot_at: z.string().nullable() })),
  drift: SkuDrift.nullable().describe("The newest snapshot's difference from the level the engine had computed"),
  orders: z.array(Reservation).describe("Reservations: active ones first, then the newest closed (a restock fill is its own row, line `<line>#r<n>`)"),
  waitlist: z.array(WaitEntry).describe("Backordered lines still waiting for stock, in the order they are served when it arrives"),
}).meta({ id: "InventoryLevel" });
export type InventoryLevel = z.infer<typeof InventoryLevel>;

export interface InventoryIngestInput {
  tenant: string;
  sku: string;
  source: string;
  idempotencyKey: string;
  rawSha256: string;
  events: InventoryEvent[];
}

export interface ReserveInput {
  tenant: string;
  sku: string;
  orderId: string;
  lines: ReserveLine[];
}

export interface ReserveResult {
  /** False when nobody ever reported stock for the SKU: nothing was reserved and the lines route as before. */
  tracked: boolean;
  outcome: ReserveOutcome;
  lines: LineOutcome[];
  available: number;
  version: number;
}

/** The inventory object's RPC surface (one object per tenant + SKU); InventoryDO implements it. */
export interface InventoryObject {
  ingest(input: InventoryIngestInput): Promise<{ ok: true; receipt: InventoryReceipt }>;
  reserve(input: ReserveInput): Promise<ReserveResult>;
  commit(orderId: string): Promise<{ committed: number }>;
  release(orderId: string, reason: string): Promise<{ released: number }>;
  consume(orderId: string, shippedAt: string): Promise<{ consumed: number }>;
  configure(input: { tenant: string; sku: string; oversellBuffer: number }): Promise<InventoryLevel>;
  getLevel(sku: string): Promise<InventoryLevel>;
  /** A stock channel was added: send it this SKU's current level now. */
  announceChannels(): Promise<{ announced: boolean }>;
}
