import { extendChain } from "../../domain/audit-chain";
import type { Linked, TrailData, TrailType } from "../../domain/notify/trail";

/**
 * The notifier's half of the notification chains (domain/notify/trail.ts):
 * entries wait here, are linked here (this object is the chains' only writer,
 * so its heads are the truth) and then drained to D1's audit_log in batches.
 * A linked entry keeps its seq and hash until D1 has it, so a drain that fails
 * or is cut short writes exactly the same rows next time (INSERT OR IGNORE).
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trail (
  id INTEGER PRIMARY KEY AUTOINCREMENT, chain TEXT NOT NULL, at TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
  seq INTEGER, prev_hash TEXT, hash TEXT
);
CREATE TABLE IF NOT EXISTS trail_heads (chain TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
`;

/** Rows per D1 batch: one statement each, well under D1's limits. */
export const TRAIL_BATCH = 50;

type TrailRow = { id: number; chain: string; at: string; type: TrailType; data: string; seq: number | null; prev_hash: string | null; hash: string | null };

export class TrailOutbox {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  record(chain: string, at: number, type: TrailType, data: TrailData): void {
    this.sql.exec("INSERT INTO trail (chain, at, type, data) VALUES (?, ?, ?, ?)", chain, new Date(at).toISOString(), type, JSON.stringify(data));
  }

  hasPending(): boolean {
    return this.sql.exec("SELECT 1 FROM trail LIMIT 1").toArray().length > 0;
  }

  /** The oldest waiting entries' chains that this object has no head for yet (a new chain, or storage that was reset). */
  unknownChains(limit: number): string[] {
    return this.sql
      .exec<{ chain: string }>(
        "SELECT DISTINCT t.chain FROM (SELECT chain, seq FROM trail ORDER BY id LIMIT ?) t WHERE t.seq IS NULL AND t.chain NOT IN (SELECT chain FROM trail_heads)",
        limit,
      )
      .toArray()
      .map((r) => r.chain);
  }

  /**
   * Links the oldest waiting entries (call inside a transaction). `d1Heads`
   * are the heads D1 holds for chains this object did not know: a chain goes
   * on from there rather than forking at seq 1.
   */
  link(tenant: string, limit: number, d1Heads: ReadonlyMap<string, { seq: number; hash: string }>): Linked[] {
    const rows = this.sql.exec<TrailRow>("SELECT * FROM trail ORDER BY id LIMIT ?", limit).toArray();
    const out: Linked[] = [];
    for (const r of rows) {
      if (r.seq !== null && r.prev_hash !== null && r.hash !== null) {
        out.push({ tenant, order_id: r.chain, seq: r.seq, at: r.at, type: r.type, data: r.data, prev_hash: r.prev_hash, hash: r.hash });
        continue;
      }
      const head = this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM trail_heads WHERE chain = ?", r.chain).toArray()[0] ?? d1Heads.get(r.chain) ?? null;
      const [l] = extendChain(tenant, r.chain, head, [r]);
      if (!l) continue;
      this.sql.exec("UPDATE trail SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?", l.seq, l.prev_hash, l.hash, r.id);
      this.sql.exec("INSERT INTO trail_heads (chain, seq, hash) VALUES (?, ?, ?) ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash", r.chain, l.seq, l.hash);
      out.push(l);
    }
    return out;
  }

  /** D1 holds them: they leave this object (the heads stay). */
  drained(links: readonly Linked[]): void {
    for (const l of links) this.sql.exec("DELETE FROM trail WHERE chain = ? AND seq = ?", l.order_id, l.seq);
  }
}

/** D1's heads of the given chains (one batch), for chains this object has no head of. */
export async function d1Heads(db: D1Database, tenant: string, chains: readonly string[]): Promise<Map<string, { seq: number; hash: string }>> {
  const heads = new Map<string, { seq: number; hash: string }>();
  if (chains.length === 0) return heads;
  const stmt = db.prepare("SELECT seq, hash FROM audit_log WHERE tenant_id = ? AND order_id = ? ORDER BY seq DESC LIMIT 1");
  const results = await db.batch<{ seq: number; hash: string }>(chains.map((c) => stmt.bind(tenant, c)));
  chains.forEach((c, i) => {
    const row = results[i]?.results[0];
    if (row) heads.set(c, row);
  });
  return heads;
}

export async function writeLinks(db: D1Database, links: readonly Linked[]): Promise<void> {
  if (links.length === 0) return;
  const stmt = db.prepare("INSERT OR IGNORE INTO audit_log (tenant_id, order_id, seq, at, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  await db.batch(links.map((l) => stmt.bind(l.tenant, l.order_id, l.seq, l.at, l.type, l.data, l.prev_hash, l.hash)));
}
