import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { standardHeaders } from "../../cli/sign";
import { exampleRules } from "../helpers/ownership";
import { engineUp, launch, shot } from "./chromium";

/**
 * Issue 15.5: an agency signs in once and sees every merchant's queue and Today
 * counts on one page, puts any merchant in view, and a merchant's own key sees
 * only its merchant.
 */

const engine = inject("engineUrl");
const admin = inject("adminToken");
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let browser: Browser | undefined;

async function api(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${engine}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function created(res: Promise<Response>): Promise<string> {
  const r = await res;
  expect(r.status, await r.clone().text()).toBe(201);
  return ((await r.json()) as { api_key: string }).api_key;
}

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe("agency console in Chromium", () => {
  it("an agency key shows every merchant with its counts and a filter; a merchant key sees only its merchant", { timeout: 120_000 }, async () => {
    if (!browser) throw new Error("chromium did not start");
    await engineUp(engine);
    const run = Date.now().toString(36);
    const agency = `agency-${run}`;
    const [a, b] = [`north-shop-${run}`, `south-shop-${run}`];
    const agencyKey = await created(api(admin, "POST", "/v1/agencies", { id: agency, name: "Northwind Agency" }));
    const keyA = await created(api(agencyKey, "POST", `/v1/agencies/${agency}/merchants`, { id: a, name: "North Shop", default_owner: "ops@north.example" }));
    await created(api(agencyKey, "POST", `/v1/agencies/${agency}/merchants`, { id: b, name: "South Shop", default_owner: "ops@example.com" }));
    // North Shop gets one task: a delivery its mapping refuses (a schema rejection, owned by the routing owner).
    expect((await api(agencyKey, "PUT", `/v1/tenants/${a}/sources/wms`, { kind: "standard", secret: SECRET })).status).toBe(200);
    expect((await api(agencyKey, "PUT", `/v1/tenants/${a}/ownership`, exampleRules())).status).toBe(200);
    const bad = JSON.stringify({ type: "shipment.shipped", order_id: "N-1", occurred_at: "last tuesday", data: {} });
    expect((await fetch(`${engine}/v1/tenants/${a}/webhooks/wms`, { method: "POST", headers: await standardHeaders({ body: bad, secret: SECRET }), body: bad })).status).toBe(422);

    // Rule templates: both shops inherit one; South Shop then adds a contact, so v2's free-text names do not resolve for it and v2 skips it.
    expect((await api(agencyKey, "PUT", `/v1/agencies/${agency}/rule-templates/standard-3pl`, { rules: exampleRules() })).status).toBe(200);
    expect((await api(agencyKey, "PUT", `/v1/tenants/${a}/rule-template`, { template_id: "standard-3pl", overrides: { steps: { shipping: { sla: "P2D" } } } })).status).toBe(200);
    expect((await api(agencyKey, "PUT", `/v1/tenants/${b}/rule-template`, { template_id: "standard-3pl" })).status).toBe(200);
    expect((await api(agencyKey, "PUT", `/v1/tenants/${b}/contacts/ops@south.example`, { name: "Ops", channels: [{ type: "email", address: "ops@south.example" }] })).status).toBe(200);
    const v2 = exampleRules();
    v2.steps.payment.sla = "P3D";
    expect((await api(agencyKey, "PUT", `/v1/agencies/${agency}/rule-templates/standard-3pl`, { rules: v2 })).status).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${engine}/console`);
    await page.fill("#tenant", agency);
    await page.fill("#api_key", agencyKey);
    await page.fill("#operator", "Ines (agency ops)");
    await page.click("button[type=submit]");
    await page.waitForURL(`${engine}/console/agency`);
    const row = (id: string) => page.locator(`tr[data-merchant="${id}"]`);
    await expect.poll(() => row(a).locator("td.num").first().innerText()).toBe("1");
    expect(await row(b).locator("td.num").first().innerText()).toBe("0");
    expect(await page.locator("header .who").innerText()).toContain(`${agency} › ${a}`);
    const template = page.locator('tr[data-template="standard-3pl"]');
    expect(await template.locator("td.num").innerText()).toBe("v2");
    expect(await template.locator(`[data-inherits="${a}"]`).innerText()).toBe("North Shop");
    expect(await template.locator(`[data-inherits="${b}"]`).innerText()).toBe("South Shop · v1, skipped v2");
    await shot(page, "console-agency");

    // The filter: South Shop in view, its (empty) queue; then North Shop's, with its task.
    await row(b).locator("button", { hasText: "Queue" }).click();
    await page.waitForURL(`${engine}/console/queue`);
    expect(await page.locator("header .who").innerText()).toContain(`${agency} › ${b}`);
    expect(await page.locator("main").innerText()).toContain("0 active");
    await page.click('header nav a[href="/console/agency"]');
    await row(a).locator("button", { hasText: "Queue" }).click();
    await page.waitForURL(`${engine}/console/queue`);
    expect(await page.locator("header .who").innerText()).toContain(`${agency} › ${a}`);
    expect(await page.locator("main").innerText()).toContain("1 active");
    await shot(page, "console-agency-merchant-queue");
    await context.close();

    // North Shop's own key: its merchant only, no agency page.
    const own = await browser.newContext();
    const p2 = await own.newPage();
    await p2.goto(`${engine}/console`);
    await p2.fill("#tenant", a);
    await p2.fill("#api_key", keyA);
    await p2.fill("#operator", "Noor");
    await p2.click("button[type=submit]");
    await p2.waitForURL(`${engine}/console/today`);
    expect(await p2.locator('header nav a[href="/console/agency"]').count()).toBe(0);
    const res = await p2.goto(`${engine}/console/agency`);
    expect(res?.status()).toBe(404);
    await own.close();
  });
});
