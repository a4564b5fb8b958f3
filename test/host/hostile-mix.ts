import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { loadTemplates, shopifyOrderBody } from "../../cli/simulate/payloads";
import { shopifyHeaders } from "../../cli/sign";

/**
 * The hostile mix the local host must survive (issue 12): refused bodies of 2 MiB
 * and 50 MiB, uploads aborted midway, clients that leave before the response,
 * slow trickled bodies and malformed HTTP on raw sockets — while honest senders
 * post signed Shopify orders/create bodies. Every step is bounded in count and
 * time and talks to 127.0.0.1 only. Used by test/host/hostile.host.test.ts (the
 * CI proof) and bench/host/run.ts (old host vs new, on the real engine).
 */

const MiB = 1024 * 1024;
/** No single hostile step may hang the run. */
const STEP_TIMEOUT_MS = 30_000;

export interface HostileTarget {
  url: string;
  tenant: string;
  apiKey: string;
  /** A `shopify` source of the tenant and its secret. */
  source: string;
  secret: string;
}

export interface HostileOptions {
  rounds: number;
  /** Honest senders posting concurrently with the mix, each sending one order after another. */
  honestSenders: number;
}

export interface HostileReport {
  honest: {
    sent: number;
    /** 202: recorded, acknowledged. */
    acked: number;
    status5xx: number;
    /** Statuses other than 202 (5xx included), by status. */
    unexpected: Record<string, number>;
    /** Refused or reset connections: the host was not there. */
    connectionErrors: number;
    /** Acked orders a GET did not find afterwards. */
    missing: string[];
  };
  /** What each hostile step got back: an HTTP status, "closed" (no response) or "error". */
  hostile: Record<string, Record<string, number>>;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/** One request over a fresh connection, with the body fed by `feed`; resolves with the status or how it ended. */
function rawRequest(
  url: string,
  path: string,
  headers: Record<string, string | number>,
  feed: (req: http.ClientRequest, done: () => boolean) => Promise<void>,
): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const req = http.request(`${url}${path}`, { method: "POST", headers, agent: false }, (res) => {
      res.resume();
      finish(String(res.statusCode));
    });
    req.on("error", () => finish("closed"));
    const timer = setTimeout(() => finish("timeout"), STEP_TIMEOUT_MS);
    feed(req, () => settled)
      .then(() => {
        if (!settled) req.end();
      })
      .catch(() => finish("error"));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `total` bytes in 1 MiB chunks, honouring backpressure; stops at `stopAfter` bytes (then destroys) or when answered. */
async function upload(req: http.ClientRequest, done: () => boolean, total: number, stopAfter = total): Promise<void> {
  const chunk = Buffer.alloc(MiB, 0x7b);
  for (let sent = 0; sent < total && !done(); sent += chunk.length) {
    if (sent >= stopAfter) {
      req.destroy();
      return;
    }
    if (!req.write(chunk.subarray(0, Math.min(chunk.length, total - sent)))) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        req.once("drain", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** `size` bytes sent `piece` at a time every `everyMs`; `abortAt` (bytes) leaves midway instead. */
async function trickle(req: http.ClientRequest, done: () => boolean, size: number, piece: number, everyMs: number, abortAt?: number): Promise<void> {
  const body = Buffer.alloc(size, 0x20);
  for (let at = 0; at < size && !done(); at += piece) {
    if (abortAt !== undefined && at >= abortAt) {
      req.destroy();
      return;
    }
    req.write(body.subarray(at, at + piece));
    await sleep(everyMs);
  }
}

/** Raw bytes on a TCP socket; resolves with the status line's code, "closed" or "timeout". */
function rawSocket(port: number, bytes: string | Buffer, leaveAfterMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const sock = net.connect(port, "127.0.0.1");
    const finish = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(outcome);
    };
    let head = "";
    sock.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m?.[1]) finish(m[1]);
    });
    sock.on("error", () => finish("closed"));
    sock.on("close", () => finish("closed"));
    const timer = setTimeout(() => finish("no answer"), leaveAfterMs);
    sock.write(bytes);
  });
}

/** Requests no HTTP server should act on, each ending its connection its own way. */
function malformed(hostPath: string): Record<string, string | Buffer> {
  const big = "x".repeat(128 * 1024);
  return {
    garbage: "GARBAGE\r\n\r\n",
    "binary noise": randomBytes(4096),
    "bad content-length": `POST ${hostPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n{}`,
    "CL+TE smuggling": `POST ${hostPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    "bad chunk size": `POST ${hostPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
    "short body then close": `POST ${hostPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"id":`,
    "128 KiB header": `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${big}\r\n\r\n`,
    "half a request line": `POST /v1/ten`,
    "unknown version": `GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`,
  };
}

/** An orders/create body for a fresh Shopify-style 19-digit order id. */
function honestOrder(templates: ReturnType<typeof loadTemplates>, id: string, n: number): string {
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return shopifyOrderBody(templates.shopifyCreate, { id, number: n, flow: "paid_at_checkout" }, { created }, "paid");
}

export async function runHostileMix(t: HostileTarget, o: HostileOptions): Promise<HostileReport> {
  const port = Number(new URL(t.url).port);
  const hook = `/v1/tenants/${t.tenant}/webhooks/${t.source}`;
  const templates = loadTemplates();
  const stamp = String(Date.now()).slice(-9);
  let serial = 0;
  const nextId = (): string => `7${stamp}${String(serial++).padStart(9, "0")}`;
  const report: HostileReport = {
    honest: { sent: 0, acked: 0, status5xx: 0, unexpected: {}, connectionErrors: 0, missing: [] },
    hostile: {},
  };
  const ackedIds: string[] = [];
  const hostile = (kind: string, outcome: string): void => count((report.hostile[kind] ??= {}), outcome);

  let mixDone = false;
  const honestSender = async (): Promise<void> => {
    // Until the mix ends, and at least a few orders each so the check afterwards means something.
    for (let i = 0; !mixDone || i < 3; i++) {
      const id = nextId();
      const body = honestOrder(templates, id, 2000 + serial);
      const headers = await shopifyHeaders({ topic: "orders/create", body, secret: t.secret });
      report.honest.sent++;
      try {
        const res = await fetch(`${t.url}${hook}`, { method: "POST", headers, body, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
        await res.body?.cancel();
        if (res.status === 202) {
          report.honest.acked++;
          ackedIds.push(id);
        } else {
          count(report.honest.unexpected, String(res.status));
          if (res.status >= 500) report.honest.status5xx++;
        }
      } catch {
        report.honest.connectionErrors++;
        await sleep(500);
      }
    }
  };

  const mix = async (): Promise<void> => {
    for (let round = 0; round < o.rounds; round++) {
      const signedLeaver = honestOrder(templates, nextId(), 9000 + round);
      const leaverHeaders = await shopifyHeaders({ topic: "orders/create", body: signedLeaver, secret: t.secret });
      await Promise.all([
        rawRequest(t.url, hook, { "content-type": "application/json", "content-length": 2 * MiB }, (req, done) => upload(req, done, 2 * MiB)).then((s) => hostile("2 MiB body", s)),
        rawRequest(t.url, hook, { "content-type": "application/json", "content-length": 50 * MiB }, (req, done) => upload(req, done, 50 * MiB)).then((s) => hostile("50 MiB body", s)),
        rawRequest(t.url, hook, { "content-type": "application/json", "content-length": 50 * MiB }, (req, done) => upload(req, done, 50 * MiB, 3 * MiB)).then((s) =>
          hostile("50 MiB upload aborted at 3 MiB", s),
        ),
        rawRequest(t.url, hook, { ...leaverHeaders, "content-length": Buffer.byteLength(signedLeaver) }, async (req) => {
          // The whole signed request, then gone before the engine can answer.
          req.end(signedLeaver);
          await sleep(5);
          req.destroy();
        }).then((s) => hostile("signed order, client leaves before the response", s)),
        rawRequest(t.url, hook, { "content-type": "application/json", "content-length": 8192 }, (req, done) => trickle(req, done, 8192, 512, 150)).then((s) =>
          hostile("8 KiB trickled over 2.4 s", s),
        ),
        rawRequest(t.url, hook, { "content-type": "application/json", "content-length": 8192 }, (req, done) => trickle(req, done, 8192, 512, 150, 4096)).then((s) =>
          hostile("trickle abandoned at 4 KiB", s),
        ),
        ...Object.entries(malformed(hook)).map(([kind, bytes]) => rawSocket(port, bytes).then((s) => hostile(`malformed: ${kind}`, s))),
      ]);
    }
  };

  await Promise.all([mix().finally(() => (mixDone = true)), ...Array.from({ length: o.honestSenders }, honestSender)]);

  for (const id of ackedIds) {
    const res = await fetch(`${t.url}/v1/tenants/${t.tenant}/orders/${id}`, { headers: { authorization: `Bearer ${t.apiKey}` } }).catch(() => null);
    await res?.body?.cancel();
    if (res?.status !== 200) report.honest.missing.push(id);
  }
  return report;
}

/** A fresh tenant with one Shopify source, through the admin API. */
export async function hostileTenant(url: string, adminToken: string, tenant: string): Promise<HostileTarget> {
  const admin = async (method: string, path: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
    return res.json();
  };
  const created = (await admin("POST", "/v1/tenants", { id: tenant, name: "Hostile mix", default_owner: "ops@hostile.example" })) as { api_key?: unknown };
  if (typeof created.api_key !== "string") throw new Error("tenant creation returned no api_key");
  const secret = `shpss_${randomBytes(16).toString("hex")}`;
  await admin("PUT", `/v1/tenants/${tenant}/sources/shop`, { kind: "shopify", secret });
  return { url, tenant, apiKey: created.api_key, source: "shop", secret };
}
