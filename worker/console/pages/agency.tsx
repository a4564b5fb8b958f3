import type { FC } from "hono/jsx";
import type { MerchantCounts, TemplateSummary } from "../agency-data";
import { relative } from "../format";
import { Card, Csrf, Empty } from "../components";
import { Layout, type Notice } from "../layout";
import type { Session } from "../session";

export interface AgencyProps {
  nonce: string;
  session: Session;
  merchants: MerchantCounts[];
  templates: TemplateSummary[];
  notice: Notice | null;
}

/** One row per merchant: its queue and Today counts, and a button that puts it in view. */
export const AgencyPage: FC<AgencyProps> = ({ nonce, session, merchants, templates, notice }) => {
  const sum = (k: "active" | "unclaimed" | "overdue" | "late_orders") => merchants.reduce((n, m) => n + m[k], 0);
  return (
    <Layout title="All merchants" nonce={nonce} session={session} section="agency" notice={notice}>
      <h1>All merchants</h1>
      <div class="sub">
        {session.agency} · {merchants.length} merchants · in view: <b>{session.tenant}</b>
      </div>
      <Card title="Merchants" count={merchants.length}>
        {merchants.length === 0 ? (
          <Empty>This agency has no merchants yet.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Merchant</th>
                <th class="num">Active tasks</th>
                <th class="num">Unclaimed</th>
                <th class="num">Overdue</th>
                <th class="num">Orders past SLA</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {merchants.map((m) => (
                <tr data-merchant={m.id} class={m.id === session.tenant ? "on" : undefined}>
                  <td>
                    <span class="strong">{m.name}</span>
                    <div class="small muted">{m.id}</div>
                  </td>
                  <td class="num">{m.active}</td>
                  <td class="num">{m.unclaimed}</td>
                  <td class={m.overdue > 0 ? "num red strong" : "num"}>{m.overdue}</td>
                  <td class={m.late_orders > 0 ? "num red strong" : "num"}>{m.late_orders}</td>
                  <td>
                    <div class="actions">
                      <ViewForm session={session} merchant={m.id} to="/console/queue" label="Queue" />
                      <ViewForm session={session} merchant={m.id} to="/console/today" label="Today" />
                    </div>
                  </td>
                </tr>
              ))}
              <tr>
                <td class="strong">All</td>
                <td class="num strong">{sum("active")}</td>
                <td class="num strong">{sum("unclaimed")}</td>
                <td class="num strong">{sum("overdue")}</td>
                <td class="num strong">{sum("late_orders")}</td>
                <td />
              </tr>
            </tbody>
          </table>
        )}
      </Card>
      <Templates templates={templates} names={new Map(merchants.map((m) => [m.id, m.name]))} />
    </Layout>
  );
};

const ViewForm: FC<{ session: Session; merchant: string; to: string; label: string }> = ({ session, merchant, to, label }) => (
  <form class="inline" method="post" action="/console/merchant">
    <Csrf token={session.csrf} />
    <input type="hidden" name="merchant" value={merchant} />
    <input type="hidden" name="return_to" value={to} />
    <button type="submit">{label}</button>
  </form>
);

/**
 * The agency's ownership-rule templates and who inherits each. A merchant
 * whose rules were last computed from an older version than the newest was
 * skipped by it (the merged rules were invalid for it): shown in red.
 */
const Templates: FC<{ templates: TemplateSummary[]; names: Map<string, string> }> = ({ templates, names }) => (
  <Card title="Rule templates" count={templates.length} id="templates">
    {templates.length === 0 ? (
      <Empty>No rule templates yet: PUT /v1/agencies/{"{agency}"}/rule-templates/{"{template_id}"} creates one.</Empty>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Template</th>
            <th class="num">Version</th>
            <th>Changed</th>
            <th>Inherited by</th>
          </tr>
        </thead>
        <tbody>
          {templates.map((t) => (
            <tr data-template={t.template_id}>
              <td class="strong">{t.template_id}</td>
              <td class="num">v{t.version}</td>
              <td>
                {relative(t.created_at)}
                <div class="small muted">by {t.created_by}</div>
              </td>
              <td>
                {t.merchants.length === 0 ? (
                  <span class="muted">no merchant yet</span>
                ) : (
                  t.merchants.map((m) => (
                    <>
                      <span class={m.applied_version < t.version ? "badge b-red" : "badge"} data-inherits={m.tenant} title={m.applied_version < t.version ? `still on v${m.applied_version}: v${t.version} was invalid for it` : `on v${m.applied_version}`}>
                        {names.get(m.tenant) ?? m.tenant}
                        {m.applied_version < t.version ? ` · v${m.applied_version}, skipped v${t.version}` : ""}
                      </span>{" "}
                    </>
                  ))
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Card>
);
