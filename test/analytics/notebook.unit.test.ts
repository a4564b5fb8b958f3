import { describe, expect, it } from "vitest";
import { parseChartSpec } from "../../analytics/engine/chart-spec";
import { NotebookError, cells, parseNotebook, safeRelativePath } from "../../analytics/engine/notebook";
import { mentionedNames, splitStatements } from "../../analytics/engine/run";
import { loadNotebook, notebookNames } from "../../analytics/node/host";

const noFiles = (p: string): string => {
  throw new Error(`unexpected read of ${p}`);
};

describe("parseNotebook", () => {
  it("reads prose, named cells with their headings, hidden cells and charts", () => {
    const nb = parseNotebook(
      "demo",
      [
        "---",
        "title: Demo review",
        "description: What it is for",
        "---",
        "# Heading one",
        "Intro prose.",
        "",
        "```sql cell=setup hidden",
        "CREATE VIEW v AS SELECT 1 AS n;",
        "```",
        "",
        "## Orders per week",
        "",
        "```sql cell=per_week",
        "SELECT * FROM v",
        "```",
        "",
        "```chart",
        '{"mark": "barY", "x": "week", "y": "n", "fill": "source"}',
        "```",
        "",
        "Closing words with an example:",
        "",
        "```sql",
        "SELECT 'not a cell'",
        "```",
      ].join("\n"),
      noFiles,
    );
    expect(nb.title).toBe("Demo review");
    expect(nb.description).toBe("What it is for");
    const cs = cells(nb);
    expect(cs.map((c) => [c.name, c.title, c.hidden, c.file])).toEqual([
      ["setup", "Heading one", true, null],
      ["per_week", "Orders per week", false, null],
    ]);
    expect(cs[1]?.charts).toEqual([{ mark: "barY", x: "week", y: "n", fill: "source" }]);
    expect(cs[1]?.line).toBe(14);
    expect(nb.blocks.map((b) => b.kind)).toEqual(["prose", "cell", "prose", "cell", "prose"]);
    const last = nb.blocks[4];
    expect(last?.kind === "prose" ? last.markdown : "").toContain("SELECT 'not a cell'");
  });

  it("reads file= cells through the host, relative to the notebook's folder", () => {
    const read: string[] = [];
    const nb = parseNotebook("n", "```sql cell=a file=a.sql\n```\n```sql cell=b file=../_shared/b.sql\n```", (p) => {
      read.push(p);
      return `SELECT '${p}'`;
    });
    expect(read).toEqual(["a.sql", "../_shared/b.sql"]);
    expect(cells(nb).map((c) => [c.sql, c.file])).toEqual([
      ["SELECT 'a.sql'", "a.sql"],
      ["SELECT '../_shared/b.sql'", "../_shared/b.sql"],
    ]);
  });

  it("accepts longer and tilde fences", () => {
    const nb = parseNotebook("n", "~~~~sql cell=t\nSELECT '```'\n~~~~\n", noFiles);
    expect(cells(nb)[0]?.sql).toBe("SELECT '```'");
  });

  it.each([
    ["```sql cell=Bad-Name\nSELECT 1\n```", /cell= needs a name/],
    ["```sql cell=a\nSELECT 1\n```\n```sql cell=a\nSELECT 2\n```", /duplicate cell name 'a'/],
    ["```sql cell=a colour=red\nSELECT 1\n```", /unknown cell attribute 'colour'/],
    ["```sql cell=a\n```", /has no SQL/],
    ["```sql cell=a file=a.sql\nSELECT 1\n```", /empty body/],
    ["```sql cell=a file=/etc/passwd\n```", /relative \.sql path/],
    ["```sql cell=a file=../../secrets.sql\n```", /relative \.sql path/],
    ["```chart\n{}\n```", /must directly follow/],
    ["```sql cell=a\nSELECT 1\n```\ntext between\n```chart\n{\"mark\":\"dot\",\"x\":\"a\",\"y\":\"b\"}\n```", /must directly follow/],
    ["```sql cell=a\nSELECT 1\n```\n```chart\n{\"mark\":\"pie\",\"x\":\"a\",\"y\":\"b\"}\n```", /mark must be one of/],
    ["```sql cell=a\nSELECT 1", /unclosed code fence/],
  ])("refuses %j with a line number", (md, message) => {
    expect(() => parseNotebook("bad", md, () => "SELECT 1")).toThrow(NotebookError);
    expect(() => parseNotebook("bad", md, () => "SELECT 1")).toThrow(message);
    expect(() => parseNotebook("bad", md, () => "SELECT 1")).toThrow(/^bad\.md:\d+: /);
  });

  it("names the file a missing SQL file should have been", () => {
    expect(() => parseNotebook("n", "```sql cell=a file=gone.sql\n```", () => {
      throw new Error("ENOENT");
    })).toThrow("n.md:1: cannot read gone.sql: ENOENT");
  });
});

describe("chart blocks", () => {
  it("validates keys, marks, column names and height", () => {
    expect(parseChartSpec('{"mark":"line","x":"week","y":"rate","stroke":"step","title":"T","height":200}')).toEqual({
      mark: "line", x: "week", y: "rate", stroke: "step", title: "T", height: 200,
    });
    expect(() => parseChartSpec('{"mark":"line","x":"week"}')).toThrow(/'y' must name a result column/);
    expect(() => parseChartSpec('{"mark":"line","x":"a b","y":"c"}')).toThrow(/'x' must name/);
    expect(() => parseChartSpec('{"mark":"line","x":"a","y":"c","colour":"x"}')).toThrow(/unknown chart key 'colour'/);
    expect(() => parseChartSpec('{"mark":"line","x":"a","y":"c","height":5}')).toThrow(/height/);
    expect(() => parseChartSpec("[1]")).toThrow(/JSON object/);
    expect(() => parseChartSpec("{mark:")).toThrow(/not JSON/);
  });
});

describe("safeRelativePath", () => {
  it.each([
    ["a.sql", true], ["sub/a.sql", true], ["../_shared/a.sql", true], ["./a.sql", true],
    ["../../a.sql", false], ["/abs.sql", false], ["a.txt", false], ["c:/x.sql", false], ["a\\b.sql", false], ["", false],
  ])("%s → %s", (p, ok) => {
    expect(safeRelativePath(p)).toBe(ok);
  });
});

describe("splitStatements", () => {
  it("splits at top-level semicolons only", () => {
    expect(splitStatements("SELECT 'a;b'; -- c;d\nSELECT \"x;\" /* ; */ ;\n\n-- only a comment;\n")).toEqual([
      "SELECT 'a;b'",
      "-- c;d\nSELECT \"x;\" /* ; */",
    ]);
    expect(splitStatements("SELECT 'it''s;'")).toEqual(["SELECT 'it''s;'"]);
  });
});

describe("mentionedNames", () => {
  it("collects the names the SQL uses, not the ones in its comments", () => {
    const nb = parseNotebook("n", "```sql cell=a\n-- data is not read\nSELECT \"at\", Order_ID /* lag_ms */ FROM events\n```", noFiles);
    const names = mentionedNames(nb);
    expect(names.has("at")).toBe(true);
    expect(names.has("order_id")).toBe(true);
    expect(names.has("data")).toBe(false);
    expect(names.has("lag_ms")).toBe(false);
  });
});

describe("the shipped notebooks", () => {
  it("parse, and every SQL file is used", () => {
    expect(notebookNames()).toEqual(["monthly-root-cause", "sla-review", "weekly-inventory-drift"]);
    for (const name of notebookNames()) {
      const nb = loadNotebook(name);
      expect(cells(nb).filter((c) => !c.hidden).length).toBeGreaterThan(3);
      expect(cells(nb).every((c) => c.file !== null)).toBe(true);
    }
  });
});
