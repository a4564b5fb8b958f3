import { z } from "@hono/zod-openapi";
import { asc, desc, eq } from "drizzle-orm";
import type { Actor } from "../domain/access/scopes";
import { chainHash, GENESIS_HASH, verifyChain, type ChainLink } from "../domain/audit-chain";
import { db } from "./db/client";
import { adminAudit, type AdminAuditRow } from "./db/schema";
import type { Env } from "./env";

/**
 * The per-tenant admin audit: every change to rules, sources and keys, with
 * the acting key's name, on a SHA-256 chain (domain/audit-chain.ts, the order
 * trail's own function; `order_id` is the constant "admin", so an admin entry
 * can never be passed off as an order's). An agency's own keys chain under
 * `agency:<id>`.
 */

const CHAIN_ID = "admin";

export const AdminAuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    type: z.string().openapi({ example: "key.issued" }),
    actor: z.string().openapi({ description: "The acting key's name, `admin` for the bootstrap token, or the console operator" }),
    via: z.string().openapi({ description: "The acting key's prefix, or `admin`" }),
    data: z.record(z.string(), z.unknown()),
    hash: z.string(),
  })
  .openapi("AdminAuditEntry");

export const AdminAuditResponse = z
  .object({
    entries: z.array(AdminAuditEntry),
    chain_valid: z.boolean(),
    chain: z.object({ broken_at: z.number().int().nullable(), reason: z.string().nullable() }),
  })
  .openapi("AdminAudit");

function link(r: AdminAuditRow): ChainLink & { hash: string } {
  return { tenant: r.tenantId, order_id: CHAIN_ID, seq: r.seq, at: r.at, type: r.type, data: r.data, prev_hash: r.prevHash, hash: r.hash };
}

/**
 * Appends one entry. The head is read, the next link computed and inserted
 * under the (tenant, seq) primary key: a concurrent writer makes the insert
 * fail, and it is retried on the new head, so the chain never forks.
 */
export async function recordAdmin(env: Env, tenant: string, actor: Actor, type: string, details: Record<string, unknown>): Promise<void> {
  const d = db(env.DB);
  for (let attempt = 0; ; attempt++) {
    const head = await d.select({ seq: adminAudit.seq, hash: adminAudit.hash }).from(adminAudit).where(eq(adminAudit.tenantId, tenant)).orderBy(desc(adminAudit.seq)).limit(1).get();
    const next: ChainLink = {
      tenant,
      order_id: CHAIN_ID,
      seq: (head?.seq ?? 0) + 1,
      at: new Date().toISOString(),
      type,
      data: JSON.stringify({ actor: actor.name, via: actor.via, scope: actor.scope, ...details }),
      prev_hash: head?.hash ?? GENESIS_HASH,
    };
    try {
      await d.insert(adminAudit).values({ tenantId: tenant, seq: next.seq, at: next.at, type, actor: actor.name, data: next.data, prevHash: next.prev_hash, hash: chainHash(next) });
      return;
    } catch (err) {
      if (attempt >= 4 || !/UNIQUE|PRIMARY KEY|constraint/i.test(String(err))) throw err;
    }
  }
}

export async function adminAuditTrail(env: Env, tenant: string, limit = 1000): Promise<z.infer<typeof AdminAuditResponse>> {
  const rows = await db(env.DB).select().from(adminAudit).where(eq(adminAudit.tenantId, tenant)).orderBy(asc(adminAudit.seq)).limit(limit).all();
  const check = verifyChain(rows.map(link));
  return {
    entries: rows.map((r) => {
      const data = JSON.parse(r.data) as Record<string, unknown>;
      return { seq: r.seq, at: r.at, type: r.type, actor: r.actor, via: typeof data.via === "string" ? data.via : "", data, hash: r.hash };
    }),
    chain_valid: check.valid,
    chain: { broken_at: check.broken_at, reason: check.reason },
  };
}
