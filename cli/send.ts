import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { handoffClient } from "./api/client";
import { shopifyHeaders, standardHeaders, stripeHeaders } from "./sign";
import { DEMO_FILE, ROOT, type DemoCredentials } from "./start";

/**
 * `npm run demo:send -- <source> <fixture>`: signs one of the senders' sample
 * payloads (test/fixtures) with the demo tenant's secret and POSTs it, so a
 * newcomer sees a real 202 receipt without writing an HMAC by hand.
 */
const KIND_DIR = { shop: "shopify", stripe: "stripe", wms: "standard", carrier: "standard" } as const;
type DemoSource = keyof typeof KIND_DIR;

/** Shopify fixture file name → the X-Shopify-Topic it is sent with. */
function shopifyTopic(fixture: string): string {
  const [resource = "", action = ""] = fixture.split("-");
  return `${resource}/${action}`;
}

function isDemoSource(s: string): s is DemoSource {
  return s in KIND_DIR;
}

export async function send(args: string[]): Promise<void> {
  const [source = "", fixture = ""] = args;
  if (!isDemoSource(source)) throw new Error(`source must be one of ${Object.keys(KIND_DIR).join(", ")}`);
  const dir = path.join(ROOT, "test", "fixtures", KIND_DIR[source]);
  const file = path.join(dir, `${fixture}.json`);
  if (!existsSync(file)) {
    const names = readdirSync(dir).map((f) => f.replace(/\.json$/, ""));
    throw new Error(`no fixture '${fixture}' for ${source}; choose one of: ${names.join(", ")}`);
  }
  if (!existsSync(DEMO_FILE)) throw new Error("no demo credentials yet: run `npm start` first");
  const creds = JSON.parse(readFileSync(DEMO_FILE, "utf8")) as DemoCredentials;
  // Exact bytes: Shopify ids exceed 2^53, so the body must never be re-serialised.
  const body = readFileSync(file, "utf8");
  const secret = creds.secrets[source];
  const headers =
    source === "shop"
      ? await shopifyHeaders({ topic: shopifyTopic(fixture), body, secret })
      : source === "stripe"
        ? await stripeHeaders({ body, secret })
        : await standardHeaders({ body, secret });
  const { data, error, response } = await handoffClient(creds.base_url).POST("/v1/tenants/{tenant}/webhooks/{source}", {
    params: { path: { tenant: creds.tenant, source } },
    headers,
    // The signature covers these exact bytes: the client must send them, not a re-serialised object.
    body: {},
    bodySerializer: () => body,
  });
  console.log(`POST ${response.url} → ${response.status}`);
  console.log(JSON.stringify(data ?? error, null, 2));
}
