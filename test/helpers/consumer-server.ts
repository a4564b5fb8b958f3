import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import type { LoggedRequest, Script, ScriptedResponse } from "./consumer";

/**
 * vitest globalSetup for the workers project: one scriptable downstream
 * consumer (WMS, carrier…) on 127.0.0.1, reachable from workerd's real fetch.
 * It runs in Node, once per run, and tells the tests where it is through
 * `inject("consumerUrl")` (test/helpers/consumer.ts has the client).
 *
 * Protocol, all JSON:
 *   POST   /__script/:scenario  {responses:[{status,headers?,delay_ms?,body?}], then?}  (re)script, reset position
 *   POST   /:scenario[/...]     recorded, answered with the next scripted response (200 when unscripted)
 *   GET    /__log/:scenario     {requests:[{at,method,path,headers,body,answered_status}]}
 *   DELETE /__log/:scenario     clears the log
 */

const HOST = "127.0.0.1";
/** Per-scenario log length; a runaway retry loop must not grow the test process without bound. */
const LOG_LIMIT = 1000;
/** Scenarios are per test; past this many the oldest is forgotten. */
const SCENARIO_LIMIT = 10_000;
const BODY_LIMIT = 1024 * 1024;
const MAX_DELAY_MS = 10 * 60 * 1000;
const MAX_RESPONSES = 1000;
const DEFAULT_THEN: ScriptedResponse = { status: 200, body: JSON.stringify({ ok: true }) };

interface Scenario {
  responses: ScriptedResponse[];
  then: ScriptedResponse;
  next: number;
  log: LoggedRequest[];
}

export interface ConsumerServer {
  url: string;
  close(): Promise<void>;
}

class BadRequest extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseResponse(v: unknown, where: string): ScriptedResponse {
  if (!isRecord(v)) throw new BadRequest(`${where} must be an object`);
  const { status, headers, delay_ms, body } = v;
  // Node refuses to write an informational status as the final answer, and fetch never sees one.
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new BadRequest(`${where}.status must be an integer 200–599`);
  }
  const out: ScriptedResponse = { status };
  if (headers !== undefined) {
    if (!isRecord(headers) || !Object.values(headers).every((h) => typeof h === "string")) {
      throw new BadRequest(`${where}.headers must map names to strings`);
    }
    out.headers = Object.fromEntries(Object.entries(headers).map(([k, h]) => [k, String(h)]));
  }
  if (delay_ms !== undefined) {
    if (typeof delay_ms !== "number" || !(delay_ms >= 0) || delay_ms > MAX_DELAY_MS) {
      throw new BadRequest(`${where}.delay_ms must be 0–${MAX_DELAY_MS}`);
    }
    out.delay_ms = delay_ms;
  }
  if (body !== undefined) {
    if (typeof body !== "string") throw new BadRequest(`${where}.body must be a string`);
    out.body = body;
  }
  return out;
}

function parseScript(raw: string): Script & { then: ScriptedResponse } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new BadRequest("script is not JSON");
  }
  if (!isRecord(v) || !Array.isArray(v.responses)) throw new BadRequest("script needs a responses array");
  if (v.responses.length > MAX_RESPONSES) throw new BadRequest(`at most ${MAX_RESPONSES} responses`);
  const responses = v.responses.map((r, i) => parseResponse(r, `responses[${i}]`));
  const then = v.then === undefined ? DEFAULT_THEN : parseResponse(v.then, "then");
  return { responses, then };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        reject(new BadRequest(`body over ${BODY_LIMIT} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  // The client may have given up (a timeout test); answering a closed socket is not an error worth a crash.
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value));
}

export async function startConsumerServer(): Promise<ConsumerServer> {
  const scenarios = new Map<string, Scenario>();
  const pending = new Set<NodeJS.Timeout>();

  function scenario(name: string): Scenario {
    let s = scenarios.get(name);
    if (s === undefined) {
      s = { responses: [], then: DEFAULT_THEN, next: 0, log: [] };
      scenarios.set(name, s);
      if (scenarios.size > SCENARIO_LIMIT) {
        const oldest = scenarios.keys().next();
        if (!oldest.done) scenarios.delete(oldest.value);
      }
    }
    return s;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    let parts: string[];
    try {
      parts = url.pathname.split("/").filter((p) => p !== "").map((p) => decodeURIComponent(p));
    } catch {
      throw new BadRequest("malformed percent-encoding in the path");
    }
    const [first, second] = parts;
    const method = req.method ?? "GET";

    if (first === "__script" && second !== undefined && parts.length === 2) {
      if (method !== "POST") return sendJson(res, 405, { error: "POST a script" });
      const { responses, then } = parseScript(await readBody(req));
      const s = scenario(second);
      s.responses = responses;
      s.then = then;
      s.next = 0;
      return sendJson(res, 200, { scenario: second, responses: responses.length });
    }

    if (first === "__log" && second !== undefined && parts.length === 2) {
      if (method === "GET") return sendJson(res, 200, { requests: scenarios.get(second)?.log ?? [] });
      if (method === "DELETE") {
        const s = scenarios.get(second);
        if (s) s.log = [];
        return sendJson(res, 200, { cleared: true });
      }
      return sendJson(res, 405, { error: "GET or DELETE the log" });
    }

    if (first === undefined || first.startsWith("__")) return sendJson(res, 404, { error: "no such route" });
    if (method !== "POST") return sendJson(res, 405, { error: "consumers take POST" });

    const at = Date.now();
    const body = await readBody(req);
    const s = scenario(first);
    const answer = s.responses[s.next] ?? s.then;
    if (s.next < s.responses.length) s.next++;
    s.log.push({ at, method, path: `${url.pathname}${url.search}`, headers: flatHeaders(req), body, answered_status: answer.status });
    if (s.log.length > LOG_LIMIT) s.log.splice(0, s.log.length - LOG_LIMIT);

    const payload = answer.body ?? JSON.stringify({ ok: answer.status < 300 });
    const delay = answer.delay_ms ?? 0;
    if (delay <= 0) return send(res, answer.status, payload, answer.headers);
    const timer = setTimeout(() => {
      pending.delete(timer);
      send(res, answer.status, payload, answer.headers);
    }, delay);
    pending.add(timer);
    // A client that gave up frees its timer now rather than at teardown.
    res.on("close", () => {
      clearTimeout(timer);
      pending.delete(timer);
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof BadRequest) sendJson(res, 400, { error: err.message });
      else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  // Longer than any test: a server closing an idle keep-alive socket just as
  // workerd reuses it is a spurious "network" error in a test about retries.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of pending) clearTimeout(t);
        pending.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        // close() alone waits for keep-alive sockets to idle out.
        server.closeAllConnections();
      }),
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const consumer = await startConsumerServer();
  project.provide("consumerUrl", consumer.url);
  return () => consumer.close();
}
