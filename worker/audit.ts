import { z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { utcDay } from "../domain/retention/policy";
import { verifyChain } from "../domain/audit-chain";
import { AuditEntry } from "../domain/order/object";
import { db } from "./db/client";
import { auditEntries, retentionCheckpoints } from "./db/schema";
import type { Env } from "./env";
import { NotificationTrail, notificationTrail } from "./notify/trail";
import { orderObject } from "./orders";

export const AuditResponse = z
  .object({
    entries: z.array(AuditEntry),
    chain_valid: z.boolean(),
    chain: z.object({
      broken_at: z.number().int().nullable(),
      reason: z.string().nullable(),
      /** D1 holds exactly what the order object drained, on the object's hashes. */
      anchored: z.boolean(),
    }),
    /** Entries committed by the order object but not yet drained to D1. */
    pending: z.number().int(),
    /** Entries the retention job archived to R2 and deleted from D1 (docs/retention.md). */
    archived: z.number().int(),
    /** Who was told about this order, every attempt: the notifier's own chain for the order, verified on its own. */
    notifications: NotificationTrail,
  })
  .openapi("AuditTrail");
export type AuditResponse = z.infer<typeof AuditResponse>;

/**
 * The order's audit trail as D1 holds it, with the hash chain recomputed and
 * anchored in the order object. Drains the object's outbox first (best effort),
 * so a read right after an event sees it. Null when there is no such order.
 */
export async function auditTrail(env: Env, tenant: string, orderId: string): Promise<AuditResponse | null> {
  const stub = orderObject(env, tenant, orderId);
  await stub.flush();
  const local = await stub.getAudit();
  const rows = await db(env.DB)
    .select()
    .from(auditEntries)
    .where(and(eq(auditEntries.tenantId, tenant), eq(auditEntries.orderId, orderId)))
    .orderBy(asc(auditEntries.seq))
    .all();
  if (rows.length === 0 && local.entries.length === 0) return null;
  const archived = await archivedRuns(env, tenant, local.entries, new Set(local.pending_seqs));
  const check = verifyChain(
    rows.map((r) => ({ tenant: r.tenantId, order_id: r.orderId, seq: r.seq, at: r.at, type: r.type, data: r.data, prev_hash: r.prevHash, hash: r.hash })),
    archived.run,
  );
  // Anchored: every D1 row is the object's own entry for that seq, and every
  // entry the object considers drained is in D1. A drain landing between the
  // reads only adds matching rows, so live traffic never looks like tampering;
  // a truncated, rewritten or consistently rebuilt D1 chain does.
  const pending = new Set(local.pending_seqs);
  const bySeq = new Map(local.entries.map((e) => [e.seq, e.hash]));
  const inD1 = new Set(rows.map((r) => r.seq));
  const foreign = rows.find((r) => bySeq.get(r.seq) !== r.hash);
  const missing = local.entries.find((e) => !pending.has(e.seq) && !inD1.has(e.seq) && !archived.has(e.seq));
  const anchored = foreign === undefined && missing === undefined;
  return {
    entries: rows.map((r) => ({ seq: r.seq, at: r.at, type: r.type, data: JSON.parse(r.data) as unknown, prev_hash: r.prevHash, hash: r.hash })),
    chain_valid: check.valid && anchored,
    chain: {
      broken_at: check.broken_at ?? foreign?.seq ?? missing?.seq ?? null,
      reason: check.reason ?? (anchored ? null : "D1 does not hold the chain the order object drained"),
      anchored,
    },
    pending: local.entries.filter((e) => !inD1.has(e.seq) && !archived.has(e.seq)).length,
    archived: local.entries.filter((e) => archived.has(e.seq)).length,
    notifications: await notificationTrail(env, tenant, orderId),
  };
}

/**
 * The object's entries the retention job archived: drained, and dated on a day
 * whose audit_log checkpoint is done. Only such a run may be missing from D1;
 * the object's own hash for the run's last entry is what the next row links to.
 */
async function archivedRuns(
  env: Env,
  tenant: string,
  entries: readonly { seq: number; at: string; hash: string }[],
  pending: ReadonlySet<number>,
): Promise<{ has: (seq: number) => boolean; run: (from: number, to: number) => string | null }> {
  const done = await db(env.DB)
    .select({ day: retentionCheckpoints.day })
    .from(retentionCheckpoints)
    .where(and(eq(retentionCheckpoints.tenantId, tenant), eq(retentionCheckpoints.tbl, "audit_log"), eq(retentionCheckpoints.status, "done")))
    .all();
  const days = new Set(done.map((d) => d.day));
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const has = (seq: number): boolean => {
    const e = bySeq.get(seq);
    return e !== undefined && !pending.has(seq) && days.has(utcDay(e.at));
  };
  const run = (from: number, to: number): string | null => {
    for (let s = from; s <= to; s++) if (!has(s)) return null;
    return bySeq.get(to)?.hash ?? null;
  };
  return { has, run };
}
