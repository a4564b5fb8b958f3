import type { FC } from "hono/jsx";
import { Card, Due, Empty, LevelBadge, OrderLink, StateBadge, StatusBadge, TypeBadge, When } from "../components";
import { durationWords, humanize, money, query } from "../format";
import { Layout, type Notice } from "../layout";
import type { Session } from "../session";
import { UNACKED_AFTER_MS, type TodayData } from "../today-data";

export interface TodayProps {
  nonce: string;
  session: Session;
  now: number;
  data: TodayData;
  notice: Notice | null;
}

const MAX_ORDERS_SHOWN = 6;

/** Orders at risk in every currency: each order has one currency, so the per-currency counts add up. */
const atRiskOrders = (data: TodayData): number => data.atRisk.reduce((n, r) => n + r.orders, 0);

/** One order can be past SLA on two steps: the heading counts orders, the table (order, step) pairs. */
function pastSla(data: TodayData): { orders: number; pairs: number } {
  const ids = new Set(data.breaches.flatMap((g) => g.orders.map((o) => o.order_id)));
  return { orders: ids.size, pairs: data.breaches.reduce((n, g) => n + g.orders.length, 0) };
}

const Revenue: FC<{ data: TodayData }> = ({ data }) => (
  <Card title="Revenue at risk" right={<span class="small muted">on hold, past SLA or with an open task</span>}>
    {data.atRisk.length === 0 ? (
      <Empty>Nothing at risk.</Empty>
    ) : (
      <>
        {data.atRisk.map((r) => (
          <div class="stat" data-currency={r.currency}>
            <div class="big red">{money(r.amount_minor, r.currency)}</div>
            <div class="muted">
              {r.orders} order{r.orders === 1 ? "" : "s"}
            </div>
          </div>
        ))}
        <table>
          <thead>
            <tr>
              <th>Largest</th>
              <th>State</th>
              <th class="num">Value</th>
            </tr>
          </thead>
          <tbody>
            {data.topAtRisk.map((o) => (
              <tr>
                <td>
                  <OrderLink id={o.order_id} />
                </td>
                <td>
                  <StateBadge state={o.state} />
                </td>
                <td class="num">{money(o.value_minor, o.currency)}</td>
              </tr>
            ))}
            {atRiskOrders(data) > data.topAtRisk.length ? (
              <tr>
                <td colspan={3} class="small muted" data-more="at-risk">
                  and {atRiskOrders(data) - data.topAtRisk.length} more
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </>
    )}
  </Card>
);

const Tasks: FC<{ data: TodayData }> = ({ data }) => {
  const total = data.tasks.reduce((n, t) => n + t.open + t.claimed, 0);
  const overdue = data.tasks.reduce((n, t) => n + t.overdue, 0);
  return (
    <Card title="Open tasks" count={total} right={<a href="/console/queue">Open the queue →</a>}>
      {data.tasks.length === 0 ? (
        <Empty>The queue is empty.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Type</th>
              <th class="num">Unclaimed</th>
              <th class="num">Claimed</th>
              <th class="num">Overdue</th>
            </tr>
          </thead>
          <tbody>
            {data.tasks.map((t) => (
              <tr>
                <td>
                  <a href={`/console/queue${query({ type: t.type })}`}>
                    <TypeBadge type={t.type} />
                  </a>
                </td>
                <td class="num">{t.open}</td>
                <td class="num">{t.claimed}</td>
                <td class={t.overdue > 0 ? "num red strong" : "num muted"}>
                  {t.overdue > 0 ? <a href={`/console/queue${query({ type: t.type, overdue: "true" })}`}>{t.overdue}</a> : "0"}
                </td>
              </tr>
            ))}
            <tr>
              <td class="strong">All</td>
              <td class="num strong">{data.tasks.reduce((n, t) => n + t.open, 0)}</td>
              <td class="num strong">{data.tasks.reduce((n, t) => n + t.claimed, 0)}</td>
              <td class={overdue > 0 ? "num red strong" : "num muted"}>{overdue}</td>
            </tr>
          </tbody>
        </table>
      )}
    </Card>
  );
};

const Breaches: FC<{ data: TodayData; now: number }> = ({ data, now }) => {
  const n = pastSla(data);
  return (
    <Card
      title="Orders past SLA, by step and owner"
      count={n.orders}
      right={n.pairs > n.orders ? <span class="small muted">{n.pairs} breaches: some orders are late on more than one step</span> : undefined}
    >
      {data.breaches.length === 0 ? (
        <Empty>Every running clock is within its SLA.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Step</th>
              <th>Owner</th>
              <th class="num">Orders</th>
              <th>Oldest</th>
              <th>Orders (escalated to)</th>
            </tr>
          </thead>
          <tbody>
            {data.breaches.map((g) => (
              <tr>
                <td class="strong">{g.step}</td>
                <td>
                  <div>{g.owner}</div>
                  <div class="small muted">{g.owning_party}</div>
                </td>
                <td class="num strong">{g.orders.length}</td>
                <td class="nowrap">
                  <Due at={g.oldest_due} now={now} />
                </td>
                <td>
                  {g.orders.slice(0, MAX_ORDERS_SHOWN).map((o) => (
                    <div>
                      <OrderLink id={o.order_id} /> <LevelBadge level={o.level} />
                    </div>
                  ))}
                  {g.orders.length > MAX_ORDERS_SHOWN ? <div class="small muted">and {g.orders.length - MAX_ORDERS_SHOWN} more</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
};

const Unacked: FC<{ data: TodayData; now: number }> = ({ data, now }) => (
  <Card title={`Handoffs unacknowledged after ${durationWords(UNACKED_AFTER_MS)}`} count={data.unacked.length}>
    {data.unacked.length === 0 ? (
      <Empty>Every handoff older than {durationWords(UNACKED_AFTER_MS)} has been acknowledged.</Empty>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Issued</th>
            <th>Order</th>
            <th>Handoff</th>
            <th>Owner</th>
            <th>Status</th>
            <th>Last attempt</th>
          </tr>
        </thead>
        <tbody>
          {data.unacked.map((h) => (
            <tr>
              <td class="nowrap red strong">
                <When at={h.issuedAt} now={now} />
              </td>
              <td>
                <OrderLink id={h.orderId} />
              </td>
              <td>
                {humanize(h.action)} v{h.version}
                <div class="small muted">{h.step}</div>
              </td>
              <td>{h.owner}</td>
              <td>
                <StatusBadge status={h.status} />
              </td>
              <td class="small">
                {h.attempts} attempt{h.attempts === 1 ? "" : "s"}
                {h.lastStatus !== null ? ` · HTTP ${h.lastStatus}` : ""}
                {h.lastErrorClass ? ` · ${humanize(h.lastErrorClass)}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Card>
);

export const TodayPage: FC<TodayProps> = ({ nonce, session, now, data, notice }) => (
  <Layout title="Today" nonce={nonce} session={session} section="today" notice={notice}>
    <h1>Today</h1>
    <div class="sub">What needs a person now · {new Date(now).toISOString().slice(0, 16).replace("T", " ")} UTC</div>
    <div class="grid2">
      <Revenue data={data} />
      <Tasks data={data} />
    </div>
    <div class="gap" />
    <Breaches data={data} now={now} />
    <Unacked data={data} now={now} />
  </Layout>
);
