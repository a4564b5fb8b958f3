import { and, eq, inArray, sql } from "drizzle-orm";
import type { Step } from "../../domain/ownership/schema";
import { ownerLadder } from "../../domain/tasks/owner";
import { taskId, type TaskType } from "../../domain/tasks/task";
import { iso } from "../../domain/time";
import { db } from "../db/client";
import { tasks } from "../db/schema";
import { tally, type WatchContext } from "./context";

export interface WatcherTaskSeed {
  type: TaskType;
  step: Step;
  /** What the task is about: an order id, or `source:<name>` for a sender. */
  subject: string;
  orderId: string | null;
  /** Identifies the episode (one outage, one stuck spell): the same ref never opens a second task. */
  ref: string;
  title: string;
  evidence: Record<string, unknown>;
  slaMs: number;
  value?: { amount_minor: number; currency: string } | null;
}

/**
 * Opens a watcher's task in D1 (its only home: no order object writes it).
 * The id is derived from the episode, and the insert ignores an existing row,
 * so a sweep that runs twice, or two sweeps at once, open one task.
 */
export async function openWatcherTask(w: WatchContext, seed: WatcherTaskSeed): Promise<string | null> {
  const { ladder, owningParty } = ownerLadder(w.rules?.rules.steps[seed.step], w.defaultOwner);
  const at = iso(w.now);
  const id = taskId(w.tenant, seed.subject, seed.type, seed.ref);
  const inserted = await db(w.env.DB)
    .insert(tasks)
    .values({
      tenantId: w.tenant,
      taskId: id,
      orderId: seed.orderId,
      rejectionId: null,
      type: seed.type,
      status: "open",
      step: seed.step,
      ref: seed.ref,
      owner: ladder[0],
      owningParty,
      escalation: ladder,
      level: 0,
      slaDue: iso(w.now + seed.slaMs),
      title: seed.title.slice(0, 300),
      evidence: { watcher: seed.type, decided_at: at, ...seed.evidence },
      valueMinor: seed.value?.amount_minor ?? null,
      currency: seed.value?.currency ?? null,
      openedAt: at,
      updatedAt: at,
    })
    .onConflictDoNothing()
    .run();
  tally(w, inserted.meta);
  if (inserted.meta.changes === 0) return null;
  w.decisions.push({
    type: "watcher.task_opened",
    at,
    data: { task_id: id, kind: seed.type, step: seed.step, owner: ladder[0], owning_party: owningParty, order_id: seed.orderId, subject: seed.subject, source: seed.subject.startsWith("source:") ? seed.subject.slice(7) : null, ref: seed.ref, title: seed.title.slice(0, 300), evidence: seed.evidence },
  });
  return id;
}

/** The watcher saw the condition end (the order moved on, the sender came back): the task closes itself, saying why. */
export async function closeWatcherTask(
  w: WatchContext,
  id: string,
  kind: TaskType,
  status: "resolved" | "cancelled",
  resolution: string,
  evidence: Record<string, unknown> = {},
): Promise<boolean> {
  const at = iso(w.now);
  const done = await db(w.env.DB)
    .update(tasks)
    .set({
      status,
      resolvedAt: at,
      resolvedBy: "handoff",
      resolution: resolution.slice(0, 500),
      action: "close",
      updatedAt: at,
      // What ended it (a recovery) joins the evidence the task was opened with.
      evidence: sql`json_patch(${tasks.evidence}, ${JSON.stringify(evidence)})`,
    })
    .where(and(eq(tasks.tenantId, w.tenant), eq(tasks.taskId, id), inArray(tasks.status, ["open", "claimed"])))
    .run();
  tally(w, done.meta);
  if (done.meta.changes === 0) return false;
  w.decisions.push({ type: "watcher.task_closed", at, data: { task_id: id, kind, closed_as: status, resolution: resolution.slice(0, 500), ...evidence } });
  return true;
}
