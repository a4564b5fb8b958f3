import type { FC } from "hono/jsx";
import type { Task } from "../../../domain/tasks/task";
import { Card, Due, Kv, Ladder, OrderLink, StatusBadge, TypeBadge, When } from "../components";
import { EvidenceView } from "../evidence";
import { NotifiedCard, type Notified } from "../notified";
import { duration, humanize, moneyOf, stamp } from "../format";
import { Layout, type Notice } from "../layout";
import type { Session } from "../session";
import { ClaimForm, ResolveFields, type ResolveValues } from "../task-forms";

export interface TaskPageProps {
  nonce: string;
  session: Session;
  now: number;
  task: Task;
  notice: Notice | null;
  values?: ResolveValues | undefined;
  /** Who was told about it; null when the notifier could not be asked. */
  notified?: Notified | null | undefined;
}

const Actions: FC<{ task: Task; session: Session; values?: ResolveValues | undefined }> = ({ task, session, values }) => {
  const self = `/console/tasks/${encodeURIComponent(task.task_id)}`;
  if (task.status === "resolved" || task.status === "cancelled") {
    return (
      <Card title={task.status === "resolved" ? "Resolution" : "Cancelled"}>
        <div class="bd">
          <Kv
            rows={[
              ["By", task.resolved_by ?? "—"],
              ["When", stamp(task.resolved_at)],
              ["Action", task.action ? humanize(task.action) : "—"],
              ["Resolution", task.resolution ?? "—"],
              ["Justification", task.justification ?? "—"],
            ]}
          />
        </div>
      </Card>
    );
  }
  return (
    <Card title="Act on it" id="resolve" right={task.status === "open" ? <ClaimForm taskId={task.task_id} csrf={session.csrf} returnTo={self} /> : undefined}>
      <div class="bd">
        {task.status === "claimed" ? (
          <div class="small muted">
            Claimed by <b>{task.claimed_by ?? "?"}</b> {task.claimed_at ? `at ${stamp(task.claimed_at)}` : ""}
          </div>
        ) : (
          <div class="small muted">Unclaimed: claim it so others know you are on it.</div>
        )}
        <ResolveFields taskId={task.task_id} csrf={session.csrf} returnTo={self} allowOverride={task.order_id !== null} values={values} />
      </div>
    </Card>
  );
};

export const TaskPage: FC<TaskPageProps> = ({ nonce, session, now, task, notice, values, notified }) => {
  const active = task.status === "open" || task.status === "claimed";
  return (
    <Layout title={task.title} nonce={nonce} session={session} section="task" notice={notice}>
      <div class="small muted">
        <a href="/console/queue">← Queue</a>
      </div>
      <h1>
        <TypeBadge type={task.type} /> {task.title}
      </h1>
      <div class="summary">
        <div>
          <div class="k">Status</div>
          <div class="v">
            <StatusBadge status={task.status} />
          </div>
        </div>
        <div>
          <div class="k">Due</div>
          <div class="v">
            <Due at={task.sla_due} done={!active} now={now} />
          </div>
        </div>
        <div>
          <div class="k">Holder</div>
          <div class="v">{task.owner}</div>
        </div>
        <div>
          <div class="k">Value</div>
          <div class="v">{moneyOf(task.value)}</div>
        </div>
        <div>
          <div class="k">Order</div>
          <div class="v">
            <OrderLink id={task.order_id} />
          </div>
        </div>
      </div>
      <div class="cols">
        <div>
          <EvidenceView evidence={task.evidence} now={now} />
        </div>
        <div>
          <Actions task={task} session={session} values={values} />
          <Card title="Details">
            <div class="bd">
              <Kv
                rows={[
                  ["Task", <span class="mono small">{task.task_id}</span>],
                  ["Type", humanize(task.type)],
                  ["Step", task.step],
                  ["Owning party", task.owning_party],
                  ["Opened", <When at={task.opened_at} now={now} />],
                  ["Due", stamp(task.sla_due)],
                  ["First response", task.time_to_first_response_ms === null ? "—" : duration(task.time_to_first_response_ms)],
                  ["Time to resolve", task.time_to_resolve_ms === null ? "—" : duration(task.time_to_resolve_ms)],
                  ["Opened by", <span class="mono small">{task.ref}</span>],
                ]}
              />
              <div class="subhd">Escalation ladder</div>
              <Ladder escalation={task.escalation} level={task.level} />
            </div>
          </Card>
          {notified === undefined ? null : <NotifiedCard notified={notified} now={now} />}
        </div>
      </div>
    </Layout>
  );
};
