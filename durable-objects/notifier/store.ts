import type { ChannelType } from "../../domain/notify/directory";
import type { Notice, NoticePhase } from "../../domain/notify/notice";
import type { DeliveryStatus, NotificationDelivery, NotificationFilter, UnreachableNotice } from "../../domain/notify/object";
import { iso } from "../../domain/time";

/**
 * The notifier's SQLite: notices as enqueued (keyed for deduplication), one
 * delivery per (notice, contact, channel) — unique per contact, channel,
 * subject, level and phase, which is the throttle: one message per contact
 * per task per level — and every attempt.
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notices (
  key TEXT PRIMARY KEY, subject TEXT NOT NULL, order_id TEXT, phase TEXT NOT NULL, level INTEGER NOT NULL,
  kind TEXT NOT NULL, recipient TEXT, at INTEGER NOT NULL, body TEXT NOT NULL,
  status TEXT NOT NULL, detail TEXT, enqueued_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_status ON notices (status);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, notice_key TEXT NOT NULL, subject TEXT NOT NULL, order_id TEXT, phase TEXT NOT NULL,
  level INTEGER NOT NULL, kind TEXT NOT NULL, recipient TEXT, contact_id TEXT NOT NULL, via TEXT,
  channel_index INTEGER NOT NULL, channel_type TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  first_attempt_at INTEGER, next_at INTEGER, last_error TEXT, delivered_at INTEGER, created_at INTEGER NOT NULL,
  UNIQUE (contact_id, channel_index, subject, level, phase)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS deliveries_subject ON deliveries (subject);
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id TEXT NOT NULL, n INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL,
  error_class TEXT, outcome TEXT NOT NULL, detail TEXT, PRIMARY KEY (delivery_id, n)
);
CREATE TABLE IF NOT EXISTS fallbacks (
  notice_key TEXT NOT NULL, contact_id TEXT NOT NULL, opened INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (notice_key, contact_id)
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
`;

export type DeliveryRow = {
  id: string;
  notice_key: string;
  subject: string;
  order_id: string | null;
  phase: NoticePhase;
  level: number;
  kind: string;
  recipient: string | null;
  contact_id: string;
  via: string | null;
  channel_index: number;
  channel_type: ChannelType;
  status: DeliveryStatus;
  attempts: number;
  first_attempt_at: number | null;
  next_at: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
}

type AttemptRow = {
  delivery_id: string;
  n: number;
  at: number;
  status: number | null;
  latency_ms: number;
  error_class: string | null;
  outcome: string;
  detail: string | null;
}

export type NoticeRow = {
  key: string;
  body: string;
}

export class NotifierStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  getMeta(k: string): string | null {
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0];
    return row?.v ?? null;
  }

  setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
  }

  /** INSERT OR IGNORE by key: a notice enqueued again (a retried drain, a restarted object) adds nothing. */
  addNotice(n: Notice, now: number): boolean {
    const cur = this.sql.exec(
      `INSERT OR IGNORE INTO notices (key, subject, order_id, phase, level, kind, recipient, at, body, status, enqueued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      n.key, n.subject, n.order_id, n.phase, n.level, n.kind, n.recipient, n.at, JSON.stringify(n), now,
    );
    return cur.rowsWritten > 0;
  }

  pendingNotices(limit: number): NoticeRow[] {
    return this.sql.exec<{ key: string; body: string }>("SELECT key, body FROM notices WHERE status = 'pending' ORDER BY enqueued_at, key LIMIT ?", limit).toArray();
  }

  hasPendingNotices(): boolean {
    return this.sql.exec("SELECT 1 FROM notices WHERE status = 'pending' LIMIT 1").toArray().length > 0;
  }

  noticeBody(key: string): string | null {
    return this.sql.exec<{ body: string }>("SELECT body FROM notices WHERE key = ?", key).toArray()[0]?.body ?? null;
  }

  settleNotice(key: string, status: "planned" | "unreachable", detail: string | null): void {
    this.sql.exec("UPDATE notices SET status = ?, detail = ? WHERE key = ?", status, detail, key);
  }

  /** Throttled by the UNIQUE (contact, channel, subject, level, phase): a second message for the same is ignored. */
  addDelivery(d: Omit<DeliveryRow, "status" | "attempts" | "first_attempt_at" | "last_error" | "delivered_at">): boolean {
    const cur = this.sql.exec(
      `INSERT OR IGNORE INTO deliveries (id, notice_key, subject, order_id, phase, level, kind, recipient, contact_id, via, channel_index, channel_type, status, next_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      d.id, d.notice_key, d.subject, d.order_id, d.phase, d.level, d.kind, d.recipient, d.contact_id, d.via, d.channel_index, d.channel_type, d.next_at, d.created_at,
    );
    return cur.rowsWritten > 0;
  }

  /** The channels a subject's alerts went out on (or are still trying): where its resolution goes. */
  alertedChannels(subject: string): Pick<DeliveryRow, "contact_id" | "via" | "channel_index" | "channel_type" | "recipient">[] {
    return this.sql
      .exec<Pick<DeliveryRow, "contact_id" | "via" | "channel_index" | "channel_type" | "recipient">>(
        `SELECT contact_id, MIN(via) AS via, channel_index, channel_type, MIN(recipient) AS recipient FROM deliveries
         WHERE subject = ? AND phase = 'alert' AND status IN ('delivered', 'pending') GROUP BY contact_id, channel_index, channel_type`,
        subject,
      )
      .toArray();
  }

  due(now: number, limit: number): DeliveryRow[] {
    return this.sql.exec<DeliveryRow>("SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?", now, limit).toArray();
  }

  nextDue(): number | null {
    const row = this.sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM deliveries WHERE status = 'pending'").toArray()[0];
    return row?.t ?? null;
  }

  finishAttempt(d: DeliveryRow, a: Omit<AttemptRow, "delivery_id">, patch: Pick<DeliveryRow, "status" | "next_at" | "last_error" | "delivered_at" | "first_attempt_at">): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO attempts (delivery_id, n, at, status, latency_ms, error_class, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      d.id, a.n, a.at, a.status, a.latency_ms, a.error_class, a.outcome, a.detail,
    );
    this.sql.exec(
      "UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ?, delivered_at = ?, first_attempt_at = ? WHERE id = ?",
      patch.status, a.n, patch.next_at, patch.last_error, patch.delivered_at, patch.first_attempt_at, d.id,
    );
  }

  skip(id: string, why: string): void {
    this.sql.exec("UPDATE deliveries SET status = 'skipped', next_at = NULL, last_error = ? WHERE id = ?", why, id);
  }

  /** Statuses of one contact's deliveries for one alert. */
  groupStatuses(noticeKey: string, contactId: string): DeliveryStatus[] {
    return this.sql
      .exec<{ status: DeliveryStatus }>("SELECT status FROM deliveries WHERE notice_key = ? AND contact_id = ? AND phase = 'alert'", noticeKey, contactId)
      .toArray()
      .map((r) => r.status);
  }

  markFallback(noticeKey: string, contactId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO fallbacks (notice_key, contact_id) VALUES (?, ?)", noticeKey, contactId);
  }

  pendingFallbacks(): { notice_key: string; contact_id: string }[] {
    return this.sql.exec<{ notice_key: string; contact_id: string }>("SELECT notice_key, contact_id FROM fallbacks WHERE opened = 0").toArray();
  }

  fallbackOpened(noticeKey: string, contactId: string): void {
    this.sql.exec("UPDATE fallbacks SET opened = 1 WHERE notice_key = ? AND contact_id = ?", noticeKey, contactId);
  }

  history(f: NotificationFilter): { deliveries: NotificationDelivery[]; unreachable: UnreachableNotice[] } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.subject) where.push("subject = ?"), args.push(f.subject);
    if (f.order_id) where.push("order_id = ?"), args.push(f.order_id);
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const limit = Math.min(Math.max(f.limit ?? 200, 1), 1000);
    const rows = this.sql.exec<DeliveryRow>(`SELECT * FROM deliveries ${clause} ORDER BY created_at DESC, id LIMIT ?`, ...args, limit).toArray();
    const attempts = new Map<string, AttemptRow[]>();
    for (const r of rows) attempts.set(r.id, this.sql.exec<AttemptRow>("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n", r.id).toArray());
    const deliveries = rows.map((r) => ({
      id: r.id,
      notice_key: r.notice_key,
      subject: r.subject,
      order_id: r.order_id,
      kind: r.kind,
      phase: r.phase,
      level: r.level,
      recipient: r.recipient,
      contact_id: r.contact_id,
      via: r.via,
      channel_type: r.channel_type,
      status: r.status,
      created_at: iso(r.created_at),
      delivered_at: r.delivered_at === null ? null : iso(r.delivered_at),
      next_attempt_at: r.status === "pending" && r.next_at !== null ? iso(r.next_at) : null,
      last_error: r.last_error,
      attempts: (attempts.get(r.id) ?? []).map((a) => ({ n: a.n, at: iso(a.at), status: a.status, latency_ms: a.latency_ms, error_class: a.error_class, outcome: a.outcome, detail: a.detail })),
    }));
    const unreachable = this.sql
      .exec<{ key: string; subject: string; order_id: string | null; kind: string; recipient: string | null; detail: string | null; at: number }>(
        `SELECT key, subject, order_id, kind, recipient, detail, at FROM notices ${clause ? `${clause} AND` : "WHERE"} status = 'unreachable' ORDER BY at DESC LIMIT ?`,
        ...args,
        limit,
      )
      .toArray()
      .map((n) => ({ key: n.key, subject: n.subject, order_id: n.order_id, kind: n.kind, recipient: n.recipient, detail: n.detail ?? "", at: iso(n.at) }));
    return { deliveries, unreachable };
  }
}
