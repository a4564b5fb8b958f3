import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import type { Access } from "../domain/access/scopes";
import { accessForTemplate } from "./access/table";

export const VERSION = "0.1.0";

/**
 * How each operation authenticates. The senders' signatures are HMACs over
 * the raw body, not keys; OpenAPI has no scheme for that, so each is declared
 * as the header it travels in (apiKey in header) and described.
 */
export const SECURITY_SCHEMES = {
  adminToken: { type: "http", scheme: "bearer", description: "The bootstrap ADMIN_TOKEN (root credential for automation and recovery)." },
  tenantKey: {
    type: "http",
    scheme: "bearer",
    description:
      "A tenant API key (`hk_<tenant>_…`), issued by POST /v1/tenants/{tenant}/api-keys, or an agency key (`hka_<agency>_…`), which acts on each merchant of its agency as merchant_admin. " +
      "The requirement names the least scope the operation needs; scopes are ordered read < operator < merchant_admin < agency_admin. Below it: 403 `forbidden_scope`; another tenant's key: 404.",
  },
  agencyKey: { type: "http", scheme: "bearer", description: "An agency's key (`hka_<agency>_…`, scope agency_admin), issued by POST /v1/agencies." },
  shopifyHmac: {
    type: "apiKey",
    in: "header",
    name: "X-Shopify-Hmac-Sha256",
    description: "Shopify: base64 HMAC-SHA256 of the raw body, keyed with the app's client secret (the source's secret). Covers the body only, not the topic header.",
  },
  stripeSignature: {
    type: "apiKey",
    in: "header",
    name: "Stripe-Signature",
    description: "Stripe: `t=<unix>,v1=<hex HMAC-SHA256 of \"t.body\">`, keyed with the endpoint's `whsec_…` secret; 300 s tolerance.",
  },
  standardWebhooks: {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description:
      "Standard Webhooks: `v1,<base64 HMAC-SHA256 of \"webhook-id.webhook-timestamp.body\">`, keyed with the base64 part of the `whsec_…` secret; 300 s tolerance.",
  },
  wooCommerceSignature: {
    type: "apiKey",
    in: "header",
    name: "X-WC-Webhook-Signature",
    description: "WooCommerce: base64 HMAC-SHA256 of the raw body, keyed with the webhook's secret. Its unsigned `webhook_id=<n>` ping is answered 200 and recorded nowhere.",
  },
  easypostSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Hmac-Signature",
    description: "EasyPost: `hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>`, keyed with the webhook secret after Unicode NFKD normalisation.",
  },
  hmacPreset: {
    type: "apiKey",
    in: "header",
    name: "X-Signature",
    description:
      "A source of kind `hmac`: the header, algorithm, encoding, prefix and signed payload its configuration names (X-Signature is only an example). Adyen sources need no header: each notification item carries its own `additionalData.hmacSignature`.",
  },
} as const;
export type SecurityScheme = keyof typeof SECURITY_SCHEMES;

/** A security requirement list: any one of the named schemes. */
export function anyOf(...schemes: SecurityScheme[]): Record<string, string[]>[] {
  return schemes.map((s) => ({ [s]: [] }));
}

/** Public documents (JSON Schemas) need no credential; an empty list says so explicitly. */
export const PUBLIC: Record<string, string[]>[] = [];

const info = {
  title: "Handoff",
  version: VERSION,
  description: "Fulfillment execution engine: signed webhooks in, durable receipts, per-order state machine, audit trail.",
  // No public licence: SPDX's LicenseRef- form names that without inventing one.
  license: { name: "Proprietary (private package)", identifier: "LicenseRef-Proprietary" },
};

/**
 * The document the routes describe. `origin` is the server to name: the
 * served /openapi.json names the engine that served it; the committed copy
 * (cli/api/openapi.json) names a variable origin, so it does not depend on a port.
 */
export function openApiConfig(origin?: string) {
  return {
    openapi: "3.1.0",
    info,
    servers: origin
      ? [{ url: origin, description: "This engine" }]
      : [
          {
            url: "{origin}",
            description: "A Handoff engine: `npm start` prints its local origin; a deployed Worker's URL otherwise.",
            variables: { origin: { default: "http://127.0.0.1:8787" } },
          },
        ],
  };
}

export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
}

/** The security requirement an access decision means; undefined for a sender's signature (the route names the scheme). */
function requirement(access: Access, template: string): Record<string, string[]>[] | undefined {
  switch (access.auth) {
    case "public":
    case "session":
      return [];
    case "signature":
      return undefined;
    case "root":
      return [{ adminToken: [] }];
    case "key": {
      const scheme = template.startsWith("/v1/agencies/") ? "agencyKey" : "tenantKey";
      return [{ [scheme]: [access.scope] }, ...(access.root ? [{ adminToken: [] }] : [])];
    }
  }
}

/**
 * The 3.1 document of an app, without serving it (the CLI's spec writer and the drift test use this).
 * Every operation's `security` is written from its access decision (worker/access/table.ts), so the
 * document cannot disagree with what the gate enforces; an operation without a decision is an error.
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>, origin?: string) {
  const doc = app.getOpenAPI31Document(openApiConfig(origin));
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ["get", "put", "post", "delete", "patch"] as const) {
      const op = item[method];
      if (!op) continue;
      const access = accessForTemplate(method, template);
      if (!access) throw new Error(`${method.toUpperCase()} ${template} has no access decision: add it to worker/access/table.ts`);
      const security = requirement(access, template);
      if (security) op.security = security;
      if (access.auth === "key" || access.auth === "root") {
        // Every credentialed call can meet a missing key (401) and a key outside its scope (403 forbidden_scope).
        const error = (status: string) => ({ description: `Error (${status})`, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
        op.responses ??= {};
        op.responses["401"] ??= error("401");
        op.responses["403"] ??= error("403");
      }
    }
  }
  return doc;
}

/** Headers the senders sign with; documented on the webhook route (which of them applies depends on the source's kind). */
export const SenderHeaders = z.object({
  "x-shopify-hmac-sha256": z.string().optional().openapi({ description: "Shopify sources: the body's HMAC (see shopifyHmac)." }),
  "x-shopify-topic": z
    .string()
    .optional()
    .openapi({ description: "Shopify sources: required. The body must agree with it (orders/paid a paid financial_status, orders/cancelled a cancelled_at …)." }),
  "x-shopify-event-id": z.string().optional().openapi({ description: "Shopify sources: the event id; with the topic, the idempotency key." }),
  "x-shopify-webhook-id": z.string().optional().openapi({ description: "Shopify sources: used as the delivery id when X-Shopify-Event-Id is absent." }),
  "x-shopify-triggered-at": z.string().optional().openapi({ description: "Shopify sources: when the event fired; fallback for occurred_at." }),
  "stripe-signature": z.string().optional().openapi({ description: "Stripe sources: see stripeSignature." }),
  "webhook-id": z.string().optional().openapi({ description: "Standard Webhooks sources: the message id (idempotency key); signed." }),
  "webhook-timestamp": z.string().optional().openapi({ description: "Standard Webhooks sources: unix seconds; signed; 300 s tolerance." }),
  "webhook-signature": z.string().optional().openapi({ description: "Standard Webhooks sources: see standardWebhooks." }),
  "x-wc-webhook-signature": z.string().optional().openapi({ description: "WooCommerce sources: see wooCommerceSignature." }),
  "x-wc-webhook-topic": z.string().optional().openapi({ description: "WooCommerce sources: required; order.created and order.updated are handled." }),
  "x-wc-webhook-delivery-id": z.string().optional().openapi({ description: "WooCommerce sources: with the order's modification time and status, the idempotency key." }),
  "x-hmac-signature": z.string().optional().openapi({ description: "EasyPost sources: see easypostSignature." }),
});
