import { createHash } from "node:crypto";

/**
 * Per-order SHA-256 hash chain over the audit trail. The object computes it
 * inside its write transaction (hence synchronous node:crypto, not WebCrypto),
 * and anyone holding the rows can recompute it: a rewritten, reordered or
 * deleted row breaks every hash after it.
 */
export const GENESIS_HASH = "0".repeat(64);

export interface ChainLink {
  tenant: string;
  order_id: string;
  seq: number;
  at: string;
  type: string;
  /** Exact JSON text; hashing text (not objects) avoids key-order ambiguity. */
  data: string;
  prev_hash: string;
}

export function chainHash(link: ChainLink): string {
  return createHash("sha256")
    .update([link.prev_hash, link.tenant, link.order_id, String(link.seq), link.at, link.type, link.data].join("\n"))
    .digest("hex");
}

export interface ChainCheck {
  valid: boolean;
  /** First seq whose row does not fit the chain, when invalid. */
  broken_at: number | null;
  reason: string | null;
  head: { seq: number; hash: string } | null;
}

/**
 * Where entries are missing on purpose (archived and deleted by the retention
 * job), `archived(from, to)` vouches for the run of seqs from..to: it returns
 * the hash of entry `to`, for the next row to link to, or null when that run is
 * not known to be archived (then the gap is a break).
 */
export type ArchivedRun = (from: number, to: number) => string | null;

export function verifyChain(rows: readonly (ChainLink & { hash: string })[], archived: ArchivedRun = () => null): ChainCheck {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    const anchor = row.seq > expectedSeq ? archived(expectedSeq, row.seq - 1) : null;
    if (anchor !== null) {
      prev = anchor;
      expectedSeq = row.seq;
    }
    if (row.seq !== expectedSeq) {
      return { valid: false, broken_at: expectedSeq, reason: `missing or out-of-order entry: expected seq ${expectedSeq}, found ${row.seq}`, head: null };
    }
    if (row.prev_hash !== prev) {
      return { valid: false, broken_at: row.seq, reason: "prev_hash does not match the previous entry", head: null };
    }
    if (chainHash(row) !== row.hash) {
      return { valid: false, broken_at: row.seq, reason: "entry content does not match its hash", head: null };
    }
    prev = row.hash;
    expectedSeq++;
  }
  const last = rows.at(-1);
  return { valid: true, broken_at: null, reason: null, head: last ? { seq: last.seq, hash: last.hash } : null };
}

/**
 * Appends entries to one chain after `head` (null: a new chain), in order.
 * Pure: the caller stores the new head with the links in one transaction.
 * Every chain that is not an order's (`~watchers`, `~notify…`) is extended with it.
 */
export function extendChain(
  tenant: string,
  chain: string,
  head: { seq: number; hash: string } | null,
  entries: readonly { at: string; type: string; data: string }[],
): (ChainLink & { hash: string })[] {
  const out: (ChainLink & { hash: string })[] = [];
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS_HASH;
  for (const e of entries) {
    seq++;
    const link: ChainLink = { tenant, order_id: chain, seq, at: e.at, type: e.type, data: e.data, prev_hash: prev };
    const hash = chainHash(link);
    out.push({ ...link, hash });
    prev = hash;
  }
  return out;
}
