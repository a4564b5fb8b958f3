import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whatIfCommand } from "../../cli/what-if";
import type { WhatIfRun } from "../../domain/whatif/report";

/**
 * `npm run what-if` against a stand-in engine that answers like the real route: a span holding
 * too many orders is a 422 window_too_large (the CLI halves it), any other span one order per hour.
 */

const asked: { from: string; to: string; rules: unknown }[] = [];
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

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const b = JSON.parse(body) as { from: string; to: string; rules: unknown };
      asked.push(b);
      res.setHeader("content-type", "application/json");
      if (req.headers.authorization !== "Bearer k" || req.url !== "/v1/tenants/acme/what-if") {
        res.writeHead(401).end(JSON.stringify({ error: { code: "unauthorized", message: "no" } }));
        return;
      }
      // The first day is too busy for one answer.
      if (b.from === "2026-10-01T00:00:00.000Z" && b.to === "2026-10-02T00:00:00.000Z") {
        res.writeHead(422).end(JSON.stringify({ error: { code: "window_too_large", message: "too many" } }));
        return;
      }
      res.writeHead(200).end(JSON.stringify(run(b.from, b.to)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe("npm run what-if", () => {
  it("asks day by day, halves a day the engine will not answer inline, and merges every span", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "whatif-"));
    const rulesFile = path.join(out, "proposed.json");
    await import("node:fs").then((fs) => fs.writeFileSync(rulesFile, JSON.stringify({ steps: { routing: { sla: "PT2M" } } })));
    await whatIfCommand(["--tenant", "acme", "--rules", rulesFile, "--from", "2026-10-01", "--to", "2026-10-03", "--until", "2026-11-02T00:00:00Z", "--out", out, "--base", base, "--key", "k"]);
    expect(asked.map((a) => [a.from.slice(5, 13), a.to.slice(5, 13)])).toEqual([
      ["10-01T00", "10-02T00"],
      ["10-01T00", "10-01T12"],
      ["10-01T12", "10-02T00"],
      ["10-02T00", "10-03T00"],
    ]);
    expect(asked.every((a) => JSON.stringify(a.rules) === JSON.stringify({ steps: { routing: { sla: "PT2M" } } }))).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")) as { spans: number; summary: WhatIfRun["summary"] };
    expect(summary.spans).toBe(3);
    expect(summary.summary.orders).toBe(48);
    expect(summary.summary.orders_changed).toBe(3);
    expect(summary.summary.totals).toEqual([{ dimension: "contact", key: "routing-days@agency.example", recorded: 0, proposed: 3 }]);
    expect(summary.summary.revenue_at_risk).toEqual([{ currency: "EUR", recorded_minor: 0, proposed_minor: 12600, orders_recorded: 0, orders_proposed: 3 }]);
    expect(readFileSync(path.join(out, "orders.ndjson"), "utf8").trim().split("\n")).toHaveLength(3);
    const csv = readFileSync(path.join(out, "changes.csv"), "utf8").split("\r\n");
    expect(csv[0]).toBe("order_id,change,step,level,contact,owning_party,due_at,export_id,field,recorded,proposed,value_minor,currency");
    expect(csv[1]).toBe("o-2026-10-01T00:00:00.000Z,breach_added,routing,0,routing-days@agency.example,agency:fulfillment-team,2026-10-01T00:00:00.000Z,,,,,4200,EUR");
    expect(csv[2]).toBe('o-2026-10-01T00:00:00.000Z,export_changed,,,,,,exp_fulfil_order_v1_o,owner,"a, inc",b,4200,EUR');
  });

  it("refuses a reversed window before asking the engine", async () => {
    const before = asked.length;
    await expect(whatIfCommand(["--tenant", "acme", "--from", "2026-10-03", "--to", "2026-10-01", "--base", base, "--key", "k"])).rejects.toThrow("--from must be before --to");
    expect(asked.length).toBe(before);
  });
});
