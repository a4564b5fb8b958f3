import { z } from "zod";
import { scopeAtLeast } from "../../domain/access/scopes";
import { ResolveAction, type Task } from "../../domain/tasks/task";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { orderObject } from "../orders";
import { claimTask, getTask, resolveTask } from "../tasks";
import { formFields, page, safeReturn, sessionOf, withNotice, type ConsoleContext } from "./http";
import { TaskPage } from "./pages/task";
import type { ResolveValues } from "./task-forms";

/**
 * Claim and resolve from a form. The operator recorded is the one the session
 * names, never a form field; a refusal re-renders the task with the reason and
 * what was typed, so nothing is lost.
 */

const ResolveForm = z.object({
  action: ResolveAction,
  resolution: z.string().trim().min(1, "Say what was done (resolution).").max(2000),
  justification: z.string().trim().min(1, "A justification is required: say why this is the right call.").max(4000),
});

/** The queue reads D1: drain the order's change there now, so the page we return to already shows it. */
async function settle(env: Env, tenant: string, task: Task): Promise<void> {
  if (task.order_id === null) return;
  try {
    await orderObject(env, tenant, task.order_id).flush();
  } catch (err) {
    // The object's own alarm retries the drain; the action itself is committed.
    console.error("console: flush after task action failed", err);
  }
}

async function refused(c: ConsoleContext, id: string, status: 400 | 403 | 404 | 409 | 422 | 500 | 503, message: string, values?: ResolveValues): Promise<Response> {
  const s = sessionOf(c);
  const task = await getTask(c.env, s.tenant, id);
  if (!task) throw new ApiError("not_found", `No task '${id}'`);
  return page(c, <TaskPage nonce={c.get("nonce")} session={s} now={Date.now()} task={task} notice={{ tone: "err", text: message }} values={values} />, status);
}

function statusOf(err: ApiError): 400 | 403 | 404 | 409 | 422 | 500 | 503 {
  const s = err.status;
  return s === 400 || s === 403 || s === 404 || s === 409 || s === 422 || s === 503 ? s : 500;
}

/** Claiming and resolving need an operator key; a read key's session may look, not act. */
function assertCanAct(c: ConsoleContext): void {
  const s = sessionOf(c);
  if (!scopeAtLeast(s.scope, "operator")) throw new ApiError("forbidden_scope", `You signed in with a ${s.scope} key: claiming and resolving need an operator key.`);
}

export async function claimFromForm(c: ConsoleContext): Promise<Response> {
  const s = sessionOf(c);
  const id = c.req.param("id") ?? "";
  assertCanAct(c);
  const form = await formFields(c);
  let task: Task;
  try {
    task = await claimTask(c.env, s.tenant, id, s.operator);
  } catch (err) {
    if (err instanceof ApiError && err.code !== "not_found") return refused(c, id, statusOf(err), `Could not claim: ${err.message}`);
    throw err;
  }
  await settle(c.env, s.tenant, task);
  return c.redirect(withNotice(safeReturn(c, form.return_to, `/console/tasks/${encodeURIComponent(id)}`), "claimed"), 303);
}

export async function resolveFromForm(c: ConsoleContext): Promise<Response> {
  const s = sessionOf(c);
  const id = c.req.param("id") ?? "";
  assertCanAct(c);
  const form = await formFields(c);
  const values: ResolveValues = { action: form.action, resolution: form.resolution, justification: form.justification };
  const parsed = ResolveForm.safeParse({ action: form.action ?? "", resolution: form.resolution ?? "", justification: form.justification ?? "" });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const message = first?.path[0] === "action" ? "Choose an action: close, replay or override." : (first?.message ?? "The form is incomplete.");
    return refused(c, id, 400, message, values);
  }
  let task: Task;
  try {
    task = await resolveTask(c.env, s.tenant, id, { ...parsed.data, by: s.operator });
  } catch (err) {
    if (err instanceof ApiError && err.code !== "not_found") return refused(c, id, statusOf(err), `Could not resolve: ${err.message}`, values);
    throw err;
  }
  await settle(c.env, s.tenant, task);
  return c.redirect(withNotice(safeReturn(c, form.return_to, `/console/tasks/${encodeURIComponent(id)}`), "resolved"), 303);
}
