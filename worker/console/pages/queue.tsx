import type { FC } from "hono/jsx";
import { TASK_TYPES } from "../../../domain/tasks/task";
import type { TaskSummary } from "../../tasks";
import { Card, Due, Empty, LevelBadge, OrderLink, StatusBadge, TypeBadge, When } from "../components";
import { humanize, moneyOf, query } from "../format";
import { Layout, type Notice } from "../layout";
import type { ActiveCounts, QueueFilters } from "../queue-data";
import type { Session } from "../session";
import { ClaimForm, ResolvePopover } from "../task-forms";

export interface QueueProps {
  nonce: string;
  session: Session;
  now: number;
  filters: QueueFilters;
  tasks: TaskSummary[];
  nextCursor: string | null;
  owners: string[];
  counts: ActiveCounts;
  notice: Notice | null;
  /** This page's own URL (path + query), where the row forms come back to. */
  self: string;
}

const STATUS_LABELS: [string, string][] = [
  ["active", "Active (open + claimed)"],
  ["open", "Open"],
  ["claimed", "Claimed"],
  ["resolved", "Resolved"],
  ["cancelled", "Cancelled"],
  ["all", "All"],
];

const Filters: FC<{ f: QueueFilters; owners: string[] }> = ({ f, owners }) => (
  <form class="filters" method="get" action="/console/queue">
    <div class="f">
      <label for="f-status">Status</label>
      <select id="f-status" name="status">
        {STATUS_LABELS.map(([v, l]) => (
          <option value={v} selected={f.status === v}>
            {l}
          </option>
        ))}
      </select>
    </div>
    <div class="f">
      <label for="f-type">Type</label>
      <select id="f-type" name="type">
        <option value="">Any type</option>
        {TASK_TYPES.map((t) => (
          <option value={t} selected={f.type === t}>
            {humanize(t)}
          </option>
        ))}
      </select>
    </div>
    <div class="f">
      <label for="f-owner">Owner</label>
      <input id="f-owner" name="owner" list="owners" value={f.owner} placeholder="Anyone" maxlength={200} />
      <datalist id="owners">
        {owners.map((o) => (
          <option value={o} />
        ))}
      </datalist>
    </div>
    <div class="f">
      <label for="f-overdue">Due</label>
      <select id="f-overdue" name="overdue">
        <option value="" selected={f.overdue === ""}>
          Any
        </option>
        <option value="true" selected={f.overdue === "true"}>
          Overdue only
        </option>
        <option value="false" selected={f.overdue === "false"}>
          Not yet due
        </option>
      </select>
    </div>
    <div class="f">
      <button type="submit" class="primary">
        Filter
      </button>
    </div>
    <div class="f">
      <a class="btn" href="/console/queue">
        Reset
      </a>
    </div>
  </form>
);

const Row: FC<{ t: TaskSummary; session: Session; now: number; self: string }> = ({ t, session, now, self }) => {
  const active = t.status === "open" || t.status === "claimed";
  return (
    <tr data-task={t.task_id}>
      <td class="nowrap">
        <Due at={t.sla_due} done={!active} now={now} />
      </td>
      <td>
        <TypeBadge type={t.type} />
      </td>
      <td>
        <a class="title strong" href={`/console/tasks/${encodeURIComponent(t.task_id)}`} title={t.title}>
          {t.title}
        </a>
        <div class="small muted">
          <OrderLink id={t.order_id} /> · {t.step} · opened <When at={t.opened_at} now={now} />
        </div>
      </td>
      <td class="owner">
        <div>{t.owner}</div>
        <LevelBadge level={t.level} />
      </td>
      <td class="num">{moneyOf(t.value)}</td>
      <td>
        <StatusBadge status={t.status} />
        {t.status === "claimed" && t.claimed_by ? <div class="small muted">by {t.claimed_by}</div> : null}
        {!active && t.resolved_by ? <div class="small muted">by {t.resolved_by}</div> : null}
      </td>
      <td>
        <div class="actions">
          {t.status === "open" ? <ClaimForm taskId={t.task_id} csrf={session.csrf} returnTo={self} /> : null}
          {active ? <ResolvePopover taskId={t.task_id} csrf={session.csrf} returnTo={self} allowOverride={t.order_id !== null} /> : null}
        </div>
      </td>
    </tr>
  );
};

export const QueuePage: FC<QueueProps> = ({ nonce, session, now, filters, tasks, nextCursor, owners, counts, notice, self }) => {
  const { cursor: _c, ...rest } = filters;
  return (
    <Layout title="Queue" nonce={nonce} session={session} section="queue" notice={notice}>
      <h1>Manual queue</h1>
      <div class="sub">
        <span class={counts.overdue > 0 ? "red strong" : undefined}>{counts.overdue} overdue</span> · {counts.active} active · {counts.unclaimed} unclaimed — overdue first, then
        by due time
      </div>
      <section class="card">
        <Filters f={filters} owners={owners} />
      </section>
      <Card title="Tasks" count={tasks.length === 0 ? 0 : `${tasks.length}${nextCursor ? "+" : ""}`}>
        {tasks.length === 0 ? (
          <Empty>No tasks match these filters.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Due</th>
                <th>Type</th>
                <th>Task</th>
                <th>Owner</th>
                <th class="num">Value</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <Row t={t} session={session} now={now} self={self} />
              ))}
            </tbody>
          </table>
        )}
        {nextCursor || filters.cursor ? (
          <div class="pager">
            {filters.cursor ? <a href={`/console/queue${query({ ...rest })}`}>← First page</a> : <span />}
            {nextCursor ? <a href={`/console/queue${query({ ...rest, cursor: nextCursor })}`}>Next page →</a> : <span />}
          </div>
        ) : null}
      </Card>
    </Layout>
  );
};
