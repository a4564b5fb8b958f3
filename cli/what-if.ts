import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { csvField } from "../worker/analytics-exports/format";
import { Totals, type OrderDiff } from "../domain/whatif/diff";
import { CHANGE_COLUMNS, changeRows } from "../domain/whatif/rows";
import { errorEnvelope, handoffClient, type HandoffClient } from "./api/client";
import { DEMO_FILE, type DemoCredentials } from "./start";

/**
 * `npm run what-if -- --tenant acme --rules proposed.json --from 2026-10-01 --to 2026-11-01`:
 * replays the window through the proposed rules by asking the engine one day
 * at a time (halving a span the engine finds too large to answer inline),
 * prints progress per span, and writes the comparison: summary.json,
 * orders.ndjson (one diff per changed order) and changes.csv / changes.ndjson
 * (one row per change, for a notebook). Without --rules it replays under the
 * rules that were in force: a self-check that must report no change.
 */

const USAGE = `usage: npm run what-if -- --tenant <id> --from <date> --to <date> [--rules proposed.json] [--until <datetime>]
                          [--out what-if/] [--base URL] [--key <tenant API key>]`;
const DAY = 86_400_000;

type Body = { from: string; to: string; until?: string; rules?: unknown };

function instant(s: string, flag: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(t)) throw new Error(`${flag} '${s}' is not a date or datetime\n\n${USAGE}`);
  return t;
}

async function span(client: HandoffClient, tenant: string, body: Body) {
  const { data, error, response } = await client.POST("/v1/tenants/{tenant}/what-if", { params: { path: { tenant } }, body: body as never });
  if (data) return { ok: true as const, run: data };
  const e = errorEnvelope(error);
  if (e.code === "window_too_large") return { ok: false as const };
  throw new Error(`what-if ${body.from}..${body.to} failed: ${response.status} ${e.code} ${e.message}${e.details ? ` ${JSON.stringify(e.details)}` : ""}`);
}

export async function whatIfCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { tenant: { type: "string" }, rules: { type: "string" }, from: { type: "string" }, to: { type: "string" }, until: { type: "string" }, out: { type: "string", default: "what-if" }, base: { type: "string" }, key: { type: "string" } },
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
  // One horizon for every span, so all orders are judged at the same instant.
  const until = values.until ? new Date(instant(values.until, "--until")).toISOString() : new Date().toISOString();
  const client = handoffClient(base, key);

  const totals = new Totals();
  const changed: OrderDiff[] = [];
  let rowsRead = 0;
  const todo: [number, number][] = [];
  for (let t = from; t < to; t += DAY) todo.push([t, Math.min(to, t + DAY)]);
  let spans = 0;
  const started = Date.now();
  while (todo.length > 0) {
    const next = todo.shift();
    if (!next) break;
    const [a, b] = next;
    const r = await span(client, tenant, { from: new Date(a).toISOString(), to: new Date(b).toISOString(), until, ...(rules === undefined ? {} : { rules }) });
    if (!r.ok) {
      if (b - a <= 1000) throw new Error(`more orders than the engine answers inline within one second at ${new Date(a).toISOString()}`);
      const mid = a + Math.floor((b - a) / 2);
      todo.unshift([a, mid], [mid, b]);
      continue;
    }
    spans++;
    totals.merge(r.run.summary);
    changed.push(...r.run.orders);
    rowsRead += r.run.rows_read;
    const s = totals.result();
    process.stderr.write(`\r${new Date(b).toISOString().slice(0, 16)}  ${s.orders} orders  ${s.orders_changed} changed  breaches ${s.breaches.recorded} → ${s.breaches.proposed}  ${rowsRead} rows read  ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  process.stderr.write("\n");
  const summary = totals.result();
  const out = values.out ?? "what-if";
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "summary.json"), `${JSON.stringify({ tenant, from: new Date(from).toISOString(), to: new Date(to).toISOString(), until, mode: rules === undefined ? "in_force" : "proposed", spans, rows_read: rowsRead, summary }, null, 2)}\n`);
  writeFileSync(path.join(out, "orders.ndjson"), changed.map((d) => `${JSON.stringify(d)}\n`).join(""));
  const rows = changed.flatMap(changeRows);
  writeFileSync(path.join(out, "changes.ndjson"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  writeFileSync(path.join(out, "changes.csv"), [CHANGE_COLUMNS.join(","), ...rows.map((r) => CHANGE_COLUMNS.map((c) => csvField(r[c])).join(","))].map((l) => `${l}\r\n`).join(""));
  console.log(`${summary.orders} orders, ${summary.orders_changed} would change; breaches ${summary.breaches.recorded} → ${summary.breaches.proposed}; written to ${out}/`);
  for (const r of summary.revenue_at_risk) console.log(`revenue at risk ${r.currency}: ${(r.recorded_minor / 100).toFixed(2)} → ${(r.proposed_minor / 100).toFixed(2)} (${r.orders_recorded} → ${r.orders_proposed} orders)`);
}
