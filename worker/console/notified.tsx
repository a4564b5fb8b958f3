import type { FC } from "hono/jsx";
import type { NotificationDelivery, UnreachableNotice } from "../../domain/notify/object";
import type { NotificationTrail, NotificationTrailEntry } from "../notify/trail";
import { Badge, Card, Empty, LevelBadge, StatusBadge, When } from "./components";
import { humanize, stamp } from "./format";

/**
 * Who was told about a task, when and through what: one row per channel a
 * notice went out on (the resolved on-call person and the rotation that named
 * them), its status, and its attempts as the audit trail holds them (each
 * with its place on the verified chain), and any notice that reached nobody.
 */
export interface Notified {
  deliveries: NotificationDelivery[];
  unreachable: UnreachableNotice[];
  /** The task's entries on its notification chain; null when D1 could not be read. */
  trail: NotificationTrail | null;
}

const ChainBadge: FC<{ trail: NotificationTrail | null }> = ({ trail }) => {
  if (trail === null) return <Badge title="The audit trail could not be read just now">audit trail unavailable</Badge>;
  if (!trail.chain_valid) {
    return (
      <Badge tone="red" title={trail.chain.reason ?? undefined}>
        chain broken at #{trail.chain.broken_at ?? "?"}
      </Badge>
    );
  }
  return (
    <Badge tone="green" title={`${trail.chain_id}: every entry's SHA-256 link recomputed`}>
      ✓ on the audit trail, chain verified
    </Badge>
  );
};

function what(e: NotificationTrailEntry): string {
  const d = e.data;
  const answer = d.status !== null ? `HTTP ${d.status}` : (d.error_class ?? "sent");
  return `#${d.attempt ?? "?"} ${answer} → ${d.outcome}`;
}

/** A delivery's attempts from the chain; the notifier's count tells what has not been written there yet. */
const Attempts: FC<{ d: NotificationDelivery; trail: NotificationTrail | null }> = ({ d, trail }) => {
  if (d.attempts.length === 0) return <div class="small muted">not yet tried</div>;
  if (trail === null) return <div class="small muted">{d.attempts.length} attempt(s)</div>;
  const onChain = trail.entries.filter((e) => e.type === "notification.attempt" && e.data.delivery_id === d.id);
  const waiting = d.attempts.length - onChain.length;
  return (
    <div class="small">
      {onChain.map((e) => (
        <div title={`${trail.chain_id} seq ${e.seq}, hash ${e.hash}`}>
          {what(e)}
          <div class="muted mono">
            seq {e.seq} · {e.hash.slice(0, 8)}
          </div>
        </div>
      ))}
      {waiting > 0 ? <div class="muted">{waiting} not yet on the audit trail</div> : null}
    </div>
  );
};

export const NotifiedCard: FC<{ notified: Notified | null; now: number }> = ({ notified, now }) => {
  if (notified === null) {
    return (
      <Card title="Notified">
        <Empty>The notifier could not be asked just now; reload to see who was told.</Empty>
      </Card>
    );
  }
  const { deliveries, unreachable } = notified;
  const fallbacks = notified.trail?.entries.filter((e) => e.type === "notification.fallback") ?? [];
  return (
    <Card title="Notified" count={deliveries.length} right={<ChainBadge trail={notified.trail} />}>
      {deliveries.length === 0 && unreachable.length === 0 ? (
        <Empty>Nobody has been notified about this task yet.</Empty>
      ) : (
        <table class="notified">
          <thead>
            <tr>
              <th>When, how</th>
              <th>To, what</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr>
                <td class="nowrap">
                  <When at={d.delivered_at ?? d.created_at} now={now} />
                  <div>
                    <Badge tone="violet">{d.channel_type}</Badge>
                  </div>
                </td>
                <td>
                  <b>{d.contact_id}</b>
                  {d.via ? <div class="small muted">via {d.via}</div> : null}
                  <div class="small">
                    {humanize(d.kind.replace(".", " "))} {d.phase === "alert" ? <LevelBadge level={d.level} /> : null}
                  </div>
                </td>
                <td>
                  <StatusBadge status={d.status} title={d.last_error ?? undefined} />
                  <Attempts d={d} trail={notified.trail} />
                  {d.next_attempt_at ? <div class="small muted">next {stamp(d.next_attempt_at)}</div> : null}
                </td>
              </tr>
            ))}
            {fallbacks.map((f) => (
              <tr>
                <td class="nowrap">
                  <When at={f.at} now={now} />
                </td>
                <td>
                  <b>{f.data.contact ?? "—"}</b>
                  <div class="small">every channel failed</div>
                </td>
                <td>
                  <Badge tone="amber">fallback task opened</Badge>
                  <div class="small muted">{f.data.detail}</div>
                </td>
              </tr>
            ))}
            {unreachable.map((u) => (
              <tr>
                <td class="nowrap">
                  <When at={u.at} now={now} />
                </td>
                <td>
                  <b>{u.recipient ?? "—"}</b>
                  <div class="small">{humanize(u.kind.replace(".", " "))}</div>
                </td>
                <td>
                  <Badge tone="red">unreachable</Badge>
                  <div class="small muted">{u.detail}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
};
