import type { FC } from "hono/jsx";
import type { OrderSnapshot } from "../../../domain/order/object";
import type { AuditResponse } from "../../audit";
import type { TaskSummary } from "../../tasks";
import { Card, DataLine, Due, Empty, Kv, LevelBadge, StateBadge, StatusBadge, TypeBadge, When } from "../components";
import { AttemptsTable, AuditTable, ReceiptsTable } from "../evidence";
import { brief, humanize, levelName, milestonesInOrder, money, moneyOf, stamp } from "../format";
import { Layout, type Notice } from "../layout";
import type { Session } from "../session";

export interface OrderPageProps {
  nonce: string;
  session: Session;
  now: number;
  order: OrderSnapshot;
  audit: AuditResponse | null;
  tasks: TaskSummary[];
  notice: Notice | null;
}

/** How the export was acknowledged, in words (AckVia). */
const ACK_VIA = { ack: "by signed ack", event: "by the consumer's event", delivery: "on delivery (no ack owed)" } as const;

const GOOD = new Set(["captured", "accepted", "shipped", "delivered"]);
const BAD = new Set(["payment_failed", "rejected", "backordered", "cancelled", "refunded"]);

/** The verdict first and large: an operator must never have to hunt for whether the trail was tampered with. */
const ChainBanner: FC<{ audit: AuditResponse | null }> = ({ audit }) => {
  if (!audit) return <div class="chain ok">No audit entries yet.</div>;
  if (audit.chain_valid) {
    return (
      <div class="chain ok" data-chain="valid">
        <span class="mark">✓</span>
        <span>Audit chain valid</span>
        <span class="muted">
          {audit.entries.length} entries re-hashed and anchored in the order object{audit.pending ? ` · ${audit.pending} not yet drained` : ""}
        </span>
      </div>
    );
  }
  return (
    <div class="chain bad" data-chain="broken">
      <span class="mark">✗</span>
      <span>Audit chain broken{audit.chain.broken_at === null ? "" : ` at seq ${audit.chain.broken_at}`}</span>
      <span class="muted">{audit.chain.reason ?? "the recorded trail does not match its hashes"}</span>
    </div>
  );
};

const Milestones: FC<{ order: OrderSnapshot; now: number }> = ({ order, now }) => {
  const items = milestonesInOrder(order.milestones);
  if (items.length === 0) return <Empty>No milestones yet.</Empty>;
  return (
    <div class="bd">
      <ol class="tl">
        {items.map(([k, at]) => (
          <li class={GOOD.has(k) ? "good" : BAD.has(k) ? "bad" : undefined}>
            <span class="strong">{humanize(k)}</span> <span class="when">{stamp(at)}</span>{" "}
            <span class="when">
              (<When at={at} now={now} />)
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
};

const Exports: FC<{ order: OrderSnapshot; now: number }> = ({ order, now }) => (
  <Card title="Exports and every delivery attempt" count={order.exports.length}>
    {order.exports.length === 0 ? (
      <Empty>Nothing handed off yet.</Empty>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Export</th>
            <th>Status</th>
            <th>Owner</th>
            <th>Issued</th>
            <th>Delivered, acked</th>
          </tr>
        </thead>
        <tbody>
          {order.exports.map((e) => (
            <>
              <tr class="exp-row" data-export={e.export.export_id}>
                <td>
                  <div class="strong">
                    v{e.export.version} · {humanize(e.export.intended_action)}
                  </div>
                  <div class="mono small muted break">{e.export.export_id}</div>
                  {e.export.justification ? <div class="small">Override: {e.export.justification}</div> : null}
                </td>
                <td>
                  <StatusBadge status={e.status} />
                  {e.ack ? <div class="small muted">{`${e.ack.status} ${ACK_VIA[e.ack.via]}${e.ack.reason ? `: ${e.ack.reason}` : ""}`}</div> : null}
                </td>
                <td>
                  <div>{e.export.owner}</div>
                  <div class="small muted break">{e.consumer_url ?? "no consumer"}</div>
                </td>
                <td class="nowrap">
                  <When at={e.export.issued_at} now={now} />
                </td>
                <td>
                  {/* One line each, so the column can be narrow and the table stays inside its card. */}
                  <div>{e.delivered_at ? <When at={e.delivered_at} now={now} /> : "—"}</div>
                  <div>{e.acked_at ? <When at={e.acked_at} now={now} /> : e.requires_ack ? "awaiting ack" : "—"}</div>
                  {e.next_attempt_at ? <div class="small muted">next attempt {stamp(e.next_attempt_at)}</div> : null}
                </td>
              </tr>
              <tr>
                <td colspan={5}>{e.attempts.length ? <AttemptsTable attempts={e.attempts} now={now} /> : <span class="muted small">no delivery attempts yet</span>}</td>
              </tr>
            </>
          ))}
        </tbody>
      </table>
    )}
  </Card>
);

/** What was ordered and where it goes: the locked fields an operator checks before replaying or overriding. */
const Contents: FC<{ order: OrderSnapshot }> = ({ order }) => {
  const items = order.fields.line_items ?? [];
  const to = order.fields.shipping_address;
  const address = to ? [to.name, to.address1, to.address2, [to.zip, to.city].filter(Boolean).join(" "), to.province, to.country_code].filter((x) => x) : [];
  return (
    <Card title="Order contents">
      <div class="bd">
        <Kv
          rows={[
            ["Total", moneyOf(order.fields.total ?? order.value)],
            [
              "Items",
              items.length === 0 ? (
                "—"
              ) : (
                <>
                  {items.map((i) => (
                    <div>
                      <span class="mono">{i.sku}</span> × {i.quantity}
                      {i.unit_price_minor !== undefined && order.value ? <span class="muted"> @ {money(i.unit_price_minor, order.value.currency)}</span> : null}
                    </div>
                  ))}
                </>
              ),
            ],
            ["Ship to", address.length === 0 ? "—" : <>{address.map((line) => <div>{line}</div>)}</>],
            ["Customer", order.details.customer_email ?? "—"],
            ["Payment", order.payment.last_failure ? <span class="red">{order.payment.last_failure}</span> : order.payment.captured ? `captured ${moneyOf(order.payment.captured)}` : order.payment.authorized ? `authorized ${moneyOf(order.payment.authorized)}` : "none yet"],
          ]}
        />
      </div>
    </Card>
  );
};

const Side: FC<{ order: OrderSnapshot; tasks: TaskSummary[]; now: number }> = ({ order, tasks, now }) => (
  <>
    <Card title="Tasks" count={tasks.length}>
      {tasks.length === 0 ? (
        <Empty>No manual tasks.</Empty>
      ) : (
        <table>
          <tbody>
            {tasks.map((t) => (
              <tr>
                <td>
                  <TypeBadge type={t.type} />
                  <div>
                    <a href={`/console/tasks/${encodeURIComponent(t.task_id)}`}>{brief(t.title, 160)}</a>
                  </div>
                </td>
                <td>
                  <StatusBadge status={t.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
    <Card title="Holds and conflicts" count={order.holds.length + order.conflicts.length}>
      {order.holds.length + order.conflicts.length === 0 ? (
        <Empty>None: nothing is holding this order.</Empty>
      ) : (
        <div class="bd">
          {order.holds.map((h) => (
            <div data-hold={h.reason}>
              <span class="badge b-red">{humanize(h.reason)}</span> {h.detail}
            </div>
          ))}
          {order.conflicts.map((x) => (
            <div>
              <span class="badge b-blue">conflict</span> {humanize(x.field)}: <DataLine data={{ locked: x.locked_value, attempted: x.attempted_value }} />
            </div>
          ))}
        </div>
      )}
    </Card>
    <Card title="SLA clocks" count={order.sla.length}>
      {order.sla.length === 0 ? (
        <Empty>No clock running.</Empty>
      ) : (
        <table>
          <tbody>
            {order.sla.map((s) => (
              <tr>
                <td class="strong">{s.step}</td>
                <td>
                  <Due at={s.due_at} now={now} />
                </td>
                <td class="small">{s.owner}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
    <Card title="SLA breaches" count={order.breaches.length}>
      {order.breaches.length === 0 ? (
        <Empty>None.</Empty>
      ) : (
        <table>
          <tbody>
            {order.breaches.map((b) => (
              <tr>
                <td class="strong">{b.step}</td>
                <td>
                  <LevelBadge level={b.level} />
                  <div class="small">{b.contact}</div>
                </td>
                <td class="small nowrap">
                  {b.resolved_at ? <StatusBadge status="resolved" title={stamp(b.resolved_at)} /> : <StatusBadge status="open" title={`${levelName(b.level)} since ${stamp(b.breached_at)}`} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  </>
);

export const OrderPage: FC<OrderPageProps> = ({ nonce, session, now, order, audit, tasks, notice }) => (
  <Layout title={`Order ${order.order_id}`} nonce={nonce} session={session} section="order" notice={notice}>
    <h1>
      Order <span class="mono">{order.order_id}</span> <StateBadge state={order.state} />
    </h1>
    <div class="summary">
      <div>
        <div class="k">Value</div>
        <div class="v">{moneyOf(order.value)}</div>
      </div>
      <div>
        <div class="k">Fields</div>
        <div class="v">{order.locked ? `locked ${stamp(order.locked_at)}` : "not locked"}</div>
      </div>
      <div>
        <div class="k">Rules</div>
        <div class="v">{order.rules_version === null ? "none" : `v${order.rules_version}`}</div>
      </div>
      <div>
        <div class="k">Facts</div>
        <div class="v">{order.facts_count}</div>
      </div>
      <div>
        <div class="k">Outbox</div>
        <div class="v">{order.outbox.pending === 0 ? "drained" : `${order.outbox.pending} pending${order.outbox.last_error ? ` (${order.outbox.last_error})` : ""}`}</div>
      </div>
    </div>
    <ChainBanner audit={audit} />
    <div class="cols">
      <div>
        <Card title="Milestones">
          <Milestones order={order} now={now} />
        </Card>
        <Exports order={order} now={now} />
        <Card title="Receipts" count={order.receipts.length}>
          {order.receipts.length === 0 ? <Empty>No receipts.</Empty> : <ReceiptsTable receipts={order.receipts} now={now} />}
        </Card>
        <Card title="Audit trail" count={audit?.entries.length ?? 0}>
          {audit && audit.entries.length > 0 ? <AuditTable entries={audit.entries} now={now} brokenAt={audit.chain.broken_at} /> : <Empty>No entries drained yet.</Empty>}
        </Card>
      </div>
      <div>
        <Side order={order} tasks={tasks} now={now} />
        <Contents order={order} />
      </div>
    </div>
  </Layout>
);
