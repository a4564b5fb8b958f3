import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { csvField } from "../worker/analytics-exports/format";
import type { WhatIfSummary } from "../domain/whatif/diff";
import { changeLines, resultHeader } from "../domain/whatif/job";
import { errorEnvelope, handoffClient, type HandoffClient } from "./api/client";
import { DEMO_FILE, type DemoCredentials } from "./start";

/**
 * `npm run what-if -- --tenant acme --rules proposed.json --from 2026-10-01 --to 2026-11-01`:
 * replays the window through the proposed rules. A window the engine answers
 * inline comes back at once; a larger one runs as a job on the engine, whose
 * progress is printed until it is done, and whose result is then downloaded.
 * Writes summary.json, orders.ndjson (one diff per changed order) and
 * changes.csv / changes.ndjson (one row per change, for a notebook). Without
 * --rules it replays under the rules that were in force: a self-check that
 * must report no change.
 */

const USAGE = `usage: npm run what-if -- --tenant <id> --from <date> --to <date> [--rules proposed.json] [--until <datetime>]
                          [--out what-if/] [--base URL] [--key <tenant API key>] [--poll-ms 1000]`;

type Body = { from: string; to: string; until?: string; rules?: unknown };

function instant(s: string, flag: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(t)) throw new Error(`${flag} '${s}' is not a date or datetime\n\n${USAGE}`);
  return t;
}

function failure(what: string, response: Response, error: unknown): Error {
  const e = errorEnvelope(error);
  return new Error(`${what} failed: ${response.status} ${e.code} ${e.message}${e.details ? ` ${JSON.stringify(e.details)}` : ""}`);
}

interface Written {
  summary: WhatIfSummary;
  rows_read: number;
  job: string | null;
  orders: string;
  csv: string;
  ndjson: string;
}

/** A job: progress until it is done, then its three downloads. */
async function followJob(client: HandoffClient, base: string, key: string, tenant: string, id: string, pollMs: number, started: number): Promise<Written> {
  for (;;) {
    const { data, error, response } = await client.GET("/v1/tenants/{tenant}/what-if/{id}", { params: { path: { tenant, id } } });
    if (!data) throw failure(`what-if job ${id}`, response, error);
    const p = data.progress;
    process.stderr.write(`\rjob ${id} ${data.status}  ${p.orders_done}/${p.orders_total} orders  ${data.rows_read} rows read  ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (data.status === "failed") throw new Error(`what-if job ${id} failed: ${data.error ?? "no reason given"}`);
    if (data.status === "expired") throw new Error(`what-if job ${id} expired at ${data.expires_at ?? "?"}: its result was deleted; run it again`);
    if (data.status === "done" && data.summary) {
      const download = async (format: "csv" | "ndjson" | "orders"): Promise<string> => {
        const res = await fetch(`${base}/v1/tenants/${tenant}/what-if/${id}/result?format=${format}`, { headers: { authorization: `Bearer ${key}` } });
        if (!res.ok) throw new Error(`what-if job ${id} result (${format}) failed: ${res.status} ${await res.text()}`);
        return res.text();
      };
      return { summary: data.summary, rows_read: data.rows_read, job: id, orders: await download("orders"), csv: await download("csv"), ndjson: await download("ndjson") };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function whatIfCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { tenant: { type: "string" }, rules: { type: "string" }, from: { type: "string" }, to: { type: "string" }, until: { type: "string" }, out: { type: "string", default: "what-if" }, base: { type: "string" }, key: { type: "string" }, "poll-ms": { type: "string" } },
    strict: true,
  });
  const tenant = values.tenant;
  if (!tenant || !values.from || !values.to) throw new Error(`--tenant, --from and --to are required\n\n${USAGE}`);
  const stored = tenant === "demo" && existsSync(DEMO_FILE) ? (JSON.parse(readFileSync(DEMO_FILE, "utf8")) as DemoCredentials) : null;
  const base = (values.base ?? stored?.base_url ?? process.env.HANDOFF_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  const key = values.key ?? stored?.api_key ?? process.env.HANDOFF_API_KEY;
  if (!key) throw new Error(`no API key for tenant '${tenant}': pass --key or set HANDOFF_API_KEY`);
  const rules: unknown = values.rules ? JSON.parse(readFileSync(values.rules, "utf8")) : undefined;
  const from = instant(values.from, "--from");
  const to = instant(values.to, "--to");
  if (from >= to) throw new Error("--from must be before --to");
  // One horizon, fixed here: inline or as a job, every order is judged at the same instant.
  const until = values.until ? new Date(instant(values.until, "--until")).toISOString() : new Date().toISOString();
  const client = handoffClient(base, key);

  const pollMs = Number(values["poll-ms"] ?? 1000);
  const body: Body = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), until, ...(rules === undefined ? {} : { rules }) };
  const started = Date.now();
  const { data, error, response } = await client.POST("/v1/tenants/{tenant}/what-if", { params: { path: { tenant } }, body: body as never });
  if (!data) throw failure(`what-if ${body.from}..${body.to}`, response, error);
  let w: Written;
  if ("orders" in data && Array.isArray(data.orders)) {
    // Answered inline: the changed orders are in the answer.
    const orders = data.orders;
    w = {
      summary: data.summary,
      rows_read: data.rows_read,
      job: null,
      orders: orders.map((d) => `${JSON.stringify(d)}\n`).join(""),
      csv: resultHeader("csv") + changeLines(orders, "csv", csvField),
      ndjson: changeLines(orders, "ndjson", csvField),
    };
  } else if ("id" in data && typeof data.id === "string") {
    w = await followJob(client, base, key, tenant, data.id, pollMs, started);
  } else {
    throw new Error(`what-if: the engine answered ${response.status} with neither a comparison nor a job`);
  }
  process.stderr.write("\n");
  const summary = w.summary;
  const out = values.out ?? "what-if";
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, "summary.json"),
    `${JSON.stringify({ tenant, from: body.from, to: body.to, until, mode: rules === undefined ? "in_force" : "proposed", job: w.job, rows_read: w.rows_read, summary }, null, 2)}\n`,
  );
  writeFileSync(path.join(out, "orders.ndjson"), w.orders);
  writeFileSync(path.join(out, "changes.ndjson"), w.ndjson);
  writeFileSync(path.join(out, "changes.csv"), w.csv);
  console.log(`${summary.orders} orders, ${summary.orders_changed} would change; breaches ${summary.breaches.recorded} → ${summary.breaches.proposed}; written to ${out}/`);
  for (const r of summary.revenue_at_risk) console.log(`revenue at risk ${r.currency}: ${(r.recorded_minor / 100).toFixed(2)} → ${(r.proposed_minor / 100).toFixed(2)} (${r.orders_recorded} → ${r.orders_proposed} orders)`);
}
