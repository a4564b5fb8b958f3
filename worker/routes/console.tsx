import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { auditTrail } from "../audit";
import { activeCounts, knownOwners, loadQueue, QueueFilters } from "../console/queue-data";
import { formFields, noticeFrom, page, safeReturn, securityHeaders, sessionOf, type ConsoleContext, type ConsoleEnv } from "../console/http";
import { ErrorPage } from "../console/pages/error";
import { OrderPage } from "../console/pages/order";
import { PeoplePage } from "../console/pages/people";
import { QueuePage } from "../console/pages/queue";
import { SignInPage } from "../console/pages/sign-in";
import { TaskPage } from "../console/pages/task";
import { TodayPage } from "../console/pages/today";
import { JOBS_SHOWN, WhatIfJobPage, WhatIfPage } from "../console/pages/what-if";
import { whatIfForm } from "../console/what-if-form";
import { inlineMax, runWindow } from "../whatif/run";
import { listJobs } from "../whatif/job-list";
import { findJob, firstOrders, startJob } from "../whatif/jobs";
import { JOB_ID, jobView } from "../../domain/whatif/job";
import { clearSessionCookie, csrfValid, currentSession, endSession, presessionToken, presessionValid, sameOrigin, startSession, SESSION_COOKIE, viewMerchant } from "../console/session";
import { claimFromForm, resolveFromForm } from "../console/task-actions";
import { loadToday } from "../console/today-data";
import { ApiError } from "../errors";
import { listContacts, listRotations } from "../notify/directory";
import { notifiedAbout } from "../notify/notifier";
import { orderObject } from "../orders";
import { getTask, listTasks } from "../tasks";
import { keyRecordByHash, tenantAgency } from "../tenancy";
import { TenantId } from "../names";
import { agencyMerchants, merchantCounts, templateSummaries } from "../console/agency-data";
import { AgencyPage } from "../console/pages/agency";
import { sha256Hex } from "../../domain/crypto";

/**
 * The operator console: server-rendered pages under /console. Pages call the
 * queue and order functions directly (no HTTP to ourselves). Everything here
 * is HTML, errors included; the JSON API keeps its own envelope.
 */
export const consoleRoutes = new Hono<ConsoleEnv>();

const PUBLIC = new Set(["/console", "/console/", "/console/sign-in"]);
const LANDING = "/console/today";

// "/console/*" also matches "/console" itself.
consoleRoutes.use("/console/*", async (c, next) => {
  securityHeaders(c);
  const session = PUBLIC.has(c.req.path) ? null : await currentSession(c);
  c.set("session", session);
  if (!PUBLIC.has(c.req.path) && !session) {
    if (c.req.header("cookie")?.includes(`${SESSION_COOKIE}=`)) clearSessionCookie(c);
    const url = new URL(c.req.url);
    const next = c.req.method === "GET" ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
    return c.redirect(`/console${next}`, 303);
  }
  await next();
});

/** Every POST but sign-in: same origin, and the session's CSRF token. */
consoleRoutes.use("/console/*", async (c, next) => {
  if (c.req.method !== "POST" || c.req.path === "/console/sign-in") return next();
  const s = sessionOf(c);
  const form = await formFields(c);
  if (!sameOrigin(c) || !(await csrfValid(c.env, s.sid, form._csrf ?? ""))) {
    throw new ApiError("forbidden", "This form did not come from your console session (missing or wrong CSRF token). Reload the page and try again.");
  }
  return next();
});

const SignIn = z.object({
  tenant: z.string().trim().min(1).max(64),
  api_key: z.string().trim().min(1).max(512),
  operator: z.string().trim().min(1).max(200),
});

async function signInForm(c: ConsoleContext, status: 200 | 400 | 401 | 403, error?: string, values: { tenant?: string; operator?: string } = {}) {
  const next = safeReturn(c, c.req.query("next") ?? (await nextFromForm(c)), "");
  return page(c, <SignInPage nonce={c.get("nonce")} csrf={await presessionToken(c)} next={next || null} error={error} tenant={values.tenant} operator={values.operator} notice={noticeFrom(c)} />, status);
}

async function nextFromForm(c: ConsoleContext): Promise<string> {
  return c.req.method === "POST" ? ((await formFields(c)).next ?? "") : "";
}

async function signInPage(c: ConsoleContext) {
  const session = await currentSession(c);
  return session ? c.redirect(LANDING, 303) : signInForm(c, 200);
}
consoleRoutes.get("/console", signInPage);
consoleRoutes.get("/console/", signInPage);

/** A reload of a failed sign-in lands here by GET: send it to the form. */
consoleRoutes.get("/console/sign-in", (c) => c.redirect("/console", 303));

consoleRoutes.post("/console/sign-in", async (c) => {
  const form = await formFields(c);
  const values = { tenant: form.tenant, operator: form.operator };
  if (!sameOrigin(c) || !(await presessionValid(c, form._csrf ?? ""))) {
    return signInForm(c, 403, "This sign-in form expired or came from another site. Please try again.", values);
  }
  const parsed = SignIn.safeParse(form);
  if (!parsed.success) return signInForm(c, 400, "Enter the tenant id, an API key and your name.", values);
  // Uncached: a key revoked a moment ago must not open a session.
  const key = await keyRecordByHash(c.env, await sha256Hex(parsed.data.api_key), false);
  const live = key !== null && (key.expires_at === null || Date.parse(key.expires_at) > Date.now());
  // One message for all: a key must not reveal which tenants exist.
  if (!live || (key.tenant ?? key.agency) !== parsed.data.tenant) return signInForm(c, 401, "That tenant id and API key do not match an active key.", values);
  if (key.agency !== null) {
    // An agency signs in with its id: every merchant is in reach, the first one in view.
    const [first] = await agencyMerchants(c.env, key.agency);
    if (!first) return signInForm(c, 400, "This agency has no merchants yet: create one with POST /v1/agencies/{agency}/merchants.", values);
    await startSession(c, { tenant: first.id, agency: key.agency }, parsed.data.operator, parsed.data.api_key);
    return c.redirect(safeReturn(c, form.next, "/console/agency"), 303);
  }
  await startSession(c, { tenant: parsed.data.tenant, agency: null }, parsed.data.operator, parsed.data.api_key);
  return c.redirect(safeReturn(c, form.next, LANDING), 303);
});

consoleRoutes.post("/console/sign-out", async (c) => {
  await endSession(c, sessionOf(c).sid);
  return c.redirect("/console?notice=signed_out", 303);
});

/** An agency's overview: every merchant's queue and Today counts, each a click from being in view. */
consoleRoutes.get("/console/agency", async (c) => {
  const s = sessionOf(c);
  if (s.agency === null) throw new ApiError("not_found", "There is no console page at this address.");
  const [merchants, templates] = await Promise.all([merchantCounts(c.env, s.agency, Date.now()), templateSummaries(c.env, s.agency)]);
  return page(c, <AgencyPage nonce={c.get("nonce")} session={s} merchants={merchants} templates={templates} notice={noticeFrom(c)} />);
});

/** The merchant filter: puts another merchant of the agency in view (a merchant of another agency is not found). */
consoleRoutes.post("/console/merchant", async (c) => {
  const s = sessionOf(c);
  const form = await formFields(c);
  const merchant = form.merchant ?? "";
  const owner = s.agency !== null && TenantId.safeParse(merchant).success ? await tenantAgency(c.env, merchant) : null;
  if (s.agency === null || owner?.agency !== s.agency) throw new ApiError("not_found", "There is no such merchant in this agency.");
  await viewMerchant(c.env, s, merchant);
  return c.redirect(safeReturn(c, form.return_to, "/console/queue"), 303);
});

consoleRoutes.get("/console/queue", async (c) => {
  const s = sessionOf(c);
  const now = Date.now();
  const filters = QueueFilters.parse(c.req.query());
  const [result, owners, counts] = await Promise.all([loadQueue(c.env, s.tenant, filters, now), knownOwners(c.env, s.tenant), activeCounts(c.env, s.tenant, now)]);
  const url = new URL(c.req.url);
  url.searchParams.delete("notice");
  return page(
    c,
    <QueuePage
      nonce={c.get("nonce")}
      session={s}
      now={now}
      filters={filters}
      tasks={result.tasks}
      nextCursor={result.next_cursor}
      owners={owners}
      counts={counts}
      notice={noticeFrom(c)}
      self={url.pathname + url.search}
    />,
  );
});

consoleRoutes.get("/console/tasks/:id", async (c) => {
  const s = sessionOf(c);
  const task = await getTask(c.env, s.tenant, c.req.param("id"));
  if (!task) throw new ApiError("not_found", "There is no such task in this tenant.");
  return page(c, <TaskPage nonce={c.get("nonce")} session={s} now={Date.now()} task={task} notice={noticeFrom(c)} notified={await notifiedAbout(c.env, s.tenant, task)} />);
});

consoleRoutes.get("/console/people", async (c) => {
  const s = sessionOf(c);
  const [contacts, rotations] = await Promise.all([listContacts(c.env, s.tenant), listRotations(c.env, s.tenant)]);
  return page(c, <PeoplePage nonce={c.get("nonce")} session={s} contacts={contacts} rotations={rotations} notice={noticeFrom(c)} />);
});

consoleRoutes.post("/console/tasks/:id/claim", claimFromForm);
consoleRoutes.post("/console/tasks/:id/resolve", resolveFromForm);

/** The header's "go to order" box. */
consoleRoutes.get("/console/orders", (c) => {
  const id = (c.req.query("id") ?? "").trim();
  return c.redirect(id ? `/console/orders/${encodeURIComponent(id)}` : LANDING, 303);
});

consoleRoutes.get("/console/orders/:id", async (c) => {
  const s = sessionOf(c);
  const id = c.req.param("id");
  if (id.length > 128) throw new ApiError("not_found", "There is no such order in this tenant.");
  // The audit read drains the object first, so the snapshot read after it is at least as new.
  const audit = await auditTrail(c.env, s.tenant, id);
  const [order, tasks] = await Promise.all([orderObject(c.env, s.tenant, id).getOrder(), listTasks(c.env, s.tenant, { order_id: id, limit: 50 })]);
  if (!order) throw new ApiError("not_found", "There is no such order in this tenant.");
  return page(c, <OrderPage nonce={c.get("nonce")} session={s} now={Date.now()} order={order} audit={audit} tasks={tasks.tasks} notice={noticeFrom(c)} />);
});

consoleRoutes.get("/console/today", async (c) => {
  const s = sessionOf(c);
  const now = Date.now();
  return page(c, <TodayPage nonce={c.get("nonce")} session={s} now={now} data={await loadToday(c.env, s.tenant, now)} notice={noticeFrom(c)} />);
});

const recentJobs = async (d1: D1Database, tenant: string) => (await listJobs(d1, tenant, JOBS_SHOWN + 1, null)).jobs;

consoleRoutes.get("/console/what-if", async (c) => {
  const s = sessionOf(c);
  const jobs = await recentJobs(c.env.DB, s.tenant);
  return page(c, <WhatIfPage nonce={c.get("nonce")} session={s} form={{ from: "", to: "", rules: "" }} run={null} notice={noticeFrom(c)} jobs={jobs} />);
});

consoleRoutes.post("/console/what-if", async (c) => {
  const s = sessionOf(c);
  const f = await formFields(c);
  const form = { from: f.from ?? "", to: f.to ?? "", rules: f.rules ?? "" };
  const show = async (run: Parameters<typeof WhatIfPage>[0]["run"], error: string | null, status: 200 | 400 | 422 = 200) =>
    page(c, <WhatIfPage nonce={c.get("nonce")} session={s} form={form} run={run} notice={error ? { tone: "err", text: error } : null} jobs={await recentJobs(c.env.DB, s.tenant)} />, status);
  const parsed = whatIfForm(form);
  if (!parsed.ok) return show(null, parsed.error, 400);
  const until = Date.now();
  const run = await runWindow(c.env.DB, s.tenant, parsed.value, until, inlineMax(c.env));
  if (run.ok) return show(run.result, null);
  // Too large to answer now: a job replays it, and its page shows the progress.
  const job = await startJob(c.env, { tenant: s.tenant, ...parsed.value, until, created_by: s.operator });
  return c.redirect(`/console/what-if/${job.id}`, 303);
});

consoleRoutes.get("/console/what-if/:id", async (c) => {
  const s = sessionOf(c);
  const id = c.req.param("id");
  const job = JOB_ID.test(id) ? await findJob(c.env, s.tenant, id) : null;
  if (!job) throw new ApiError("not_found", "There is no such what-if job.");
  const orders = job.status === "done" ? await firstOrders(c.env, job, 100) : [];
  return page(c, <WhatIfJobPage nonce={c.get("nonce")} session={s} job={jobView(job, `/v1/tenants/${s.tenant}/what-if/${job.id}`)} orders={orders} />);
});

consoleRoutes.all("/console/*", () => {
  throw new ApiError("not_found", "There is no console page at this address.");
});

consoleRoutes.onError((err, c) => {
  let status: 400 | 403 | 404 | 409 | 413 | 422 | 500 | 503 = 500;
  let message = "The error was logged. Try again, and if it persists, tell whoever runs this engine.";
  if (err instanceof ApiError) {
    const s = err.status;
    status = s === 400 || s === 403 || s === 404 || s === 409 || s === 413 || s === 422 || s === 503 ? s : 500;
    message = err.message;
  } else if (err instanceof HTTPException) {
    status = err.status === 413 ? 413 : 400;
    message = err.message || "The request could not be read.";
  } else {
    console.error("console: unhandled", err);
  }
  // The session may never have been looked up (an error in the middleware itself).
  const session = c.get("session") ?? null;
  return page(c, <ErrorPage nonce={c.get("nonce") ?? ""} session={session} status={status} message={message} />, status);
});
