import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { formatDuration, formatMoney } from "../../analytics/engine/format";
import { writeScenario } from "../../analytics/generate";
import { standardHeaders } from "../../cli/sign";
import * as x from "../analytics/expected";
import * as t from "../analytics/expected-trail";
import type { InventoryRow } from "../../worker/analytics-exports/rows";
import { engineUp, launch, shot } from "./chromium";

/**
 * The notebook page in real Chromium against the real engine (`wrangler dev`):
 * duckdb-wasm's files and the page module come from the Worker's static
 * assets, the user picks a generated month's three CSVs, and the page shows
 * the charts and the numbers the known-answer tests computed independently.
 */

const engineUrl = inject("engineUrl");
const adminToken = inject("adminToken");
let browser: Browser;
let dir = "";
let month: x.Month;
let stock: InventoryRow[] = [];

/**
 * `npm test` builds the assets before vitest starts (pretest); rebuilding them
 * here, under a running `wrangler dev`, made it reload mid-suite. Wait until
 * they are served.
 */
async function assetsServed(): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const urls = ["/analytics/duckdb/manifest.json", "/analytics/notebook.js", "/notebooks/monthly-root-cause", "/notebooks/sla-review"];
    const res = await Promise.all(urls.map((u) => fetch(`${engineUrl}${u}`)));
    await Promise.all(res.map((r) => r.body?.cancel()));
    if (res.every((r) => r.ok)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error("the engine never served the notebook assets: run `npm run build:assets` (npm test does it first)");
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "handoff-notebook-page-"));
  const s = writeScenario(dir, { orders: 1500, seed: 11, keep: true });
  month = new x.Month(s.orders ?? []);
  stock = (s.orders ?? []).flatMap((g) => g.inventory ?? []);
  await assetsServed();
  browser = await launch();
}, 120_000);

beforeEach(() => engineUp(engineUrl), 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openNotebook(name: string): Promise<{ page: Page; external: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const external: string[] = [];
  page.on("request", (req) => {
    if (!req.url().startsWith(engineUrl) && !req.url().startsWith("blob:") && !req.url().startsWith("data:")) external.push(req.url());
  });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${engineUrl}/notebooks/${name}`);
  // Locators, not page-side functions: the page's CSP (rightly) refuses the eval those need.
  try {
    await page.locator("#nb-status", { hasText: /^Pick the / }).waitFor();
  } catch (err) {
    throw new Error(`the page module never started: ${await page.locator("#nb-status").innerText()}\n${problems.join("\n")}`, { cause: err });
  }
  return { page, external };
}

const text = async (page: Page, cell: string): Promise<string> => (await page.locator(`#cell-${cell} .nb-output`).innerText()).replace(/\s+/g, " ");

describe("/notebooks in Chromium", () => {
  it("runs monthly-root-cause on picked export files: charts, tables, known numbers", async () => {
    const { page, external } = await openNotebook("monthly-root-cause");
    expect(await page.locator("h1").innerText()).toBe("Monthly dropped-lead and root-cause review");
    expect(await page.locator(".nb-cell:not(.nb-hidden) .nb-output[data-state=pending]").count()).toBe(11);

    await page.setInputFiles("#nb-files", ["events.csv", "orders.csv", "tasks.csv"].map((f) => path.join(dir, f)));
    await page.waitForSelector("#cell-manual_queue .nb-output[data-state=done]", { timeout: 90_000 });
    await page.locator('#nb-status[data-state="done"]').waitFor();

    expect(await page.locator(".nb-error").count()).toBe(0);
    expect(await page.locator(".nb-chart svg").count()).toBeGreaterThanOrEqual(8);
    // Eleven cells, ten tables: with the watchers' stuck_order tasks no order is silent, so that cell has no rows.
    expect(await page.locator(".nb-output[data-state=done] table").count()).toBe(10);
    expect(await text(page, "silent_orders")).not.toContain("o0");

    const [head] = x.headline(month);
    const n = (v: x.Cell | undefined): string => Number(v).toLocaleString("en-US");
    const headline = await text(page, "headline");
    expect(headline).toContain(`${n(head?.[0])} ${n(head?.[1])} ${n(head?.[2])} ${n(head?.[3])} ${n(head?.[4])} ${(Number(head?.[5]) * 100).toFixed(1)} %`);

    const all = t.stuckOrders(month).at(-1);
    const stuck = await text(page, "stuck_orders");
    expect(stuck).toContain(`all signals ${n(all?.[1])} ${n(all?.[2])} ${n(all?.[3])}`);
    expect(stuck).toContain(formatDuration(Number(all?.[6])));
    expect(stuck).toContain(formatDuration(Number(all?.[7])));

    const usdPayment = t.rootCauses(month).find((r) => r[0] === "payment never captured" && r[1] === "USD");
    expect(await text(page, "root_causes")).toContain(formatMoney(Number(usdPayment?.[6]), "USD"));

    expect(await text(page, "sla_breaches")).toContain("payment payments");
    expect(await text(page, "time_to_detect")).toContain("source_silent");
    expect(external).toEqual([]);
    await shot(page, "notebook-monthly-root-cause");
    await page.close();
  });

  it("runs sla-review too, from the same engine code", async () => {
    const { page } = await openNotebook("sla-review");
    await page.setInputFiles("#nb-files", ["tasks.csv", "events.csv", "orders.csv"].map((f) => path.join(dir, f)));
    await page.waitForSelector("#cell-tasks_by_week .nb-output[data-state=done]", { timeout: 90_000 });
    expect(await page.locator(".nb-error").count()).toBe(0);
    expect(await page.locator(".nb-chart svg").count()).toBeGreaterThanOrEqual(3);
    const open = t.openBreaches(month)[0];
    expect(await text(page, "open_breaches")).toContain(`${String(open?.[0])} ${String(open?.[1])} ${String(open?.[2])} ${String(open?.[3])}`);
    await shot(page, "notebook-sla-review");
    await page.close();
  });

  it("runs weekly-inventory-drift on the four exports, inventory.csv among them", async () => {
    const { page, external } = await openNotebook("weekly-inventory-drift");
    expect(await page.locator("#nb-status").innerText()).toContain("inventory.csv");
    await page.setInputFiles("#nb-files", ["events.csv", "orders.csv", "tasks.csv"].map((f) => path.join(dir, f)));
    await page.locator('#nb-status[data-state="error"]').waitFor();
    expect(await page.locator("#nb-status").innerText()).toContain("missing inventory.csv");

    await page.setInputFiles("#nb-files", ["inventory.csv", "events.csv", "orders.csv", "tasks.csv"].map((f) => path.join(dir, f)));
    await page.waitForSelector("#cell-drift_tasks_by_week .nb-output[data-state=done]", { timeout: 90_000 });
    await page.locator('#nb-status[data-state="done"]').waitFor();
    expect(await page.locator(".nb-error").count()).toBe(0);
    expect(await page.locator(".nb-chart svg").count()).toBeGreaterThanOrEqual(3);
    // The first week's worst SKU, ranked here from the generated counts.
    const firstWeek = x.weekOf(stock.map((r) => r.at).sort()[0] ?? "");
    const bySku = new Map<string, number>();
    for (const r of stock) if (x.weekOf(r.at) === firstWeek) bySku.set(r.sku, (bySku.get(r.sku) ?? 0) + r.abs_drift);
    const [topSku, topAbs] = [...bySku].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? ["", 0];
    expect(await text(page, "top_skus_by_week")).toContain(`${firstWeek.slice(0, 10)} 1 ${topSku} ${topAbs}`);
    expect(await text(page, "chronic_skus")).toContain("SKU-0029");
    expect(external).toEqual([]);
    await shot(page, "notebook-weekly-inventory-drift");
    await page.close();
  });

  it("asks for all three exports, and sends a live-export key only in a header", async () => {
    const { page } = await openNotebook("monthly-root-cause");
    await page.setInputFiles("#nb-files", [path.join(dir, "orders.csv")]);
    await page.locator('#nb-status[data-state="error"]').waitFor();
    expect(await page.locator("#nb-status").innerText()).toContain("missing events.csv, tasks.csv");

    const seen: { url: string; auth: string | undefined }[] = [];
    page.on("request", (req) => seen.push({ url: req.url(), auth: req.headers().authorization }));
    await page.fill("#nb-tenant", "no-such-tenant");
    await page.fill("#nb-key", "hk_secret_never_in_a_url");
    await page.click("#nb-live button[type=submit]");
    await page.locator("#nb-status", { hasText: "export failed" }).waitFor({ timeout: 60_000 });
    const exportCall = seen.find((r) => r.url.includes("/v1/tenants/no-such-tenant/exports/events.csv"));
    expect(exportCall?.auth).toBe("Bearer hk_secret_never_in_a_url");
    expect(seen.some((r) => r.url.includes("hk_secret"))).toBe(false);
    expect(page.url()).toBe(`${engineUrl}/notebooks/monthly-root-cause`);
    await page.close();
  });

  it("loads a tenant's live export with the key typed into the page", async () => {
    // Unique per attempt: a retried test must not meet the tenant its first attempt created.
    const tenant = `browser-notebooks-${Date.now().toString(36)}`;
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
    const created = await fetch(`${engineUrl}/v1/tenants`, { method: "POST", headers: admin, body: JSON.stringify({ id: tenant, name: "Notebook page test", default_owner: "ops@acme.example" }) });
    expect(created.status).toBe(201);
    const { api_key: key } = (await created.json()) as { api_key: string };
    const source = await fetch(`${engineUrl}/v1/tenants/${tenant}/sources/shop`, { method: "PUT", headers: admin, body: JSON.stringify({ kind: "standard", secret }) });
    expect(source.status).toBe(200);
    for (const id of ["NB-1", "NB-2", "NB-3"]) {
      const body = JSON.stringify({ type: "order.created", order_id: id, occurred_at: new Date().toISOString(), data: { total: { amount_minor: 4200, currency: "EUR" } } });
      const res = await fetch(`${engineUrl}/v1/tenants/${tenant}/webhooks/shop`, { method: "POST", headers: await standardHeaders({ body, secret }), body });
      expect(res.status, await res.text()).toBe(202);
    }
    const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    // The order index reaches D1 from the order objects' outbox, in its own time.
    await expect
      .poll(async () => (await (await fetch(`${engineUrl}/v1/tenants/${tenant}/exports/orders.csv`, { headers: { authorization: `Bearer ${key}` } })).text()).trim().split("\n").length, { timeout: 30_000 })
      .toBe(4);

    const { page } = await openNotebook("monthly-root-cause");
    await page.fill("#nb-tenant", tenant);
    await page.fill("#nb-key", key);
    // The default window (the last 30 days up to today) holds a fresh engine's orders: nothing to type (issue 11).
    expect(await page.inputValue("#nb-from")).toBe(day(-30));
    expect(await page.inputValue("#nb-to")).toBe(day(1));
    await page.click("#nb-live button[type=submit]");
    await page.locator('#nb-status[data-state="done"]').waitFor({ timeout: 90_000 });
    expect(await page.locator(".nb-error").count()).toBe(0);
    // Three orders, all minutes old: in flight, none judged yet.
    expect(await text(page, "headline")).toContain("3 0 0 3 0 — 0 —");
    expect(await page.locator("#nb-status").innerText()).toContain("Loaded 3 orders");
    await page.close();
  });

  it("answers 404 in the error envelope for an unknown notebook", async () => {
    const res = await fetch(`${engineUrl}/notebooks/no-such-notebook`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    const index = await fetch(`${engineUrl}/notebooks`);
    expect(await index.text()).toContain('href="/notebooks/sla-review"');
  });
});
