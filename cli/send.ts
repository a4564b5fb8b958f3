import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { handoffClient } from "./api/client";
import { DEMO_SENDERS, isDemoSource, signDemo } from "./demo-senders";
import { DEMO_FILE, ROOT, type DemoCredentials } from "./start";
import { stampNow } from "./stamp";

/**
 * `npm run demo:send -- <source> <fixture>`: signs one of the senders' sample
 * payloads (test/fixtures) with the demo tenant's secret and POSTs it, so a
 * newcomer sees a real 202 receipt without writing an HMAC by hand. The
 * payload's timestamps are moved to the moment it is sent (cli/stamp.ts), so a
 * healthy demo order is not past its SLAs on arrival.
 */
export async function send(args: string[]): Promise<void> {
  const [source = "", fixture = ""] = args;
  if (!isDemoSource(source)) throw new Error(`source must be one of ${Object.keys(DEMO_SENDERS).join(", ")}`);
  const dir = path.join(ROOT, "test", "fixtures", DEMO_SENDERS[source].dir);
  const file = path.join(dir, `${fixture}.json`);
  // A preset's configuration sits beside its samples; it is not something the sender posts.
  if (!existsSync(file) || fixture.endsWith(".config")) {
    const names = readdirSync(dir)
      .filter((f) => !f.endsWith(".config.json"))
      .map((f) => f.replace(/\.json$/, ""));
    throw new Error(`no fixture '${fixture}' for ${source}; choose one of: ${names.join(", ")}`);
  }
  if (!existsSync(DEMO_FILE)) throw new Error("no demo credentials yet: run `npm start` first");
  const creds = JSON.parse(readFileSync(DEMO_FILE, "utf8")) as DemoCredentials;
  // Exact bytes: Shopify ids exceed 2^53, so the body is never re-serialised, only its timestamps rewritten.
  const { body: stamped, shiftSeconds } = stampNow(readFileSync(file, "utf8"), Date.now());
  const secret = creds.secrets[source];
  if (secret === undefined) throw new Error(`the demo tenant has no '${source}' sender yet: restart \`npm start\` to register it`);
  const signed = await signDemo(source, fixture, stamped, secret);
  const { data, error, response } = await postWebhook(creds.base_url, creds.tenant, source, signed.headers, signed.body);
  if (shiftSeconds !== 0) console.log(`(the fixture's timestamps moved ${Math.round(shiftSeconds / 86_400)} days forward, to now)`);
  console.log(`POST ${response.url} → ${response.status}`);
  console.log(JSON.stringify(data ?? error, null, 2));
}

/**
 * A refused connection says what it means: Node's own message is a bare
 * "fetch failed", with the reason hidden in `cause`.
 */
export function unreachable(base: string, err: unknown): Error {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : null;
  const code = cause && "code" in cause && typeof cause.code === "string" ? cause.code : null;
  const why = code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new Error(`the engine is not reachable at ${base} (${why}). Start it with \`npm start\` in another terminal, then send again.`, { cause: err });
}

/** POSTs exact bytes through the typed client; a refused connection gets `unreachable`'s explanation. */
export async function postWebhook(base: string, tenant: string, source: string, headers: Record<string, string>, body: string) {
  try {
    return await handoffClient(base).POST("/v1/tenants/{tenant}/webhooks/{source}", {
      params: { path: { tenant, source } },
      headers,
      // The signature covers these exact bytes: the client must send them, not a re-serialised object.
      body: {},
      bodySerializer: () => body,
    });
  } catch (err) {
    throw unreachable(base, err);
  }
}
