import { z } from "@hono/zod-openapi";
import { verifyChain } from "../../domain/audit-chain";
import { notifyChain, TRAIL_TYPES, TrailData } from "../../domain/notify/trail";
import type { ChainEntry } from "../../domain/order/audit-runs";
import type { Env } from "../env";

/**
 * Reads a notification chain (domain/notify/trail.ts) back from D1 and
 * verifies it: the order's (`~notify:<order>`) for its audit view and its
 * tasks, the tenant's order-free one (`~notify`) for the other tasks.
 */

/** The newest entries read from one chain; older ones are verified by the chain's links, not re-read. */
const MAX_READ = 2000;

export const NotificationTrailEntry = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    type: z.enum(TRAIL_TYPES),
    data: TrailData,
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi("NotificationTrailEntry");
export type NotificationTrailEntry = z.infer<typeof NotificationTrailEntry>;

export const NotificationTrail = z
  .object({
    chain_id: z.string().openapi({ description: "`~notify:<order id>`, or `~notify` for notices about no order", example: "~notify:1001" }),
    entries: z.array(NotificationTrailEntry),
    chain_valid: z.boolean(),
    chain: z.object({
      broken_at: z.number().int().nullable(),
      reason: z.string().nullable(),
      verified_from: z
        .number()
        .int()
        .nullable()
        .openapi({ description: "First seq verified: 1, or later when older entries were archived by retention or not read (the chain's newest entries are read)" }),
    }),
  })
  .openapi("NotificationTrail");
export type NotificationTrail = z.infer<typeof NotificationTrail>;

/**
 * The chain of notices about `orderId` (null: about no order), verified.
 * `subject` keeps only the entries about one task; the whole chain is still
 * what is verified.
 */
export async function notificationTrail(env: Env, tenant: string, orderId: string | null, subject?: string): Promise<NotificationTrail> {
  const chain = notifyChain(orderId);
  const [page, total, archived] = await env.DB.batch<unknown>([
    env.DB.prepare("SELECT seq, at, type, data, prev_hash, hash FROM audit_log WHERE tenant_id = ? AND order_id = ? ORDER BY seq DESC LIMIT ?").bind(tenant, chain, MAX_READ),
    env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND order_id = ?").bind(tenant, chain),
    env.DB.prepare("SELECT min(day) AS day FROM retention_checkpoints WHERE tenant_id = ? AND tbl = 'audit_log' AND status = 'done'").bind(tenant),
  ]);
  const rows = ((page?.results ?? []) as ChainEntry[]).reverse();
  const first = rows[0];
  const read = ((total?.results[0] as { n?: number } | undefined)?.n ?? 0) > rows.length;
  const retained = ((archived?.results[0] as { day?: string | null } | undefined)?.day ?? null) !== null;
  // A leading gap is expected when the read was capped or retention archived the oldest days
  // (it deletes whole days, oldest first): the first row's own link stands for what precedes it.
  const check = verifyChain(
    rows.map((r) => ({ ...r, tenant, order_id: chain })),
    (from) => (from === 1 && first !== undefined && (read || retained) ? first.prev_hash : null),
  );
  const entries = rows.flatMap((r): NotificationTrailEntry[] => {
    const data = TrailData.safeParse(parseJson(r.data));
    const type = z.enum(TRAIL_TYPES).safeParse(r.type);
    if (!data.success || !type.success || (subject !== undefined && data.data.subject !== subject)) return [];
    return [{ seq: r.seq, at: r.at, type: type.data, data: data.data, prev_hash: r.prev_hash, hash: r.hash }];
  });
  return { chain_id: chain, entries, chain_valid: check.valid, chain: { broken_at: check.broken_at, reason: check.reason, verified_from: first?.seq ?? null } };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A row that is not JSON fails its hash check; it is left out of the entries, not thrown.
    return null;
  }
}
