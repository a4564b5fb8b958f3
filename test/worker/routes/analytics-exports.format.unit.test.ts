import { describe, expect, it } from "vitest";
import { columns, csvField, csvHeader, encodeRows, eventRow, orderRow, taskRow, type OrderDbRow, type TaskExportDbRow } from "../../../worker/analytics-exports/format";
import { EventRow, OrderRow, TaskRow } from "../../../worker/analytics-exports/rows";

const NO_ONSET = { last_verified_receipt_at: null, source_configured_at: null, stuck_since: null, stuck_sla_ms: null, breach_due_at: null };

describe("CSV fields", () => {
  it("quotes only what RFC 4180 requires, and keeps values exact", () => {
    expect(csvField(null)).toBe("");
    expect(csvField("")).toBe('""');
    expect(csvField(0)).toBe("0");
    expect(csvField(-12)).toBe("-12");
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    // Machine-read: formula-looking values are data, not escaped (unlike the runbook CSV).
    expect(csvField("=SUM(A1)")).toBe("=SUM(A1)");
    expect(csvField("-ops")).toBe("-ops");
    expect(csvField(" padded ")).toBe(" padded ");
    expect(csvField("ünïcødé ✓")).toBe("ünïcødé ✓");
  });

  it("headers follow the row schemas' key order", () => {
    expect(csvHeader("orders")).toBe(`${Object.keys(OrderRow.shape).join(",")}\r\n`);
    expect(columns("events")[0]).toBe("tenant_id");
    expect(columns("events").at(-1)).toBe("data");
  });
});

describe("audit entry → events row", () => {
  const base = { order_id: "o1", seq: 3, at: "2026-10-01T00:00:00.000Z" };

  it("event.applied carries the canonical event and the transition", () => {
    const data = { event_id: "wms:m1#0", event_type: "order.created", source: "wms", occurred_at: "2026-09-30T23:59:59.000Z", state_from: "received", state_to: "awaiting_payment", lag_ms: 1000 };
    const row = EventRow.parse(eventRow("acme", { ...base, type: "event.applied", data: JSON.stringify(data) }));
    expect(row).toMatchObject({ ...data, type: "event.applied", receipt_id: null, export_id: null, step: null, level: null, status: null, kind: null });
    expect(row.data).toBe(JSON.stringify(data));
  });

  it("takes only values of the column's type", () => {
    const data = { export_id: "exp_request_shipment_v2_o1", status: "accepted", level: 1.5, lag_ms: "12", owner: 7 };
    const row = EventRow.parse(eventRow("acme", { ...base, type: "export.acked", data: JSON.stringify(data) }));
    expect(row).toMatchObject({ export_id: "exp_request_shipment_v2_o1", step: "shipping", status: null, level: null, lag_ms: null, owner: null });
  });

  it("holds name their kind `reason`; escalations their kind `kind`", () => {
    const hold = eventRow("acme", { ...base, type: "hold.opened", data: JSON.stringify({ reason: "consumer_rejected", event_id: "h:1", detail: "x" }) });
    expect([hold.kind, hold.event_id]).toEqual(["consumer_rejected", "h:1"]);
    const esc = eventRow("acme", { ...base, type: "export.escalated", data: JSON.stringify({ export_id: "exp_fulfil_order_v1_o1", kind: "delivery_failed", owner: "ops@x" }) });
    expect([esc.kind, esc.step, esc.owner]).toEqual(["delivery_failed", "routing", "ops@x"]);
    // Only hold.* uses `reason` as the kind: elsewhere it is free text.
    expect(eventRow("acme", { ...base, type: "export.withdrawn", data: JSON.stringify({ reason: "superseded" }) }).kind).toBeNull();
  });

  it("a data text that is not a JSON object still exports, verbatim", () => {
    for (const data of ["not json", "[1,2]", "null", '"s"']) {
      const row = EventRow.parse(eventRow("acme", { ...base, type: "x", data }));
      expect(row.data).toBe(data);
      expect(row.event_type).toBeNull();
    }
  });

  it("NDJSON lines keep the column order; CSV rows line up with the header", () => {
    const row = eventRow("acme", { ...base, type: "receipt.recorded", data: '{"receipt_id":"rcpt_1","source":"shop, inc"}' });
    const line = encodeRows([row], "ndjson");
    expect(line.endsWith("\n")).toBe(true);
    expect(Object.keys(JSON.parse(line) as object)).toEqual(columns("events"));
    const csv = encodeRows([row], "csv");
    expect(csv).toBe(`acme,o1,3,2026-10-01T00:00:00.000Z,receipt.recorded,,,"shop, inc",,,,rcpt_1,,,,,,,,,,,,,"{""receipt_id"":""rcpt_1"",""source"":""shop, inc""}"\r\n`);
  });
});

describe("order and task rows", () => {
  const order: OrderDbRow = {
    order_id: "o1",
    state: "paid",
    value_minor: 4200,
    currency: "EUR",
    source: "shop",
    milestones: JSON.stringify({ created_at: "2026-10-01T00:00:00.000Z", captured_at: "2026-10-01T00:01:00.000Z", attribution_updated_at: "2026-10-01T00:02:00.000Z" }),
    attribution: JSON.stringify({ utm_source: "google", utm_campaign: null, channel: 3, gclid: "abc" }),
    holds: 0,
    conflicts: 1,
    next_due_at: null,
    created_at: "2026-10-01T00:00:00.000Z",
    updated_at: "2026-10-01T00:03:00.000Z",
    n_breaches: 2,
    n_open_breaches: 1,
    n_tasks: 3,
    n_open_tasks: 0,
  };

  it("milestones and attribution become columns; unknown keys are not invented", () => {
    const row = OrderRow.parse(orderRow("acme", order));
    expect(row).toMatchObject({ captured_at: "2026-10-01T00:01:00.000Z", utm_source: "google", utm_campaign: null, channel: null, utm_medium: null, breaches: 2, open_breaches: 1, tasks: 3, open_tasks: 0, conflicts: 1 });
    expect(Object.keys(row)).toEqual(columns("orders"));
  });

  it("response and resolution times from the timestamps", () => {
    const task: TaskExportDbRow = {
      ...NO_ONSET,
      task_id: "t1",
      order_id: null,
      rejection_id: "rej_1",
      type: "schema_rejection",
      status: "resolved",
      owner: "ops",
      owning_party: "merchant",
      level: 1,
      value_minor: null,
      currency: null,
      opened_at: "2026-10-01T00:00:00.000Z",
      sla_due: "2026-10-01T01:00:00.000Z",
      claimed_at: "2026-10-01T00:00:00.250Z",
      claimed_by: "ada",
      resolved_at: "2026-10-02T00:00:00.000Z",
      resolved_by: "ada",
      action: "replay",
    };
    const row = TaskRow.parse(taskRow("acme", task));
    expect([row.first_response_ms, row.resolve_ms]).toEqual([250, 86_400_000]);
    expect(TaskRow.parse(taskRow("acme", { ...task, claimed_at: null, resolved_at: null }))).toMatchObject({ first_response_ms: null, resolve_ms: null });
    expect(Object.keys(row)).toEqual(columns("tasks"));
    expect(row).toMatchObject({ onset_at: null, detect_ms: null });
  });

  it("times detection from the onset the task's evidence names, per detector", () => {
    const base: TaskExportDbRow = {
      ...NO_ONSET,
      task_id: "t2",
      order_id: null,
      rejection_id: null,
      type: "source_silent",
      status: "open",
      owner: "ops",
      owning_party: "merchant",
      level: 0,
      value_minor: null,
      currency: null,
      opened_at: "2026-10-01T01:05:00.000Z",
      sla_due: "2026-10-01T02:05:00.000Z",
      claimed_at: null,
      claimed_by: null,
      resolved_at: null,
      resolved_by: null,
      action: null,
    };
    const silent = taskRow("acme", { ...base, last_verified_receipt_at: "2026-10-01T00:00:00.000Z", source_configured_at: "2026-09-01T00:00:00.000Z" });
    expect(silent).toMatchObject({ onset_at: "2026-10-01T00:00:00.000Z", detect_ms: 65 * 60_000 });
    expect(taskRow("acme", { ...base, source_configured_at: "2026-10-01T01:00:00.000Z" })).toMatchObject({ detect_ms: 5 * 60_000 });
    const stuck = taskRow("acme", { ...base, type: "stuck_order", stuck_since: "2026-10-01T00:00:00.000Z", stuck_sla_ms: 3_600_000 });
    expect(stuck).toMatchObject({ onset_at: "2026-10-01T01:00:00.000Z", detect_ms: 5 * 60_000 });
    expect(taskRow("acme", { ...base, type: "sla_breach", breach_due_at: "2026-10-01T01:04:59.000Z" })).toMatchObject({ detect_ms: 1000 });
    expect(taskRow("acme", { ...base, type: "consumer_rejected", breach_due_at: "2026-10-01T01:04:59.000Z" })).toMatchObject({ onset_at: null, detect_ms: null });
  });
});
