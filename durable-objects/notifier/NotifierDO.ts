import { DurableObject } from "cloudflare:workers";
import { decideOutcome, type Outcome, type RetryPolicyMs } from "../../domain/handoff/delivery";
import { jitter } from "../../domain/handoff/decide";
import type { Notice } from "../../domain/notify/notice";
import { deliveryId, everyChannelFailed, NOTIFY_RETRY, type NotificationFilter, type NotifierObject } from "../../domain/notify/object";
import type { Channel, DirectoryNames } from "../../domain/notify/directory";
import { directoryNames, resolveRecipient } from "../../worker/notify/directory";
import { openNotificationFailedTask } from "../../worker/notify/fallback";
import type { Env } from "../../worker/env";
import { SPANS, telemetryFor, type Span, type Telemetry } from "../../worker/telemetry/tracer";
import { notifyChain, trailData, type NoticeFields, type TrailData, type TrailType } from "../../domain/notify/trail";
import { NotifierStore, type DeliveryRow } from "./store";
import { sendOn } from "./send";
import { d1Heads, TRAIL_BATCH, TrailOutbox, writeLinks } from "./trail";

const DEFAULT_TIMEOUT_MS = 10_000;
/** Per alarm: bounded so one alarm stays well inside its wall-clock budget even when every channel times out. */
const PLAN_BATCH = 50;
const SEND_BATCH = 10;
/** When D1 (the directory) cannot be read, planning waits this long before trying again. */
const PLAN_RETRY_MS = 30_000;
const DEFAULT_EMAIL_FROM = "handoff@example.com";

/**
 * One per tenant (`idFromName(tenant)`): the outbox every notification leaves
 * through. `enqueue` only records (idempotently, by notice key); the alarm
 * plans (resolves names to contacts — a rotation at the moment of the event —
 * and their channels), sends what is due, retries with the exports' own
 * decision, and opens a task when a contact could not be reached at all.
 * Nothing here runs inside an inbound request, and nothing that fails here
 * reaches back into an order.
 */
export class Notifier extends DurableObject<Env> implements NotifierObject {
  private storeCache: NotifierStore | null = null;
  private trailCache: TrailOutbox | null = null;
  /** Deliveries whose send is awaiting the network in this instance. */
  private readonly sending = new Set<string>();
  /** Seams for tests, like the other objects': a steerable clock and retry policy. */
  clock: () => number = () => Date.now();
  policy: RetryPolicyMs = NOTIFY_RETRY;

  private get store(): NotifierStore {
    this.storeCache ??= new NotifierStore(this.ctx.storage.sql);
    return this.storeCache;
  }

  private get trail(): TrailOutbox {
    this.trailCache ??= new TrailOutbox(this.ctx.storage.sql);
    return this.trailCache;
  }

  async enqueue(tenant: string, notices: Notice[]): Promise<{ added: number }> {
    const now = this.clock();
    let added = 0;
    this.ctx.storage.transactionSync(() => {
      this.store.setMeta("tenant", tenant);
      for (const n of notices) if (this.store.addNotice(n, now)) added++;
    });
    if (added > 0) await this.arm(now);
    return { added };
  }

  async history(filter: NotificationFilter) {
    return this.store.history(filter);
  }

  override async alarm(): Promise<void> {
    const telemetry = telemetryFor(this.env);
    try {
      await this.plan();
      await this.sendDue(telemetry);
      await this.openFallbacks();
      await this.drainTrail();
    } catch (err) {
      // Recorded, then re-armed below: a throwing alarm is retried only a few times before it is dropped.
      console.error("notifier alarm", err);
    } finally {
      await this.rearm();
      if (telemetry.enabled) this.ctx.waitUntil(telemetry.flush());
    }
  }

  private tenant(): string | null {
    return this.store.getMeta("tenant");
  }

  private async arm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private async rearm(): Promise<void> {
    const candidates: number[] = [];
    const next = this.store.nextDue();
    if (next !== null) candidates.push(next);
    if (this.store.hasPendingNotices()) candidates.push(Number(this.store.getMeta("plan_retry_at") ?? this.clock()));
    if (this.store.pendingFallbacks().length > 0 || this.trail.hasPending()) candidates.push(this.clock() + PLAN_RETRY_MS);
    if (candidates.length === 0) return;
    await this.ctx.storage.setAlarm(Math.max(Math.min(...candidates), this.clock()));
  }

  /** Notices become deliveries: one per channel of the contact the notice's name resolves to. */
  private async plan(): Promise<void> {
    const tenant = this.tenant();
    if (tenant === null) return;
    const retryAt = Number(this.store.getMeta("plan_retry_at") ?? 0);
    const now = this.clock();
    if (retryAt > now) return;
    const rows = this.store.pendingNotices(PLAN_BATCH);
    if (rows.length === 0) return;
    let known: DirectoryNames;
    try {
      // One read of the directory per batch: a name that is neither (a tenant still on free-text names) costs nothing more.
      known = await directoryNames(this.env, tenant);
    } catch (err) {
      console.error("notifier: could not read the directory", err);
      this.store.setMeta("plan_retry_at", String(now + PLAN_RETRY_MS));
      return;
    }
    for (const row of rows) {
      const n = JSON.parse(row.body) as Notice;
      try {
        if (n.phase === "resolve") this.planResolve(n, now);
        else if (n.recipient !== null && !known.contacts.has(n.recipient) && !known.rotations.has(n.recipient)) {
          this.unreachable(n, `'${n.recipient}' is neither a contact nor a rotation`);
        } else await this.planAlert(tenant, n, now);
      } catch (err) {
        // The directory is in D1: an outage leaves the notice pending for the next try, not lost.
        console.error(`notifier: could not plan ${n.key}`, err);
        this.store.setMeta("plan_retry_at", String(now + PLAN_RETRY_MS));
        return;
      }
    }
    this.store.setMeta("plan_retry_at", "0");
  }

  private async planAlert(tenant: string, n: Notice, now: number): Promise<void> {
    if (n.recipient === null) {
      this.unreachable(n, "no recipient");
      return;
    }
    const r = await resolveRecipient(this.env, tenant, n.recipient, n.at);
    if (r.kind === "unknown") {
      this.unreachable(n, r.problem);
      return;
    }
    const contact = r.contact;
    if (contact.channels.length === 0) {
      this.unreachable(n, `contact '${contact.contact_id}' has no channels`);
      return;
    }
    const via = r.kind === "rotation" ? `${r.via} (${r.how})` : null;
    this.ctx.storage.transactionSync(() => {
      contact.channels.forEach((c, i) => {
        this.store.addDelivery({
          id: deliveryId(n.key, contact.contact_id, i),
          notice_key: n.key,
          subject: n.subject,
          order_id: n.order_id,
          // A watcher's notice keeps its phase: it never escalates, is never resolved and opens no fallback task.
          phase: n.phase,
          level: n.level,
          kind: n.kind,
          recipient: n.recipient,
          contact_id: contact.contact_id,
          via,
          channel_index: i,
          channel_type: c.type,
          next_at: now,
          created_at: now,
        });
      });
      this.store.settleNotice(n.key, "planned", via ? `${n.recipient} → ${contact.contact_id} via ${via}` : contact.contact_id);
    });
  }

  /** A resolution goes to every channel the subject's alerts went out on; a PagerDuty incident is closed with its key. */
  private planResolve(n: Notice, now: number): void {
    const targets = this.store.alertedChannels(n.subject);
    this.ctx.storage.transactionSync(() => {
      for (const t of targets) {
        this.store.addDelivery({
          id: deliveryId(n.key, t.contact_id, t.channel_index),
          notice_key: n.key,
          subject: n.subject,
          order_id: n.order_id,
          phase: "resolve",
          level: 0,
          kind: n.kind,
          recipient: t.recipient,
          contact_id: t.contact_id,
          via: t.via,
          channel_index: t.channel_index,
          channel_type: t.channel_type,
          next_at: now,
          created_at: now,
        });
      }
      this.store.settleNotice(n.key, "planned", targets.length > 0 ? `${targets.length} channel(s) that were alerted` : "nobody had been alerted");
    });
  }

  private async sendDue(telemetry: Telemetry): Promise<void> {
    const tenant = this.tenant();
    if (tenant === null) return;
    // While a send waits on the network another alarm pass can run in this object (a retried
    // alarm, a test's manual run): it must not send the same delivery again. Only this instance can
    // be sending, so an in-memory set is exact; a restart ends the sends it would have guarded.
    for (const d of this.store.due(this.clock(), SEND_BATCH)) {
      if (this.sending.has(d.id)) continue;
      this.sending.add(d.id);
      try {
        await this.sendOne(tenant, d, telemetry);
      } finally {
        this.sending.delete(d.id);
      }
    }
  }

  private async sendOne(tenant: string, d: DeliveryRow, telemetry: Telemetry): Promise<void> {
    const body = this.store.noticeBody(d.notice_key);
    if (body === null) {
      this.skip(d, null, "its notice is gone");
      return;
    }
    const n = JSON.parse(body) as Notice;
    // Channels are read (and unsealed) at the moment of sending: an edited contact gets the new URL.
    const r = await resolveRecipient(this.env, tenant, d.contact_id, n.at);
    const channel = r.kind === "unknown" ? undefined : r.contact.channels[d.channel_index];
    if (!channel || channel.type !== d.channel_type) {
      this.skip(d, n, r.kind === "unknown" ? r.problem : `channel #${d.channel_index} (${d.channel_type}) was removed from '${d.contact_id}'`);
      this.checkFallback(d);
      return;
    }
    const n1 = d.attempts + 1;
    // A notice carries no trace of its own (it is derived from state, not from one request): each attempt starts one.
    const span = telemetry.span(
      SPANS.notification,
      { tenant, order_id: n.order_id, subject: n.subject, kind: n.kind, phase: d.phase, level: d.level, channel: d.channel_type, contact: d.contact_id, via: d.via, delivery_id: d.id, attempt: n1 },
      null,
      "client",
    );
    try {
      await this.attemptOne(d, n, channel, n1, span);
    } finally {
      span.end();
    }
  }

  private async attemptOne(d: DeliveryRow, n: Notice, channel: Channel, n1: number, span: Span): Promise<void> {
    const sentAt = this.clock();
    const result = await sendOn(channel, n, d.id, { consoleBase: this.env.CONSOLE_BASE_URL ?? null, contact_id: d.contact_id, via: d.via }, {
      timeoutMs: Number(this.env.DELIVERY_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS),
      now: () => Date.now(),
      email: this.env.EMAIL,
      emailFrom: this.env.NOTIFY_EMAIL_FROM ?? DEFAULT_EMAIL_FROM,
      traceparent: span.traceparent(),
    });
    const now = this.clock();
    const first = d.first_attempt_at ?? sentAt;
    // A channel with no HTTP status (email) that reports no error has delivered.
    const outcome: Outcome =
      result.status === null && result.error_class === null && result.error === null
        ? { kind: "delivered" }
        : decideOutcome(result, n1, first, now, this.policy, jitter(d.id, n1));
    const detail = outcome.kind === "delivered" ? null : outcome.kind === "retry" ? outcome.reason : outcome.kind === "rejected" ? outcome.reason : outcome.detail;
    span.set({ outcome: outcome.kind, "http.response.status_code": result.status, error_class: result.error_class, latency_ms: result.latency_ms });
    if (outcome.kind !== "delivered") span.error(result.error ?? detail ?? outcome.kind);
    this.ctx.storage.transactionSync(() => {
      this.store.finishAttempt(
        d,
        { n: n1, at: sentAt, status: result.status, latency_ms: result.latency_ms, error_class: result.error_class, outcome: outcome.kind, detail },
        {
          status: outcome.kind === "retry" ? "pending" : outcome.kind,
          next_at: outcome.kind === "retry" ? outcome.at : null,
          last_error: detail,
          delivered_at: outcome.kind === "delivered" ? now : null,
          first_attempt_at: first,
        },
      );
      this.record(sentAt, "notification.attempt", fieldsOf(n), {
        ...sentTo(d),
        attempt: n1,
        status: result.status,
        error_class: result.error_class,
        latency_ms: result.latency_ms,
        outcome: outcome.kind,
        detail,
      });
    });
    if (outcome.kind === "rejected" || outcome.kind === "exhausted") this.checkFallback(d);
  }

  private checkFallback(d: DeliveryRow): void {
    if (d.phase !== "alert") return;
    if (everyChannelFailed(this.store.groupStatuses(d.notice_key, d.contact_id))) this.store.markFallback(d.notice_key, d.contact_id);
  }

  private async openFallbacks(): Promise<void> {
    const tenant = this.tenant();
    if (tenant === null) return;
    for (const f of this.store.pendingFallbacks()) {
      const body = this.store.noticeBody(f.notice_key);
      if (body === null) {
        this.store.fallbackOpened(f.notice_key, f.contact_id);
        continue;
      }
      const n = JSON.parse(body) as Notice;
      const why = this.store.history({ subject: n.subject }).deliveries.filter((x) => x.notice_key === n.key && x.contact_id === f.contact_id).map((x) => `${x.channel_type}: ${x.status} (${x.last_error ?? "no detail"})`).join("; ");
      // A D1 failure leaves it pending: the re-armed alarm tries again.
      const task = await openNotificationFailedTask(this.env, tenant, n, f.contact_id, why, this.clock());
      this.ctx.storage.transactionSync(() => {
        this.store.fallbackOpened(f.notice_key, f.contact_id);
        this.record(this.clock(), "notification.fallback", fieldsOf(n), { contact: f.contact_id, outcome: "fallback_opened", detail: `task ${task.task_id} for ${task.owner}: ${why}`.slice(0, 1000) });
      });
    }
  }

  /** Puts one entry on the notice's chain (drained to D1 by the alarm). */
  private record(at: number, type: TrailType, n: NoticeFields, fields: Partial<TrailData> & Pick<TrailData, "outcome">): void {
    this.trail.record(notifyChain(n.order_id), at, type, trailData(n, fields));
  }

  private unreachable(n: Notice, detail: string): void {
    this.ctx.storage.transactionSync(() => {
      this.store.settleNotice(n.key, "unreachable", detail);
      this.record(this.clock(), "notification.unreachable", fieldsOf(n), { outcome: "unreachable", detail });
    });
  }

  private skip(d: DeliveryRow, n: Notice | null, why: string): void {
    this.ctx.storage.transactionSync(() => {
      this.store.skip(d.id, why);
      this.record(this.clock(), "notification.skipped", n ? fieldsOf(n) : { notice_key: d.notice_key, subject: d.subject, order_id: d.order_id, task_id: null, kind: d.kind, phase: d.phase, level: d.level, recipient: d.recipient }, { ...sentTo(d), outcome: "skipped", detail: why });
    });
  }

  /**
   * Links waiting entries and writes them to D1's audit_log. A D1 failure
   * leaves them linked and waiting: the re-armed alarm writes the same rows.
   */
  private async drainTrail(): Promise<void> {
    const tenant = this.tenant();
    if (tenant === null) return;
    while (this.trail.hasPending()) {
      const heads = await d1Heads(this.env.DB, tenant, this.trail.unknownChains(TRAIL_BATCH));
      const links = this.ctx.storage.transactionSync(() => this.trail.link(tenant, TRAIL_BATCH, heads));
      if (links.length === 0) return;
      await writeLinks(this.env.DB, links);
      this.trail.drained(links);
    }
  }
}

function fieldsOf(n: Notice): NoticeFields {
  return { notice_key: n.key, subject: n.subject, order_id: n.order_id, task_id: n.task_id, kind: n.kind, phase: n.phase, level: n.level, recipient: n.recipient };
}

/** Who and what a delivery went to. */
function sentTo(d: DeliveryRow): Pick<TrailData, "contact" | "via" | "channel" | "delivery_id"> {
  return { contact: d.contact_id, via: d.via, channel: d.channel_type, delivery_id: d.id };
}
