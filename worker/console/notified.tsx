import type { FC } from "hono/jsx";
import type { NotificationDelivery, UnreachableNotice } from "../../domain/notify/object";
import { Badge, Card, Empty, LevelBadge, StatusBadge, When } from "./components";
import { humanize, stamp } from "./format";

/**
 * Who was told about a task, when and through what: one row per channel a
 * notice went out on (the resolved on-call person and the rotation that named
 * them), its status and its attempts, and any notice that reached nobody.
 */
export interface Notified {
  deliveries: NotificationDelivery[];
  unreachable: UnreachableNotice[];
}

function attemptsLine(d: NotificationDelivery): string {
  const n = d.attempts.length;
  if (n === 0) return "not yet tried";
  const last = d.attempts[n - 1];
  const what = last ? (last.status !== null ? `HTTP ${last.status}` : (last.error_class ?? "sent")) : "";
  return `${n} attempt${n === 1 ? "" : "s"}, last ${what}`;
}

export const NotifiedCard: FC<{ notified: Notified | null; now: number }> = ({ notified, now }) => {
  if (notified === null) {
    return (
      <Card title="Notified">
        <Empty>The notifier could not be asked just now; reload to see who was told.</Empty>
      </Card>
    );
  }
  const { deliveries, unreachable } = notified;
  return (
    <Card title="Notified" count={deliveries.length}>
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
                  <div class="small muted">{attemptsLine(d)}</div>
                  {d.next_attempt_at ? <div class="small muted">next {stamp(d.next_attempt_at)}</div> : null}
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
