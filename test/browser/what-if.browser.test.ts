import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { standardHeaders } from "../../cli/sign";
import { exampleRules } from "../helpers/ownership";
import { engineUp, launch, shot } from "./chromium";

/**
 * The what-if page in real Chromium against the real engine: orders whose
 * routing clock breached under a 3-second SLA, replayed first under the rules
 * that were in force (nothing may change) and then under a proposal with a
 * one-hour SLA and a new owner (the breaches go away, the owner changes).
 */

const engine = inject("engineUrl");
const admin = inject("adminToken");
const tenant = `browser-whatif-${Date.now().toString(36)}`;
const SENDER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let browser: Browser | undefined;
let apiKey = "";

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${engine}${path}`, { method, headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function send(order: string, type: string, data: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({ type, order_id: order, occurred_at: new Date().toISOString(), data });
  const res = await fetch(`${engine}/v1/tenants/${tenant}/webhooks/wms`, { method: "POST", headers: await standardHeaders({ body, secret: SENDER_SECRET }), body });
  expect(res.status, await res.clone().text()).toBe(202);
}

function rules(sla: string, owner: string) {
  const r = exampleRules();
  r.steps.routing.sla = sla;
  r.steps.routing.owner = owner;
  // Nothing is handed to a consumer: the routing clock runs from capture and breaches on its own.
  delete r.steps.routing.consumer;
  delete r.steps.shipping.consumer;
  return r;
}

/** Signed in to the console, on the what-if page, the window (today and tomorrow) filled in. */
async function whatIfForm(b: Browser): Promise<Page> {
  const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${engine}/console`);
  await page.fill("#tenant", tenant);
  await page.fill("#api_key", apiKey);
  await page.fill("#operator", "Robin (governance)");
  await Promise.all([page.waitForURL(/\/console\/today/), page.click("button[type=submit]")]);
  await page.click("nav >> text=What-if");
  await page.fill("input[name=from]", new Date().toISOString().slice(0, 10));
  await page.fill("input[name=to]", new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
  return page;
}

beforeAll(async () => {
  await engineUp(engine);
  const created = await api("POST", "/v1/tenants", { id: tenant, name: "Acme (what-if)", default_owner: "ops@example.com" });
  expect(created.status).toBe(201);
  apiKey = ((await created.json()) as { api_key: string }).api_key;
  expect((await api("PUT", `/v1/tenants/${tenant}/sources/wms`, { kind: "standard", secret: SENDER_SECRET })).status).toBe(200);
  expect((await api("PUT", `/v1/tenants/${tenant}/ownership`, rules("PT3S", "routing@agency.example"))).status).toBe(200);
  for (const [i, amount] of [[1, 12900], [2, 4500]] as const) {
    await send(`W-${i}`, "order.created", { total: { amount_minor: amount, currency: "EUR" }, line_items: [{ sku: "MUG-01", quantity: 1 }] });
    await send(`W-${i}`, "payment.captured", { amount: { amount_minor: amount, currency: "EUR" }, payment_id: `pi_w${i}` });
  }
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe("console what-if page", () => {
  it("replays the tenant's orders under the rules in force, then under a proposal", { timeout: 120_000 }, async () => {
    if (!browser) throw new Error("no browser");
    // The breaches land in D1 from the objects' alarms and drains, in their own time.
    const start = Date.now();
    for (;;) {
      const res = await fetch(`${engine}/v1/tenants/${tenant}/what-if`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ from: new Date(start - 3_600_000).toISOString(), to: new Date(start + 3_600_000).toISOString() }),
      });
      const run = (await res.json()) as { summary: { breaches: { recorded: number } } };
      if (run.summary.breaches.recorded >= 2) break;
      if (Date.now() - start > 60_000) throw new Error("no breaches recorded");
      await new Promise((r) => setTimeout(r, 1000));
    }
    const page = await whatIfForm(browser);
    await page.click("button:has-text('Replay')");
    await expect.poll(() => page.textContent("main")).toContain("Replay under the rules in force");
    expect(await page.textContent("main")).toContain("No order's decisions would change.");

    await page.fill("textarea[name=rules]", JSON.stringify(rules("PT1H", "routing-days@agency.example")));
    await page.click("button:has-text('Replay')");
    await expect.poll(() => page.textContent("main")).toContain("Proposal (would be v2)");
    const main = (await page.textContent("main")) ?? "";
    expect(main).toContain("W-1");
    expect(main).toContain("W-2");
    expect(main).toContain("routing · owner routing@agency.example");
    await shot(page, "console-what-if");
    await page.close();
  });

  it("a window over the inline bound (2 here) becomes a job whose page shows its progress, then its result", { timeout: 120_000 }, async () => {
    if (!browser) throw new Error("no browser");
    await send("W-3", "order.created", { total: { amount_minor: 7700, currency: "EUR" }, line_items: [{ sku: "MUG-01", quantity: 2 }] });
    await send("W-3", "payment.captured", { amount: { amount_minor: 7700, currency: "EUR" }, payment_id: "pi_w3" });
    // The third order reaches D1's order index from its object's drain, in its own time.
    const start = Date.now();
    const window = { from: new Date(start - 3_600_000).toISOString(), to: new Date(start + 3_600_000).toISOString() };
    for (;;) {
      const res = await fetch(`${engine}/v1/tenants/${tenant}/what-if`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, body: JSON.stringify(window) });
      if (res.status === 202) break;
      expect(res.status).toBe(200);
      if (Date.now() - start > 60_000) throw new Error("the third order never reached the order index");
      await new Promise((r) => setTimeout(r, 1000));
    }
    const page = await whatIfForm(browser);
    await page.fill("textarea[name=rules]", JSON.stringify(rules("PT1H", "routing-days@agency.example")));
    await Promise.all([page.waitForURL(/\/console\/what-if\/wij_[0-9a-f]{24}$/), page.click("button:has-text('Replay')")]);
    // The page reloads itself until the job is done.
    await expect.poll(() => page.getAttribute("[data-status]", "data-status"), { timeout: 60_000 }).toBe("done");
    expect(await page.getAttribute("[data-progress]", "data-progress")).toBe("3/3");
    const main = (await page.textContent("main")) ?? "";
    expect(main).toContain("Proposal (would be v2)");
    // W-1's breach (3-second SLA) went away under the one-hour proposal: the first part's orders are shown.
    expect(main).toContain("W-1");
    expect(main).toContain("routing · owner routing@agency.example");
    await shot(page, "console-what-if-job");

    // The what-if page lists the tenant's jobs, newest first: this one, started by the signed-in operator, links to its page.
    const jobId = page.url().split("/").pop() ?? "";
    await page.click("a:has-text('New what-if')");
    const row = page.locator(`tr[data-job="${jobId}"]`);
    expect(await row.textContent()).toContain("done");
    expect(await row.textContent()).toContain("Robin (governance)");
    expect(await row.textContent()).toContain("3 / 3");
    expect(await page.locator("tr[data-job]").first().getAttribute("data-job")).toBe(jobId);
    await shot(page, "console-what-if-jobs");
    await page.close();
  });
});
