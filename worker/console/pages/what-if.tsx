import type { FC } from "hono/jsx";
import type { WhatIfJob, WhatIfJobListItem } from "../../../domain/whatif/job";
import type { WhatIfRun } from "../../../domain/whatif/report";
import { Card, Csrf, Empty, OrderLink } from "../components";
import { levelName, money } from "../format";
import { Layout, type Notice } from "../layout";
import type { Session } from "../session";

export interface WhatIfForm {
  from: string;
  to: string;
  rules: string;
}

export interface WhatIfProps {
  nonce: string;
  session: Session;
  form: WhatIfForm;
  run: WhatIfRun | null;
  notice: Notice | null;
  /** The tenant's newest jobs (the API lists them all). */
  jobs: WhatIfJobListItem[];
}

const ORDERS_SHOWN = 100;
/** Jobs listed under the form; the page asks for one more to know whether there are older ones. */
export const JOBS_SHOWN = 20;

const Delta: FC<{ recorded: number; proposed: number }> = ({ recorded, proposed }) => (
  <td class={`num ${proposed > recorded ? "red" : proposed < recorded ? "green" : ""}`}>{proposed === recorded ? "=" : `${proposed > recorded ? "+" : ""}${proposed - recorded}`}</td>
);

const Result: FC<{ run: WhatIfRun; more?: boolean }> = ({ run, more = false }) => {
  const s = run.summary;
  return (
    <>
      <Card title={run.mode === "in_force" ? "Replay under the rules in force" : `Proposal (would be v${run.proposal_version ?? "?"})`} right={<span class="small muted">{`${run.rows_read} D1 rows read · clocks played to ${run.until}`}</span>}>
        <div class="stat">
          <div class="big">{s.orders}</div>
          <div class="muted">orders replayed</div>
        </div>
        <div class="stat">
          <div class={`big ${s.orders_changed > 0 ? "red" : ""}`}>{s.orders_changed}</div>
          <div class="muted">would change</div>
        </div>
        <div class="stat">
          <div class="big">{`${s.breaches.recorded} → ${s.breaches.proposed}`}</div>
          <div class="muted">breaches (all levels)</div>
        </div>
        {s.revenue_at_risk.map((r) => (
          <div class="stat" data-currency={r.currency}>
            <div class="big">{`${money(r.recorded_minor, r.currency)} → ${money(r.proposed_minor, r.currency)}`}</div>
            <div class="muted">{`revenue at risk (${r.orders_recorded} → ${r.orders_proposed} orders)`}</div>
          </div>
        ))}
      </Card>
      <Card title="Totals" count={s.totals.length}>
        {s.totals.length === 0 ? (
          <Empty>No breaches or exports in this window.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Per</th>
                <th>Who / what</th>
                <th class="num">Happened</th>
                <th class="num">Would</th>
                <th class="num">Change</th>
              </tr>
            </thead>
            <tbody>
              {s.totals.map((t) => (
                <tr>
                  <td class="muted">{t.dimension === "contact" ? "paged" : t.dimension.replace("_", " ")}</td>
                  <td>{t.key}</td>
                  <td class="num">{t.recorded}</td>
                  <td class="num">{t.proposed}</td>
                  <Delta recorded={t.recorded} proposed={t.proposed} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Orders that would change" count={run.orders.length}>
        {run.orders.length === 0 ? (
          <Empty>No order's decisions would change.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Order</th>
                <th>Would breach (who is paged, when)</th>
                <th>Would not breach</th>
                <th>Handoffs</th>
              </tr>
            </thead>
            <tbody>
              {run.orders.slice(0, ORDERS_SHOWN).map((o) => (
                <tr>
                  <td>
                    <OrderLink id={o.order_id} />
                    {o.value ? <div class="small muted">{money(o.value.amount_minor, o.value.currency)}</div> : null}
                  </td>
                  <td class="small">
                    {o.breaches_added.map((b) => (
                      <div>{`${b.step} · ${levelName(b.level)} ${b.contact} · ${b.due_at.slice(0, 16).replace("T", " ")}`}</div>
                    ))}
                  </td>
                  <td class="small">
                    {o.breaches_removed.map((b) => (
                      <div>{`${b.step} · ${levelName(b.level)} ${b.contact}`}</div>
                    ))}
                  </td>
                  <td class="small">
                    {o.exports_added.map((e) => (
                      <div>{`+ ${e.action} v${e.version} (${e.owner})`}</div>
                    ))}
                    {o.exports_removed.map((e) => (
                      <div>{`− ${e.action} v${e.version}`}</div>
                    ))}
                    {o.exports_changed.map((c) => (
                      <div>{`${c.export_id.replace(/_wi.*$|_v\d+_.*$/, "")} ${c.field}: ${c.recorded ?? "—"} → ${c.proposed ?? "—"}`}</div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {run.orders.length > ORDERS_SHOWN || more ? <p class="small muted">{`First ${Math.min(ORDERS_SHOWN, run.orders.length)} shown; npm run what-if writes them all (CSV/NDJSON).`}</p> : null}
      </Card>
    </>
  );
};

const minute = (isoAt: string | null): string => (isoAt === null ? "—" : isoAt.slice(0, 16).replace("T", " "));

/** The tenant's jobs, newest first: each links to its page; an expired one keeps its totals there, not its result. */
const Jobs: FC<{ jobs: WhatIfJobListItem[]; more: boolean }> = ({ jobs, more }) => (
  <Card title="Jobs" count={jobs.length}>
    {jobs.length === 0 ? (
      <Empty>No what-if job yet: windows over the inline bound run as one.</Empty>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>Status</th>
            <th class="num">Orders</th>
            <th>Window</th>
            <th>Started</th>
            <th>Result kept until</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr data-job={j.id}>
              <td>
                <a href={`/console/what-if/${j.id}`}>{j.id}</a>
              </td>
              <td class={j.status === "failed" ? "red" : j.status === "expired" ? "muted" : ""}>{j.status}</td>
              <td class="num">{`${j.progress.orders_done} / ${j.progress.orders_total}`}</td>
              <td class="small">{`${minute(j.from)} → ${minute(j.to)}`}</td>
              <td class="small">{`${minute(j.created_at)} · ${j.created_by}`}</td>
              <td class="small muted">{j.status === "expired" ? `deleted ${minute(j.expires_at)}` : minute(j.expires_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {more ? <p class="small muted">Older jobs: GET /v1/tenants/…/what-if?cursor=… (newest first, keyset-paged).</p> : null}
  </Card>
);

export const WhatIfPage: FC<WhatIfProps> = ({ nonce, session, form, run, notice, jobs }) => (
  <Layout title="What-if" nonce={nonce} session={session} section="what-if" notice={notice}>
    <h1>What-if: replay past orders through proposed rules</h1>
    <Card title="Window and proposal">
      <form method="post" action="/console/what-if" class="stack">
        <Csrf token={session.csrf} />
        <label>
          Orders created from <input name="from" value={form.from} placeholder="2026-10-01" required maxlength={40} />
        </label>
        <label>
          to (exclusive) <input name="to" value={form.to} placeholder="2026-11-01" required maxlength={40} />
        </label>
        <label>
          Proposed ownership rules (JSON, as PUT …/ownership takes them; empty: the rules that were in force)
          <textarea name="rules" rows={10} maxlength={200000}>
            {form.rules}
          </textarea>
        </label>
        <button type="submit">Replay</button>
      </form>
    </Card>
    {run ? <Result run={run} /> : null}
    <Jobs jobs={jobs.slice(0, JOBS_SHOWN)} more={jobs.length > JOBS_SHOWN} />
  </Layout>
);

export interface WhatIfJobProps {
  nonce: string;
  session: Session;
  job: WhatIfJob;
  /** Once done: the first changed orders (the job's first part), shown as an inline run shows them. */
  orders: WhatIfRun["orders"];
}

/** A what-if too large to answer inline runs as a job: its progress, reloading itself until done, then its result. */
export const WhatIfJobPage: FC<WhatIfJobProps> = ({ nonce, session, job, orders }) => {
  const { orders_done: done, orders_total: total } = job.progress;
  const pct = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
  const running = job.status === "queued" || job.status === "running";
  return (
    <Layout title="What-if job" nonce={nonce} session={session} section="what-if" refreshSeconds={running ? 2 : undefined}>
      <h1>What-if: replay past orders through proposed rules</h1>
      <Card title={`Job ${job.id}`} right={<span class="small muted">{`${job.from.slice(0, 16)} → ${job.to.slice(0, 16)} · ${job.mode === "in_force" ? "rules in force" : `proposal v${job.proposal_version ?? "?"}`}`}</span>}>
        <div class="stat" data-status={job.status}>
          <div class={`big ${job.status === "failed" ? "red" : ""}`}>{job.status}</div>
          <div class="muted">status</div>
        </div>
        <div class="stat" data-progress={`${done}/${total}`}>
          <div class="big">{`${done} / ${total}`}</div>
          <div class="muted">orders replayed</div>
        </div>
        <progress max={100} value={pct}>{`${pct}%`}</progress>
        <div class="stat small muted">
          {running ? "Too many orders to answer at once: the engine replays them page by page. This page reloads itself." : null}
          {job.error ? `Failed: ${job.error}` : null}
          {job.status === "done" ? `Every change, for a notebook: GET ${job.result?.csv ?? ""} (or npm run what-if); kept until ${minute(job.expires_at)} UTC.` : null}
          {job.status === "expired" ? `Its result was deleted at ${minute(job.expires_at)} UTC (kept a week after it finished); the totals remain. Run it again for the orders.` : null}
        </div>
      </Card>
      {job.summary ? (
        <Result
          run={{ tenant: job.tenant, from: job.from, to: job.to, until: job.until, mode: job.mode, proposal_version: job.proposal_version, rows_read: job.rows_read, summary: job.summary, orders }}
          more={job.summary.orders_changed > orders.length}
        />
      ) : null}
      <p>
        <a href="/console/what-if">New what-if</a>
      </p>
    </Layout>
  );
};
