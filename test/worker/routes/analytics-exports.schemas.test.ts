import { beforeAll, describe, expect, it } from "vitest";
import { trailData } from "../../../domain/notify/trail";
import { EXPORT_ROWS, type ExportName } from "../../../worker/analytics-exports/rows";
import { bothFormats, columnsOf, insertAudit, insertDrift, insertOrders, insertTasks } from "../../helpers/analytics-exports";
import { call, createTenant, expectError, json } from "../../helpers/http";

/** The published JSON Schemas, and that the exported rows really conform to them. */

interface PropertySchema {
  type?: string | string[];
  anyOf?: PropertySchema[];
  description?: string;
}

function typesOf(p: PropertySchema): string[] {
  if (p.anyOf) return p.anyOf.flatMap(typesOf);
  return Array.isArray(p.type) ? p.type : p.type === undefined ? [] : [p.type];
}
interface RowSchema {
  $schema: string;
  title: string;
  type: string;
  properties: Record<string, PropertySchema>;
  required: string[];
  additionalProperties?: boolean;
}

const NAMES = Object.keys(EXPORT_ROWS) as ExportName[];

async function schemaOf(name: string): Promise<RowSchema> {
  const res = await call("GET", `/v1/schemas/exports/${name}.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/schema+json");
  return json<RowSchema>(res);
}

/** Just enough of JSON Schema to check a flat row: each value's JSON type against type / anyOf. */
function conforms(schema: RowSchema, row: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const k of schema.required) if (!(k in row)) problems.push(`${k} missing`);
  for (const [k, v] of Object.entries(row)) {
    const p = schema.properties[k];
    if (!p) {
      problems.push(`${k} not in schema`);
      continue;
    }
    const types = typesOf(p);
    const actual = v === null ? "null" : Number.isInteger(v) ? "integer" : typeof v;
    if (!types.includes(actual) && !(actual === "integer" && types.includes("number"))) problems.push(`${k}: ${actual} not ${types.join("|")}`);
  }
  return problems;
}

describe("export row schemas", () => {
  let key = "";
  beforeAll(async () => {
    key = await createTenant("ax-schema");
    await insertAudit([
      { tenant: "ax-schema", orderId: "o1", seq: 1, at: "2026-10-02T00:00:00.000Z", type: "export.attempt", data: { export_id: "exp_fulfil_order_v1_o1", attempt: 1, status: 503, outcome: "retry", latency_ms: 12 } },
      { tenant: "ax-schema", orderId: "o1", seq: 2, at: "2026-10-02T00:00:01.000Z", type: "export.acked", data: { export_id: "exp_fulfil_order_v1_o1", status: "accepted", via: "ack" } },
      {
        tenant: "ax-schema",
        orderId: "~notify:o1",
        seq: 1,
        at: "2026-10-02T00:00:02.000Z",
        type: "notification.attempt",
        data: trailData(
          { notice_key: "t1:L0:alert", subject: "t1", order_id: "o1", task_id: "t1", kind: "task.opened", phase: "alert", level: 0, recipient: "ops" },
          { contact: "ops", channel: "slack", delivery_id: "ntf_1", attempt: 1, status: 200, latency_ms: 9, outcome: "delivered" },
        ),
      },
    ]);
    await insertOrders([{ tenant: "ax-schema", orderId: "o1", createdAt: "2026-10-02T00:00:00.000Z", attribution: { utm_source: "x", channel: null } }]);
    await insertTasks([{ tenant: "ax-schema", taskId: "t1", orderId: "o1", status: "claimed", openedAt: "2026-10-02T00:00:00.000Z", claimedAt: "2026-10-02T00:01:00.000Z" }]);
    await insertDrift([{ tenant: "ax-schema", sku: "MUG-01", snapshotId: "wms:s2#0", at: "2026-10-02T06:00:00.000Z", expected: 12, reported: 9 }]);
  });

  it.each(NAMES)("%s.json is draft 2020-12, with every column, in column order, all required", async (name) => {
    const schema = await schemaOf(name);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(schema.title).toMatch(/^Handoff \w+ export row$/);
    expect(Object.keys(schema.properties)).toEqual(columnsOf(name));
    expect(schema.required).toEqual(columnsOf(name));
    expect(schema.additionalProperties).toBe(false);
  });

  it.each(NAMES)("exported %s rows conform to the published schema", async (name) => {
    const schema = await schemaOf(name);
    const rows = await bothFormats("ax-schema", name, key);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(conforms(schema, r)).toEqual([]);
  });

  it("the acked entry's string status stays in data, not in the integer column", async () => {
    const rows = await bothFormats("ax-schema", "events", key);
    expect(rows.map((r) => [r.type, r.status, r.step, r.outcome])).toEqual([
      ["export.attempt", 503, "routing", "retry"],
      ["export.acked", null, "routing", null],
    ]);
  });

  it("unknown schema names are 404", async () => {
    for (const file of ["handoffs.json", "events", "events.csv", "export.json"]) {
      await expectError(await call("GET", `/v1/schemas/exports/${file}`), 404, "not_found");
    }
  });

  it("the OpenAPI document describes both routes", async () => {
    const doc = await json<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, unknown> }> }>> }>(
      await call("GET", "/openapi.json"),
    );
    const exp = doc.paths["/v1/tenants/{tenant}/exports/{name}.{format}"]?.get;
    expect(exp?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(["path:tenant", "path:name", "path:format", "query:from", "query:to", "query:page_size"]));
    expect(Object.keys(exp?.responses["200"]?.content ?? {})).toEqual(["application/x-ndjson", "text/csv; charset=utf-8"]);
    expect(Object.keys(exp?.responses ?? {})).toEqual(expect.arrayContaining(["400", "401", "404"]));
    expect(doc.paths["/v1/schemas/exports/{name}.json"]?.get?.parameters?.map((p) => p.name)).toEqual(["name"]);
  });
});
