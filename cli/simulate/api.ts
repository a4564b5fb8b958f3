import { z } from "zod";

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
        export: z.object({ export_id: z.string(), intended_action: z.string() }),
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

export const TaskLite = z.object({
  task_id: z.string(),
  order_id: z.string().nullable(),
  type: z.string(),
  status: z.string(),
  owner: z.string(),
  step: z.string(),
});
export type TaskLite = z.infer<typeof TaskLite>;

const TaskPage = z.object({ tasks: z.array(TaskLite), next_cursor: z.string().nullable() });

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

export class EngineApi {
  constructor(
    readonly base: string,
    readonly tenant: string,
    private readonly apiKey: string | null,
    private readonly adminToken: string | null,
  ) {}

  get canAdmin(): boolean {
    return this.adminToken !== null;
  }

  private async call(method: string, path: string, auth: "key" | "admin", body?: unknown): Promise<Response> {
    const token = auth === "admin" ? this.adminToken : (this.apiKey ?? this.adminToken);
    if (token === null) throw new Error(auth === "admin" ? "this needs an admin token (--admin-token or HANDOFF_ADMIN_TOKEN)" : "this needs the tenant's API key (--api-key or HANDOFF_API_KEY)");
    return fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    });
  }

  private async json(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    if (!res.ok) throw new ApiError(`${what}: ${res.status} ${text.slice(0, 300)}`, res.status);
    return JSON.parse(text);
  }

  private t(): string {
    return `/v1/tenants/${encodeURIComponent(this.tenant)}`;
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
    const res = await this.call("GET", `${this.t()}/orders/${encodeURIComponent(id)}`, "key");
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const body = z.object({ order: OrderLite }).parse(await this.json(res, `GET order ${id}`));
    return body.order;
  }

  /** Every task with this status, following the cursor. */
  async tasks(status: "open" | "claimed"): Promise<TaskLite[]> {
    const out: TaskLite[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ status, limit: "200" });
      if (cursor) q.set("cursor", cursor);
      const page = TaskPage.parse(await this.json(await this.call("GET", `${this.t()}/tasks?${q.toString()}`, "key"), "GET tasks"));
      out.push(...page.tasks);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return out;
  }

  /** The current rules (consumer secrets redacted), or null when none are set. */
  async ownership(): Promise<{ version: number; rules: Record<string, unknown> } | null> {
    const res = await this.call("GET", `${this.t()}/ownership`, "admin");
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    return RulesVersion.parse(await this.json(res, "GET ownership"));
  }

  async putOwnership(rules: unknown): Promise<number> {
    const body = RulesVersion.parse(await this.json(await this.call("PUT", `${this.t()}/ownership`, "admin", rules), "PUT ownership"));
    return body.version;
  }

  async putSource(name: string, kind: "shopify" | "stripe" | "standard", secret: string): Promise<void> {
    await this.json(await this.call("PUT", `${this.t()}/sources/${encodeURIComponent(name)}`, "admin", { kind, secret }), `PUT source ${name}`);
  }
}
