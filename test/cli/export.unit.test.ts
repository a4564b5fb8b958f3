import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportOne, Progress, RecordCounter, resolveOptions, type ExportOptions } from "../../cli/export";

/** The CLI against a stand-in server on 127.0.0.1: streaming to disk, progress, and its error messages. */

const KEY = "hk_good";
const CSV_HEAD = "tenant_id,order_id,note\r\n";
let server: Server;
let base = "";

function rows(n: number, from = 0): string {
  let s = "";
  for (let i = from; i < from + n; i++) s += `acme,o${i},"multi\nline, ""quoted"""\r\n`;
  return s;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "unauthorized", message: "Invalid API key" } }));
      return;
    }
    if (!url.pathname.startsWith("/v1/tenants/acme/")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_found", message: "Not found" } }));
      return;
    }
    if (url.searchParams.get("from") === "bad") {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "validation_failed", message: "Request failed validation", details: [{ path: "from", message: "Invalid date" }] } }));
      return;
    }
    // Broken answers are asked for by their `to` date: the client only names real datasets.
    if (url.searchParams.get("to") === "2099-01-01") {
      // Ends cleanly on a record, but before the rows the engine announced.
      res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "x-export-rows": "1000" }).end(CSV_HEAD + rows(500));
      return;
    }
    if (url.searchParams.get("to") === "2099-01-02") {
      res.writeHead(200, { "content-type": "text/csv; charset=utf-8" }).end(CSV_HEAD + rows(3) + 'acme,o3,"multi\nli');
      return;
    }
    res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "x-export-rows": url.pathname.endsWith("/events.csv") ? "1000" : "0" });
    if (url.pathname.endsWith("/tasks.csv")) {
      // Cut off mid-body, as the engine does when D1 fails after the first page.
      res.write(CSV_HEAD + rows(10));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (url.pathname.endsWith(".ndjson")) {
      res.end('{"a":"x\\ny"}\n{"a":2}\n');
      return;
    }
    // Several chunks, split mid-record and mid-quote.
    const body = CSV_HEAD + rows(1000);
    const parts = [body.slice(0, 7), body.slice(7, 5000), body.slice(5000, 5003), body.slice(5003)];
    const next = () => {
      const p = parts.shift();
      if (p === undefined) res.end();
      else res.write(p, () => setTimeout(next, 2));
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function options(o: Partial<ExportOptions> = {}): ExportOptions {
  return { tenant: "acme", from: "2026-10-01", to: "2026-11-01", out: mkdtempSync(path.join(tmpdir(), "ax-cli-")), format: "csv", base, key: KEY, ...o };
}

/** A log, not a terminal, printing every update. */
function quiet(): { progress: Progress; output: () => string } {
  let text = "";
  const sink = { isTTY: false, write: (s: string) => (text += s) };
  return { progress: new Progress(sink, 0), output: () => text };
}

describe("npm run export", () => {
  it("streams each export to <out>/<name>.<format>, counting CSV records across chunks and quoted newlines", async () => {
    const o = options();
    const { progress, output } = quiet();
    const r = await exportOne(o, "events", progress);
    expect(r).toMatchObject({ name: "events", file: path.join(o.out, "events.csv"), rows: 1000 });
    expect(readFileSync(r.file, "utf8")).toBe(CSV_HEAD + rows(1000));
    expect(r.bytes).toBe(Buffer.byteLength(CSV_HEAD + rows(1000)));
    expect(readdirSync(o.out)).toEqual(["events.csv"]);
    expect(output()).toMatch(/events\s+[\d,]+ rows\s+[\d.]+ MB\s+[\d,]+ rows\/s\n/);
  });

  it("NDJSON counts lines", async () => {
    const r = await exportOne(options({ format: "ndjson" }), "orders", quiet().progress);
    expect(r.rows).toBe(2);
  });

  it("a body cut off mid-way is an error and leaves no file behind", async () => {
    const o = options();
    await expect(exportOne(o, "tasks", quiet().progress)).rejects.toThrow(/tasks export failed after 10 rows: terminated/);
    expect(readdirSync(o.out)).toEqual([]);
  });

  it("a body that ends early but cleanly, or mid-record, is refused too", async () => {
    const o = options();
    await expect(exportOne({ ...o, to: "2099-01-01" }, "events", quiet().progress)).rejects.toThrow(/events export was cut off: 500 of 1,000 rows arrived$/);
    await expect(exportOne({ ...o, to: "2099-01-02" }, "events", quiet().progress)).rejects.toThrow(/events export was cut off: 3 of 0 rows arrived, the last one incomplete/);
    expect(readdirSync(o.out)).toEqual([]);
  });

  it("explains 401, 404, 400 and a refused connection", async () => {
    const p = quiet().progress;
    await expect(exportOne(options({ key: "hk_bad" }), "events", p)).rejects.toThrow(/API key was refused \(401: Invalid API key\)/);
    await expect(exportOne(options({ tenant: "globex" }), "events", p)).rejects.toThrow(/tenant 'globex' not found for this key \(404\)/);
    await expect(exportOne(options({ from: "bad" }), "events", p)).rejects.toThrow(/400 validation_failed\): from: Invalid date/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const addr = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 1}`;
    const o = options({ base: dead });
    await expect(exportOne(o, "events", p)).rejects.toThrow(/connection refused/);
    expect(existsSync(path.join(o.out, "events.csv"))).toBe(false);
  });

  it("options: flags, then demo.json for the demo tenant, then HANDOFF_URL / HANDOFF_API_KEY", () => {
    const demo = () => ({ base_url: "http://127.0.0.1:9999", api_key: "hk_demo" });
    expect(resolveOptions(["--tenant", "demo"], {}, demo)).toMatchObject({ base: "http://127.0.0.1:9999", key: "hk_demo", format: "csv", out: "exports" });
    expect(resolveOptions(["--tenant", "demo", "--key", "k", "--base", "http://h/"], {}, demo)).toMatchObject({ base: "http://h", key: "k" });
    expect(resolveOptions(["--tenant", "acme", "--format", "ndjson"], { HANDOFF_URL: "https://api.example", HANDOFF_API_KEY: "hk_env" }, demo)).toMatchObject({
      base: "https://api.example",
      key: "hk_env",
      format: "ndjson",
    });
    expect(resolveOptions(["--tenant", "acme", "--key", "k"], {}, demo).base).toBe("http://127.0.0.1:8787");
    expect(() => resolveOptions(["--tenant", "acme"], {}, demo)).toThrow(/no API key for tenant 'acme'/);
    expect(() => resolveOptions([], {}, demo)).toThrow(/--tenant is required/);
    expect(() => resolveOptions(["--tenant", "acme", "--key", "k", "--format", "xlsx"], {}, demo)).toThrow(/--format must be csv or ndjson/);
  });

  it("the record counter survives any chunking", () => {
    const text = new TextEncoder().encode(CSV_HEAD + rows(50));
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const c = new RecordCounter(true);
      for (let i = 0; i < text.length; i += size) c.push(text.subarray(i, i + size));
      expect(c.rows()).toBe(50);
    }
  });
});
