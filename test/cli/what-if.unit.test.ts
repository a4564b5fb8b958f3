import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whatIfCommand } from "../../cli/what-if";
import type { WhatIfRun } from "../../domain/whatif/report";

/**
 * `npm run what-if` against a stand-in engine that answers like the real route: a window of up to
 * a day (one order per hour) inline; a longer one as a job (202 + Location), running on the first
 * look and done on the second, its result downloadable as the route streams it.
 */

const asked: { from: string; to: string; rules: unknown }[] = [];
const gets: string[] = [];
const JOB = "wij_0123456789abcdef01234567";
let server: Server;
let base = "";

function run(from: string, to: string): WhatIfRun {
  const hours = (Date.parse(to) - Date.parse(from)) / 3_600_000;
  const breach = { step: "routing", level: 0, contact: "routing-days@agency.example", owning_party: "agency:fulfillment-team", due_at: from, breached_at: from };
  return {
    tenant: "acme",
    from,
    to,
    until: "2026-11-02T00:00:00.000Z",
    mode: "proposed",
    proposal_version: 4,
    rows_read: 10,
    summary: {
      orders: hours,
      orders_changed: 1,
      orders_approximate: 0,
      breaches: { recorded: 0, proposed: 1 },
      exports: { recorded: hours, proposed: hours },
      totals: [{ dimension: "contact", key: "routing-days@agency.example", recorded: 0, proposed: 1 }],
      revenue_at_risk: [{ currency: "EUR", recorded_minor: 0, proposed_minor: 4200, orders_recorded: 0, orders_proposed: 1 }],
    },
    orders: [
      {
        order_id: `o-${from}`,
        value: { amount_minor: 4200, currency: "EUR" },
        state: { recorded: "accepted", proposed: "accepted" },
        breaches_added: [breach],
        breaches_removed: [],
        exports_added: [],
        exports_removed: [],
        exports_changed: [{ export_id: "exp_fulfil_order_v1_o", field: "owner", recorded: "a, inc", proposed: "b" }],
        gaps: [],
      },
    ],
  };
}

function send(res: import("node:http").ServerResponse, status: number, body: unknown, type = "application/json"): void {
  res.setHeader("content-type", type);
  res.writeHead(status).end(typeof body === "string" ? body : JSON.stringify(body));
}

beforeAll(async () => {
  const jobRun = run("2026-10-01T00:00:00.000Z", "2026-10-03T00:00:00.000Z");
  const job = (status: "running" | "done") => ({
    id: JOB,
    tenant: "acme",
    status,
    progress: { orders_done: status === "done" ? 48 : 20, orders_total: 48 },
    from: jobRun.from,
    to: jobRun.to,
    until: jobRun.until,
    mode: "proposed",
    proposal_version: 4,
    rows_read: 1234,
    created_at: "2026-11-02T00:00:00.000Z",
    finished_at: status === "done" ? "2026-11-02T00:00:05.000Z" : null,
    error: null,
    ...(status === "done" ? { summary: jobRun.summary, result: { csv: "…", ndjson: "…", orders: "…" } } : {}),
  });
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.headers.authorization !== "Bearer k") return send(res, 401, { error: { code: "unauthorized", message: "no" } });
      if (req.method === "GET") {
        gets.push(req.url ?? "");
        const path = `/v1/tenants/acme/what-if/${JOB}`;
        if (req.url === path) return send(res, 200, job(gets.filter((g) => g === path).length > 1 ? "done" : "running"));
        if (req.url === `${path}/result?format=orders`) return send(res, 200, jobRun.orders.map((o) => `${JSON.stringify(o)}\n`).join(""), "application/x-ndjson");
        if (req.url === `${path}/result?format=csv`) return send(res, 200, "order_id,change\r\no-1,breach_added\r\n", "text/csv");
        if (req.url === `${path}/result?format=ndjson`) return send(res, 200, '{"order_id":"o-1","change":"breach_added"}\n', "application/x-ndjson");
        return send(res, 404, { error: { code: "not_found", message: req.url } });
      }
      const b = JSON.parse(body) as { from: string; to: string; rules: unknown };
      asked.push(b);
      if (req.url !== "/v1/tenants/acme/what-if") return send(res, 404, { error: { code: "not_found", message: "no" } });
      // More than a day: too many orders to answer inline.
      if (Date.parse(b.to) - Date.parse(b.from) > 86_400_000) {
        res.setHeader("location", `/v1/tenants/acme/what-if/${JOB}`);
        return send(res, 202, job("running"));
      }
      send(res, 200, run(b.from, b.to));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe("npm run what-if", () => {
  it("answers a small window inline: summary, every changed order and its changes as CSV and NDJSON", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "whatif-"));
    const rulesFile = path.join(out, "proposed.json");
    writeFileSync(rulesFile, JSON.stringify({ steps: { routing: { sla: "PT2M" } } }));
    await whatIfCommand(["--tenant", "acme", "--rules", rulesFile, "--from", "2026-10-01", "--to", "2026-10-02", "--until", "2026-11-02T00:00:00Z", "--out", out, "--base", base, "--key", "k"]);
    expect(asked.at(-1)).toEqual({ from: "2026-10-01T00:00:00.000Z", to: "2026-10-02T00:00:00.000Z", until: "2026-11-02T00:00:00.000Z", rules: { steps: { routing: { sla: "PT2M" } } } });
    const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")) as { job: string | null; summary: WhatIfRun["summary"] };
    expect(summary.job).toBeNull();
    expect(summary.summary.orders).toBe(24);
    expect(readFileSync(path.join(out, "orders.ndjson"), "utf8").trim().split("\n")).toHaveLength(1);
    const csv = readFileSync(path.join(out, "changes.csv"), "utf8").split("\r\n");
    expect(csv[0]).toBe("order_id,change,step,level,contact,owning_party,due_at,export_id,field,recorded,proposed,value_minor,currency");
    expect(csv[1]).toBe("o-2026-10-01T00:00:00.000Z,breach_added,routing,0,routing-days@agency.example,agency:fulfillment-team,2026-10-01T00:00:00.000Z,,,,,4200,EUR");
    expect(csv[2]).toBe('o-2026-10-01T00:00:00.000Z,export_changed,,,,,,exp_fulfil_order_v1_o,owner,"a, inc",b,4200,EUR');
    expect(readFileSync(path.join(out, "changes.ndjson"), "utf8").trim().split("\n")).toHaveLength(2);
  });

  it("follows a large window's job to the end and downloads its result", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "whatif-"));
    await whatIfCommand(["--tenant", "acme", "--from", "2026-10-01", "--to", "2026-10-03", "--until", "2026-11-02T00:00:00Z", "--out", out, "--base", base, "--key", "k", "--poll-ms", "10"]);
    // One request for the whole window, then the job: polled until done, then its three downloads.
    expect(asked.at(-1)?.from).toBe("2026-10-01T00:00:00.000Z");
    expect(asked.at(-1)?.to).toBe("2026-10-03T00:00:00.000Z");
    expect(gets.filter((g) => g === `/v1/tenants/acme/what-if/${JOB}`)).toHaveLength(2);
    const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")) as { job: string | null; rows_read: number; summary: WhatIfRun["summary"] };
    expect(summary.job).toBe(JOB);
    expect(summary.rows_read).toBe(1234);
    expect(summary.summary.orders).toBe(48);
    expect(readFileSync(path.join(out, "orders.ndjson"), "utf8").trim().split("\n")).toHaveLength(1);
    expect(readFileSync(path.join(out, "changes.csv"), "utf8")).toBe("order_id,change\r\no-1,breach_added\r\n");
    expect(readFileSync(path.join(out, "changes.ndjson"), "utf8")).toBe('{"order_id":"o-1","change":"breach_added"}\n');
  });

  it("refuses a reversed window before asking the engine", async () => {
    const before = asked.length;
    await expect(whatIfCommand(["--tenant", "acme", "--from", "2026-10-03", "--to", "2026-10-01", "--base", base, "--key", "k"])).rejects.toThrow("--from must be before --to");
    expect(asked.length).toBe(before);
  });
});
