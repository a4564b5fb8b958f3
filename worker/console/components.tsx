import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { brief, duration, field, humanize, isPast, levelName, relative, stamp } from "./format";

/**
 * Small pieces every page shares. Everything shown goes in as a text child or
 * an attribute, which Hono JSX escapes: payloads are attacker-controlled.
 */

type Tone = "red" | "amber" | "green" | "blue" | "violet" | "gray";

export const Badge: FC<{ tone?: Tone; title?: string; children?: Child }> = ({ tone = "gray", title, children }) => (
  <span class={tone === "gray" ? "badge" : `badge b-${tone}`} title={title}>
    {children}
  </span>
);

const TYPE_TONE: Record<string, Tone> = {
  consumer_rejected: "red",
  delivery_failed: "red",
  fulfillment_rejected: "red",
  ack_missing: "amber",
  sla_breach: "amber",
  payment_not_captured: "violet",
  locked_field_conflict: "blue",
  schema_rejection: "gray",
};

export const TypeBadge: FC<{ type: string }> = ({ type }) => <Badge tone={TYPE_TONE[type] ?? "gray"}>{humanize(type)}</Badge>;

const STATE_TONE: Record<string, Tone> = {
  on_hold: "red",
  backordered: "amber",
  delivered: "green",
  shipped: "blue",
  accepted: "blue",
  routed: "blue",
  paid: "blue",
  authorized: "violet",
  cancelled: "gray",
  refunded: "gray",
};

export const StateBadge: FC<{ state: string }> = ({ state }) => <Badge tone={STATE_TONE[state] ?? "gray"}>{humanize(state)}</Badge>;

const STATUS_TONE: Record<string, Tone> = {
  open: "amber",
  claimed: "blue",
  resolved: "green",
  cancelled: "gray",
  pending: "amber",
  delivered: "blue",
  acked: "green",
  rejected: "red",
  failed: "red",
  superseded: "gray",
};

export const StatusBadge: FC<{ status: string; title?: string }> = ({ status, title }) => (
  <Badge tone={STATUS_TONE[status] ?? "gray"} title={title}>
    {humanize(status)}
  </Badge>
);

export const LevelBadge: FC<{ level: number }> = ({ level }) => (
  <Badge tone={level >= 2 ? "red" : level === 1 ? "amber" : "gray"} title={`Escalation level ${level}`}>
    {levelName(level)}
  </Badge>
);

/** A due time, red and bold once it has passed (unless the work is done). */
export const Due: FC<{ at: string | null | undefined; done?: boolean; now: number }> = ({ at, done = false, now }) => {
  const over = !done && isPast(at, now);
  return (
    <time datetime={at ?? undefined} title={stamp(at)} class={over ? "due-over" : "muted"}>
      {over ? `overdue ${duration(Math.max(1000, now - Date.parse(at ?? "")))}` : relative(at, now)}
    </time>
  );
};

export const When: FC<{ at: string | null | undefined; now: number }> = ({ at, now }) => (
  <time datetime={at ?? undefined} title={stamp(at)}>
    {relative(at, now)}
  </time>
);

export const Card: FC<PropsWithChildren<{ title: string; count?: number | string; id?: string; right?: Child }>> = ({ title, count, id, right, children }) => (
  <section class="card" id={id}>
    <div class="hd">
      <h2>{title}</h2>
      {count === undefined ? null : <span class="n">{String(count)}</span>}
      {right ? <span class="right">{right}</span> : null}
    </div>
    {children}
  </section>
);

export const Empty: FC<{ children?: Child }> = ({ children }) => <div class="empty">{children}</div>;

/** An object's fields as `key value` pairs on one wrapped line (audit data, event payloads). */
export const DataLine: FC<{ data: unknown; max?: number }> = ({ data, max = 160 }) => {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return <span class="data">{brief(data, max)}</span>;
  const entries = Object.entries(data as Record<string, unknown>).map(([k, v]) => field(k, v, max));
  return (
    <span class="data">
      {entries.map(([k, v], i) => (
        <>
          {i > 0 ? " · " : ""}
          <b>{k}</b> {v}
        </>
      ))}
    </span>
  );
};

export const Kv: FC<{ rows: [string, Child][] }> = ({ rows }) => (
  <dl class="kv">
    {rows.map(([k, v]) => (
      <>
        <dt>{k}</dt>
        <dd>{v}</dd>
      </>
    ))}
  </dl>
);

export const OrderLink: FC<{ id: string | null }> = ({ id }) =>
  id === null ? <span class="muted">no order</span> : <a href={`/console/orders/${encodeURIComponent(id)}`} class="mono">{id}</a>;

export const Ladder: FC<{ escalation: string[]; level: number }> = ({ escalation, level }) => (
  <span class="ladder">
    {escalation.map((who, i) => (
      <>
        <span class="r">{levelName(i)}</span>
        <span class={i === level ? "on" : undefined} title={i === level ? "Holds the task now" : undefined}>
          {who}
        </span>
      </>
    ))}
  </span>
);

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;
