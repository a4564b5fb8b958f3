import { Type } from "apache-arrow";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { ARROW_TYPE } from "../../analytics/engine/arrow";
import { renderChart, renderRun, valueScale, type PlotDocument } from "../../analytics/engine/chart";
import { formatDuration, formatMoney, formatOf, formatValue, headerOf } from "../../analytics/engine/format";
import { renderBody, renderTable } from "../../analytics/engine/html";
import { parseNotebook } from "../../analytics/engine/notebook";
import type { Column, QueryResult } from "../../analytics/engine/run";
import { PAGE_CSP, recentDays, renderIndex, renderShell } from "../../analytics/engine/shell";
import { TABLE_COLUMNS, TABLE_NAMES, csvHeader, loadCsvSql, loadedColumns } from "../../analytics/engine/schema";
import { csvField } from "../../analytics/generate";
import { EXPORT_ROWS } from "../../worker/analytics-exports/rows";

describe("the engine's table mirror of worker/analytics-exports/rows.ts", () => {
  it.each(TABLE_NAMES)("%s has the contract's columns, in order, with matching types", (table) => {
    const shape = EXPORT_ROWS[table].shape as Record<string, { toJSONSchema(): unknown }>;
    expect(TABLE_COLUMNS[table].map(([n]) => n)).toEqual(Object.keys(shape));
    for (const [name, type] of TABLE_COLUMNS[table]) {
      const schema = JSON.stringify(shape[name]?.toJSONSchema());
      if (type === "INTEGER" || type === "BIGINT") expect(schema, name).toContain('"integer"');
      else expect(schema, name).toContain('"string"');
      // Timestamps are the contract's ISO-8601 strings: every *_at, `at`, and the SLA due time.
      if (type === "TIMESTAMP") expect(name, name).toMatch(/(^at$|_at$|^sla_due$)/);
      else expect(name).not.toMatch(/_at$/);
    }
    expect(csvHeader(table)).toBe(Object.keys(shape).join(","));
  });

  it("loads with explicit types, quoted nulls kept distinct, and without the raw JSON unless asked", () => {
    const sql = loadCsvSql("events", "e.csv");
    expect(sql).toContain("allow_quoted_nulls = false");
    expect(sql).toContain("auto_detect = false");
    expect(sql).toContain(`'at': 'TIMESTAMP'`);
    expect(sql).toContain(`SELECT "tenant_id", "order_id", "seq", "at",`);
    expect(sql).not.toContain(`"lag_ms", "data"`);
    expect(sql).toContain(`'data': 'VARCHAR'`);
    expect(loadCsvSql("events", "e.csv", { allColumns: true })).toContain(`"lag_ms", "data" FROM read_csv`);
    expect(loadCsvSql("orders", "it's.csv")).toContain("read_csv('it''s.csv'");
    // Only what the notebook names, and the first column so an unnamed table still exists.
    expect(loadedColumns("events", { only: new Set(["type", "at", "data", "nope"]) })).toEqual(["tenant_id", "at", "type"]);
    expect(loadedColumns("tasks", { only: new Set() })).toEqual(["tenant_id"]);
  });

  it("writes CSV the way the export does (RFC 4180, null empty, \"\" quoted)", () => {
    expect([null, "", "a", 'say "hi", ok', 12].map(csvField)).toEqual(["", '""', "a", '"say ""hi"", ok"', "12"]);
  });
});

const col = (name: string, kind: Column["kind"] = "number"): Column => ({ name, kind });

describe("Arrow type ids", () => {
  it("are apache-arrow's", () => {
    expect(ARROW_TYPE).toEqual({ Int: Type.Int, Float: Type.Float, Bool: Type.Bool, Decimal: Type.Decimal, Date: Type.Date, Timestamp: Type.Timestamp });
  });
});

describe("formats read at a glance", () => {
  it("chooses by column name", () => {
    const cols = [col("at_risk_minor"), col("currency", "text"), col("mttr_p50_ms"), col("dropped_rate"), col("orders"), col("week", "timestamp"), col("created_at", "timestamp")];
    expect(cols.map((c) => formatOf(c, cols))).toEqual(["money", "text", "duration", "percent", "decimal", "date", "timestamp"]);
    expect(formatOf(col("value_minor"), [col("value_minor")])).toBe("decimal");
  });

  it("money in major units with its currency", () => {
    expect(formatMoney(123456, "USD")).toBe("USD 1,234.56");
    expect(formatMoney(1200, "JPY")).toBe("JPY 1,200");
    expect(formatMoney(1234, "KWD")).toBe("KWD 1.234");
  });

  it("durations humanised to two units", () => {
    expect([850, 4_200, 42_000, 720_000, 11_520_000, 187_200_000, 7_200_000].map(formatDuration)).toEqual([
      "850 ms", "4.2 s", "42 s", "12 min", "3 h 12 min", "2 d 4 h", "2 h",
    ]);
  });

  it("numbers, rates, timestamps and nulls", () => {
    expect(formatValue(1234567, "decimal", null)).toBe("1,234,567");
    expect(formatValue(2.345, "decimal", null)).toBe("2.35");
    expect(formatValue(0.0954, "percent", null)).toBe("9.5 %");
    expect(formatValue("2026-10-05T00:00:00.000Z", "date", null)).toBe("2026-10-05");
    expect(formatValue("2026-10-05T14:03:09.000Z", "timestamp", null)).toBe("2026-10-05 14:03 UTC");
    expect(formatValue(null, "money", "USD")).toBe("—");
    expect(headerOf("mttr_p50_ms")).toBe("MTTR p50");
    expect(headerOf("at_risk_minor")).toBe("At risk");
    expect(headerOf("sla_breaches")).toBe("SLA breaches");
  });
});

const result: QueryResult = {
  columns: [col("cause", "text"), col("currency", "text"), col("at_risk_minor"), col("dropped_rate"), col("mttr_p50_ms")],
  rows: [
    ["payment <never> captured", "USD", 150000, 0.25, 7_200_000],
    ["oversell", "EUR", 9900, 0.5, null],
  ],
};

describe("rendering", () => {
  it("tables: escaped text, money with currency (no separate currency column), rate bars", () => {
    const html = renderTable(result);
    expect(html).toContain("payment &lt;never&gt; captured");
    expect(html).toContain("USD 1,500.00");
    expect(html).toContain("EUR 99.00");
    expect(html).not.toContain(">Currency<");
    expect(html).toContain('style="width:25.0%"');
    expect(html).toContain("2 h");
    expect(html).toContain('<td class="num">—</td>');
    expect(renderTable({ columns: [col("n")], rows: [] })).toContain("No rows.");
  });

  it("charts: Plot SVG in Node, in the query's order, with readable units", () => {
    const { document } = parseHTML("<!doctype html><html><body></body></html>");
    const doc = document as unknown as PlotDocument;
    const svg = renderChart({ mark: "barX", x: "at_risk_minor", y: "cause", fill: "currency" }, result, doc);
    expect(svg).toContain("<svg");
    expect(svg).toContain("At risk (major units)");
    expect(svg.indexOf("payment &lt;never&gt; captured")).toBeLessThan(svg.indexOf("oversell"));
    const line = renderChart({ mark: "line", x: "dropped_rate", y: "mttr_p50_ms" }, result, doc);
    expect(line).toContain("MTTR p50 (hours)");
    expect(() => renderChart({ mark: "dot", x: "nope", y: "cause" }, result, doc)).toThrow(/'nope' is not in the result/);
  });

  describe("0 looks like 0 (issue 11)", () => {
    const { document } = parseHTML("<!doctype html><html><body></body></html>");
    const doc = document as unknown as PlotDocument;
    const weeks = ["2026-10-05T00:00:00.000Z", "2026-10-12T00:00:00.000Z"];
    const zeros: QueryResult = {
      columns: [{ name: "week", kind: "timestamp" }, col("dropped_rate"), col("mttr_p50_ms"), col("duplicates")],
      rows: weeks.map((w) => [w, 0, 0, 0]),
    };
    const ticks = (svg: string): string[] => [...svg.matchAll(/<g[^>]*aria-label="y-axis tick label"[^>]*>(.*?)<\/g>/g)].flatMap((m) => [...(m[1] ?? "").matchAll(/>([^<>]+)<\/text>/g)].map((t) => t[1] ?? ""));
    const bars = (svg: string): { height: number; y: number }[] => [...svg.matchAll(/<rect height="([^"]+)" y="([^"]+)"/g)].map((m) => ({ height: Number(m[1]), y: Number(m[2]) }));

    it.each(["dropped_rate", "mttr_p50_ms", "duplicates"])("%s all zero: bars of no height on the axis foot, ordinary ticks", (y) => {
      const svg = renderChart({ mark: "barY", x: "week", y }, zeros, doc);
      const b = bars(svg);
      expect(b).toHaveLength(2);
      for (const bar of b) expect(bar.height).toBe(0);
      const labels = ticks(svg);
      expect(labels[0]).toBe("0");
      expect(labels.length).toBeGreaterThan(1);
      expect(svg).not.toMatch(/0\.0{3,}/);
    });

    it("the value domain starts at 0 and is never degenerate; a rate spans 0–100 % when all zero", () => {
      expect(valueScale([0, 0, null])).toMatchObject({ domain: [0, 1], ticks: [0, 1], tickFormat: "d" });
      expect(valueScale([], true)).toMatchObject({ domain: [0, 100] });
      expect(valueScale([0.05, 0.012], true)).toMatchObject({ domain: [0, 5] });
      expect(valueScale([3, 0])).toMatchObject({ domain: [0, 3], ticks: [0, 1, 2, 3] });
      expect(valueScale([2.5, 40])).toMatchObject({ domain: [0, 40] });
      expect(valueScale([2.5, 40]).ticks).toBeUndefined();
      expect(valueScale([-2, 5])).toMatchObject({ domain: [-2, 5] });
    });

    it("a non-zero bar still reaches its value", () => {
      const some: QueryResult = { columns: zeros.columns, rows: [[weeks[0] ?? "", 0.05, 0, 3], [weeks[1] ?? "", 0, 0, 0]] };
      const [tall, flat] = bars(renderChart({ mark: "barY", x: "week", y: "duplicates" }, some, doc));
      expect(tall?.height).toBeGreaterThan(100);
      expect(flat?.height).toBe(0);
      expect(ticks(renderChart({ mark: "barY", x: "week", y: "duplicates" }, some, doc))).toEqual(["0", "1", "2", "3"]);
    });
  });
});

describe("the Worker's page shell", () => {
  const nb = parseNotebook("demo", "# Demo\n\nIntro.\n\n## A cell\n\n```sql cell=a\nSELECT '</script><b>' AS x\n```\n\n```sql cell=setup hidden\nSELECT 1\n```\n", () => "");

  it("renders prose, a placeholder per visible cell, and the notebook for the module", () => {
    const html = renderShell(nb, new Date("2026-11-21T12:00:00Z"));
    expect(html).toContain("<h2>A cell</h2>");
    expect(html.match(/class="nb-placeholder"/g)?.length).toBe(1);
    expect(html).toContain('<script type="module" src="/analytics/notebook.js"></script>');
    // The SQL text contains "</script>": the embedded JSON must not end its element early.
    const data = /<script type="application\/json" id="nb-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    expect(JSON.parse(data)).toEqual(nb);
    expect(html).toContain('value="2026-10-22"');
    expect(html).toContain('value="2026-11-22"');
  });

  it("asks for the key in a password field of a form that never submits anywhere", () => {
    const html = renderShell(nb);
    expect(html).toContain('<input type="password" id="nb-key" autocomplete="off">');
    expect(html).toMatch(/<form id="nb-live" method="post"/);
    expect(html).not.toMatch(/<form[^>]*action=/);
    expect(PAGE_CSP).toContain("form-action 'none'");
    expect(PAGE_CSP).not.toMatch(/https?:/);
  });

  it("defaults the live export to the last 30 days including today (a fresh engine's data is in it), across a year boundary", () => {
    expect(recentDays(new Date("2027-01-15T23:59:00Z"))).toEqual({ from: "2026-12-16", to: "2027-01-16" });
    expect(recentDays(new Date("2026-12-31T00:00:00Z"))).toEqual({ from: "2026-12-01", to: "2027-01-01" });
    const html = renderShell(nb, new Date("2026-12-07T06:00:00Z"));
    expect(html).toContain('id="nb-from" value="2026-11-07"');
    expect(html).toContain('id="nb-to" value="2026-12-08"');
  });

  it("links the notebook list and the console from every notebook page and the list", () => {
    for (const html of [renderShell(nb), renderIndex([{ name: "demo", title: "Demo", description: null }])]) {
      expect(html).toContain('<a href="/console">Console</a>');
      expect(html).toContain('<a href="/notebooks">Notebooks</a>');
    }
  });
});

describe("a failing setup cell", () => {
  it("shows its error in the report instead of vanishing with the definitions", () => {
    const nb = parseNotebook("n", "```sql cell=setup hidden\nSELECT broken\n```\n```sql cell=a\nSELECT 1\n```", () => "");
    const [setup, a] = nb.blocks.flatMap((b) => (b.kind === "cell" ? [b.cell] : []));
    if (!setup || !a) throw new Error("cells missing");
    const { document } = parseHTML("<!doctype html><html><body></body></html>");
    const doc = document as unknown as PlotDocument;
    const outputs = new Map([
      ["setup", renderRun({ cell: setup, result: null, error: "Binder Error: broken", ms: 1 }, doc)],
      ["a", renderRun({ cell: a, result: { columns: [col("n")], rows: [[1]] }, error: null, ms: 1 }, doc)],
    ]);
    const html = renderBody(nb, { prose: (m) => m, outputs });
    expect(html).toContain("Binder Error: broken");
    const ok = renderBody(nb, { prose: (m) => m, outputs: new Map([["setup", renderRun({ cell: setup, result: { columns: [], rows: [] }, error: null, ms: 1 }, doc)]]) });
    expect(ok).toContain('<section class="nb-cell nb-hidden" id="cell-setup" data-cell="setup"><div class="nb-output" data-state="done"></div>');
  });
});
