import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { standardHeaders } from "../../cli/sign";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "../helpers/ownership";
import { engineUp, launch, shot } from "./chromium";

/**
 * The console in real Chromium against the real engine (`wrangler dev`): a WMS
 * that refuses the routing handoff, the task it opens going overdue, an
 * operator claiming it and replaying once the WMS is fixed, and the order's
 * timeline moving on to delivered. Delivery runs from the order object's alarm
 * in real time, so the test polls the pages the way a person would reload them.
 */

/** Fresh per attempt (seeded inside the test), so a retried attempt starts from its own scenario. */
let tenant = "browser-console";
const ORDER = "A-1001";
const SENDER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OPERATOR = "Dana (ops)";

/** The downstream WMS and carrier: refuse (422) until told the catalogue is fixed. */
class Consumer {
  mode: "reject" | "accept" = "reject";
  readonly seen: { path: string; status: number }[] = [];
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const status = this.mode === "reject" && req.url?.startsWith("/wms") ? 422 : 200;
        this.seen.push({ path: req.url ?? "", status });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(status === 422 ? JSON.stringify({ error: "unknown SKU MUG-01 at DC-LYON" }) : JSON.stringify({ ok: true }));
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    // The engine's fetch keeps connections alive; close() alone would wait them out.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const engine = inject("engineUrl");
const admin = inject("adminToken");
const consumer = new Consumer();
let browser: Browser | undefined;
let apiKey = "";

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${engine}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A canonical event from a Standard Webhooks sender, signed as it would be. */
async function send(source: "wms" | "carrier", type: string, data: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({ type, order_id: ORDER, occurred_at: new Date().toISOString(), data });
  const res = await fetch(`${engine}/v1/tenants/${tenant}/webhooks/${source}`, { method: "POST", headers: await standardHeaders({ body, secret: SENDER_SECRET }), body });
  expect(res.status, await res.clone().text()).toBe(202);
}

async function seed(): Promise<void> {
  const created = await api("POST", "/v1/tenants", { id: tenant, name: "Acme (browser test)", default_owner: "ops@acme.example" });
  expect(created.status).toBe(201);
  apiKey = ((await created.json()) as { api_key: string }).api_key;
  for (const source of ["wms", "carrier"]) expect((await api("PUT", `/v1/tenants/${tenant}/sources/${source}`, { kind: "standard", secret: SENDER_SECRET })).status).toBe(200);
  const rules = exampleRules();
  // Two seconds, so the routing task is overdue (and escalating) while we watch.
  rules.steps.routing.sla = "PT2S";
  rules.steps.routing.consumer = { url: `${consumer.url}/wms`, secret: EXAMPLE_CONSUMER_SECRETS.routing, requires_ack: false };
  rules.steps.shipping.consumer = { url: `${consumer.url}/carrier`, secret: EXAMPLE_CONSUMER_SECRETS.shipping, requires_ack: false };
  expect((await api("PUT", `/v1/tenants/${tenant}/ownership`, rules)).status).toBe(200);
  await send("wms", "order.created", {
    total: { amount_minor: 12900, currency: "EUR" },
    line_items: [{ sku: "MUG-01", quantity: 3, unit_price_minor: 4300 }],
    shipping_address: { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" },
    customer_email: "ada@example.com",
  });
  await send("wms", "payment.captured", { amount: { amount_minor: 12900, currency: "EUR" }, payment_id: "pi_browser_1" });
}

/** Reloads until the page shows what we wait for: the engine works from alarms, in its own time. */
async function reloadUntil(page: Page, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

beforeAll(async () => {
  await consumer.start();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await consumer.stop();
});

describe("operator console in Chromium", () => {
  it("sign in, see the overdue task, claim it, replay it, and watch the order reach delivered", { timeout: 120_000 }, async () => {
    if (!browser) throw new Error("chromium did not start");
    await engineUp(engine);
    tenant = `browser-console-${Date.now().toString(36)}`;
    consumer.mode = "reject";
    consumer.seen.length = 0;
    await seed();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();

    await page.goto(`${engine}/console`);
    await expect.poll(() => page.title()).toContain("Sign in");
    await shot(page, "console-sign-in");
    await page.fill("#tenant", tenant);
    await page.fill("#api_key", apiKey);
    await page.fill("#operator", OPERATOR);
    await page.click("button[type=submit]");
    await page.waitForURL(`${engine}/console/today`);
    // The notebooks are one click away, and they link back (issue 11).
    expect(await page.locator('header nav a[href="/notebooks"]').innerText()).toBe("Notebooks");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "handoff_console");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });
    expect(session?.value).not.toContain(apiKey);

    // The WMS refuses; the task opens and, with a 2 s SLA, is soon overdue.
    await page.goto(`${engine}/console/queue`);
    const row = page.locator("tr[data-task]", { hasText: "consumer rejected" });
    await reloadUntil(page, async () => (await row.count()) > 0 && (await row.locator("time.due-over").count()) > 0);
    expect(await row.locator("time.due-over").innerText()).toMatch(/^overdue /);
    expect(await row.innerText()).toContain(ORDER);
    expect(await row.innerText()).toContain("129.00 EUR");
    await shot(page, "console-queue");

    await page.goto(`${engine}/console/today`);
    await expect.poll(() => page.locator('[data-currency="EUR"]').innerText()).toContain("129.00 EUR");
    await shot(page, "console-today");

    // The timeline before: on hold, v1 refused with its attempt.
    await page.goto(`${engine}/console/orders/${ORDER}`);
    expect(await page.locator("h1").innerText()).toContain("on hold");
    expect(await page.locator('[data-export="exp_fulfil_order_v1_A-1001"]').innerText()).toContain("rejected");
    expect(await page.locator("[data-chain]").getAttribute("data-chain")).toBe("valid");
    await shot(page, "console-order-on-hold");

    // Claim from the queue (the resolve form sits behind each row's button, no script needed).
    await page.goto(`${engine}/console/queue`);
    await row.locator("summary", { hasText: "Resolve" }).click();
    expect(await row.locator("textarea[name=justification]").getAttribute("required")).not.toBeNull();
    await shot(page, "console-queue-resolve");
    await row.locator("summary", { hasText: "Resolve" }).click();
    await row.locator("button", { hasText: "Claim" }).click();
    await page.waitForURL(/notice=claimed/);
    expect(await page.locator(".notice.ok").innerText()).toContain("Claimed");
    expect(await row.innerText()).toContain(`by ${OPERATOR}`);

    // The 3PL fixes its catalogue; the operator replays from the task page.
    consumer.mode = "accept";
    await row.locator("a.title").click();
    await page.waitForURL(/\/console\/tasks\/tk_/);
    expect(await page.locator("body").innerText()).toContain("HTTP 422");
    await shot(page, "console-task");
    await page.selectOption("select[name=action]", "replay");
    await page.fill("input[name=resolution]", "SKU MUG-01 added to the DC-LYON catalogue");
    await page.fill("textarea[name=justification]", "3PL confirmed the catalogue sync ran at 09:10; replaying the routing");
    await page.click("#resolve button.primary");
    await page.waitForURL(/notice=resolved/);
    expect(await page.locator(".notice.ok").innerText()).toContain("Resolved");
    expect(await page.locator("body").innerText()).toContain(OPERATOR);

    // The timeline changes: v2 delivered and acked, the hold released.
    await page.goto(`${engine}/console/orders/${ORDER}`);
    const v2 = page.locator('[data-export="exp_fulfil_order_v2_A-1001"]');
    await reloadUntil(page, async () => (await v2.count()) > 0 && (await v2.innerText()).includes("acked"));
    expect(await page.locator('[data-export="exp_fulfil_order_v1_A-1001"]').innerText()).toContain("superseded");
    expect(await page.locator("[data-hold]").count()).toBe(0);
    expect(await page.locator("h1").innerText()).not.toContain("on hold");

    // The warehouse and carrier carry on; the order reaches its terminal state.
    await send("wms", "fulfillment.accepted", { location: "DC-LYON" });
    await send("carrier", "shipment.shipped", { tracking_number: "1Z999", carrier: "fastship" });
    await send("carrier", "shipment.delivered", {});
    await reloadUntil(page, async () => (await page.locator("h1").innerText()).includes("delivered"));
    expect(await page.locator("[data-chain]").getAttribute("data-chain")).toBe("valid");
    expect(consumer.seen.map((s) => s.status)).toEqual(expect.arrayContaining([422, 200]));
    await shot(page, "console-order");

    await page.goto(`${engine}/console/queue?status=all`);
    await shot(page, "console-queue-after");
    await context.close();
  });
});
