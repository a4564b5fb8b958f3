import { env } from "cloudflare:workers";

/**
 * Tampering with D1's audit trail behind its triggers' back, for tests that
 * prove the chain check catches it. Order entries live inside audit_blocks rows
 * (migration 0023); the triggers are put back exactly as migration 0024 made them.
 */
const NO_UPDATE = "CREATE TRIGGER audit_blocks_no_update BEFORE UPDATE ON audit_blocks BEGIN SELECT RAISE(ABORT, 'audit_blocks is append-only'); END";
const NO_DELETE = `CREATE TRIGGER audit_blocks_no_delete BEFORE DELETE ON audit_blocks WHEN NOT EXISTS (SELECT 1 FROM retention_checkpoints c WHERE c.tenant_id = OLD.tenant_id AND c.tbl = 'audit_log' AND c.day = substr(OLD.at, 1, 10) AND c.status = 'deleting') BEGIN SELECT RAISE(ABORT, 'audit_blocks is append-only: only the retention job deletes, under an open checkpoint'); END`;

async function withoutTrigger(drop: string, restore: string, fn: () => Promise<void>): Promise<void> {
  await env.DB.exec(`DROP TRIGGER ${drop}`);
  try {
    await fn();
  } finally {
    await env.DB.exec(restore);
  }
}

/** Rewrites entry `seq` of an order's chain in D1: its data gains `"forged": 1`, its stored hash stays. */
export async function forgeAuditEntry(tenant: string, orderId: string, seq: number): Promise<void> {
  await withoutTrigger("audit_blocks_no_update", NO_UPDATE, async () => {
    const r = await env.DB.prepare(
      `UPDATE audit_blocks SET entries = (
         SELECT json_group_array(CASE WHEN e.value ->> 0 = ?3 THEN json_replace(e.value, '$[2]', json_set(e.value ->> 2, '$.forged', 1) || '') ELSE json(e.value) END)
         FROM json_each(audit_blocks.entries) e)
       WHERE tenant_id = ?1 AND order_id = ?2 AND seq <= ?3 AND seq + json_array_length(entries) > ?3`,
    )
      .bind(tenant, orderId, seq)
      .run();
    if (r.meta.changes !== 1) throw new Error(`no D1 audit row holds ${tenant}/${orderId} seq ${seq}`);
  });
}

/** Deletes the tenant's newest audit_blocks row: what remains is a valid, shorter chain. */
export async function dropNewestAuditRow(tenant: string): Promise<void> {
  await withoutTrigger("audit_blocks_no_delete", NO_DELETE, async () => {
    await env.DB.prepare("DELETE FROM audit_blocks WHERE tenant_id = ?1 AND seq = (SELECT max(seq) FROM audit_blocks WHERE tenant_id = ?1)").bind(tenant).run();
  });
}
