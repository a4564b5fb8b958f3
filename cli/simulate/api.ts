import { z } from "zod";
import { errorEnvelope, handoffClient, type HandoffClient } from "../api/client";
import type { paths } from "../api/schema";

/** The body PUT /ownership takes, as the spec declares it. */
export type OwnershipRulesBody = paths["/v1/tenants/{tenant}/ownership"]["put"]["requestBody"]["content"]["application/json"];
/** The body PUT /sources/:source takes. */
export type SourceBody = paths["/v1/tenants/{tenant}/sources/{source}"]["put"]["requestBody"]["content"]["application/json"];

/**
 * The few engine calls the simulator makes, with only the fields it reads
 * validated (the engine's own schemas are richer; staying loose here keeps
 * the simulator usable against an older or newer deployment).
 */

export const OrderLite = z.object({
  state: z.string(),
  receipts: z.array(z.object({ id: z.string() })).default([]),
  exports: z
    .array(
      z.object({
        export: z.object({
          export_id: z.string(),
          intended_action: z.string(),
          version: z.number().optional(),
          // Read by --stock: which units were routed and which backordered.
          order: z.object({ line_items: z.array(z.object({ sku: z.string(), quantity: z.number() })).default([]) }).optional(),
        }),
        status: z.string(),
        attempts: z.array(z.object({ status: z.number().nullable(), outcome: z.string() })).default([]),
      }),
    )
    .default([]),
  sla: z.array(z.object({ step: z.string(), due_at: z.string(), owner: z.string() })).default([]),
  holds: z.array(z.object({ reason: z.string() })).default([]),
  outbox: z.object({ pending: z.number() }).default({ pending: 0 }),
});
export type OrderLite = z.infer<typeof OrderLite>;

/** What GET /v1/tenants/:tenant/inventory/:sku answers, reduced to what --stock reads. */
export const LevelLite = z.object({ sku: z.string(), on_hand: z.number(), reserved: z.number(), available: z.number(), oversell_buffer: z.number() });
export type LevelLite = z.infer<typeof LevelLite>;

export const TaskLite = z.object({
  task_id: z.string(),
  order_id: z.string().nullable(),
  type: z.string(),
  status: z.string(),
  owner: z.string(),
  step: z.string(),
  opened_at: z.string().default(""),
  ref: z.string().default(""),
});
export type TaskLite = z.infer<typeof TaskLite>;

const TaskPage = z.object({ tasks: z.array(TaskLite), next_cursor: z.string().nullable() });

const SourceWatch = z.object({ silence_after: z.string() });
export type SourceWatch = z.infer<typeof SourceWatch>;
const StoredSource = z.object({ source: z.object({ watch: SourceWatch.nullable().default(null) }) });
const WatcherRunLite = z.object({ run: z.object({ opened: z.object({ source_silent: z.array(z.string()) }) }) });

const RulesVersion = z.object({ version: z.number(), rules: z.record(z.string(), z.unknown()) });

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const READ_TIMEOUT_MS = 30_000;

/** What a typed-client call hands back, reduced to what the simulator checks. */
interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export class EngineApi {
  private readonly keyClient: HandoffClient | null;
  private readonly adminClient: HandoffClient | null;

  constructor(
    readonly base: string,
    readonly tenant: string,
    apiKey: string | null,
    adminToken: string | null,
  ) {
    // Reads take the tenant key when there is one, else the admin token (which every route also accepts).
    this.keyClient = apiKey ?? adminToken ? handoffClient(base, apiKey ?? adminToken) : null;
    this.adminClient = adminToken ? handoffClient(base, adminToken) : null;
  }

  get canAdmin(): boolean {
    return this.adminClient !== null;
  }

  private client(auth: "key" | "admin"): HandoffClient {
    const c = auth === "admin" ? this.adminClient : this.keyClient;
    if (c === null) throw new Error(auth === "admin" ? "this needs an admin token (--admin-token or HANDOFF_ADMIN_TOKEN)" : "this needs the tenant's API key (--api-key or HANDOFF_API_KEY)");
    return c;
  }

  /** The answer's body, or an ApiError naming what failed; a 404 is null when `missing` allows it. */
  private body(a: Answer, what: string, missing: "null" | "error" = "error"): unknown {
    if (a.response.ok) return a.data;
    if (a.response.status === 404 && missing === "null") return null;
    const { code, message } = errorEnvelope(a.error);
    throw new ApiError(`${what}: ${a.response.status} ${code} ${message}`.trim(), a.response.status);
  }

  private signal() {
    return AbortSignal.timeout(READ_TIMEOUT_MS);
  }

  async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(5000) })).ok;
    } catch {
      return false;
    }
  }

  /** null when the engine has no such order. */
  async order(id: string): Promise<OrderLite | null> {
    const a = await this.client("key").GET("/v1/tenants/{tenant}/orders/{order_id}", {
      params: { path: { tenant: this.tenant, order_id: id } },
      signal: this.signal(),
    });
    const body = this.body(a, `GET order ${id}`, "null");
    return body === null ? null : z.object({ order: OrderLite }).parse(body).order;
  }

  /** One SKU's level as its inventory object holds it (a SKU nobody reported reads as zero). */
  async inventory(sku: string): Promise<LevelLite> {
    const a = await this.client("key").GET("/v1/tenants/{tenant}/inventory/{sku}", { params: { path: { tenant: this.tenant, sku } }, signal: this.signal() });
    return LevelLite.parse(this.body(a, `GET inventory ${sku}`));
  }

  /** Every task with this status (and type, if given), following the cursor. */
  async tasks(status: "open" | "claimed", type?: "source_silent"): Promise<TaskLite[]> {
    const out: TaskLite[] = [];
    let cursor: string | null = null;
    do {
      const a = await this.client("key").GET("/v1/tenants/{tenant}/tasks", {
        params: { path: { tenant: this.tenant }, query: { status, limit: 200, ...(type ? { type } : {}), ...(cursor ? { cursor } : {}) } },
        signal: this.signal(),
      });
      const page = TaskPage.parse(this.body(a, "GET tasks"));
      out.push(...page.tasks);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return out;
  }

  /** The current rules (consumer secrets redacted), or null when none are set. */
  async ownership(): Promise<{ version: number; rules: Record<string, unknown> } | null> {
    const a = await this.client("admin").GET("/v1/tenants/{tenant}/ownership", { params: { path: { tenant: this.tenant } }, signal: this.signal() });
    const body = this.body(a, "GET ownership", "null");
    return body === null ? null : RulesVersion.parse(body);
  }

  async putOwnership(rules: OwnershipRulesBody): Promise<number> {
    const a = await this.client("admin").PUT("/v1/tenants/{tenant}/ownership", { params: { path: { tenant: this.tenant } }, body: rules, signal: this.signal() });
    return RulesVersion.parse(this.body(a, "PUT ownership")).version;
  }

  /**
   * Stores a sender; `watch` undefined keeps its current watch, null clears it.
   * Answers the watch in force afterwards (so a PUT without one reads it).
   */
  async putSource(name: string, kind: "shopify" | "stripe" | "standard", secret: string, watch?: SourceWatch | null): Promise<SourceWatch | null> {
    return this.putSourceBody(name, { kind, secret, ...(watch === undefined ? {} : { watch }) });
  }

  /** Any kind of sender, with its configuration (EasyPost's order-id path, the hmac preset and its sample). */
  async putSourceBody(name: string, body: SourceBody): Promise<SourceWatch | null> {
    const a = await this.client("admin").PUT("/v1/tenants/{tenant}/sources/{source}", {
      params: { path: { tenant: this.tenant, source: name } },
      body,
      signal: this.signal(),
    });
    return StoredSource.parse(this.body(a, `PUT source ${name}`)).source.watch;
  }

  /** POST …/watchers/run: the ids of the source_silent tasks this sweep opened. */
  async runWatchers(): Promise<string[]> {
    const a = await this.client("key").POST("/v1/tenants/{tenant}/watchers/run", { params: { path: { tenant: this.tenant } }, signal: this.signal() });
    return WatcherRunLite.parse(this.body(a, "POST watchers/run")).run.opened.source_silent;
  }
}
