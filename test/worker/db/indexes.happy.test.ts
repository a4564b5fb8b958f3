import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { EXPORT_ROWS, type ExportName } from "../../../worker/analytics-exports/rows";
import type { Env } from "../../../worker/env";
import worker from "../../../worker/index";
import { handoffRules } from "../../helpers/handoff";
import { ADMIN_TOKEN, seedTenant, testRequest } from "../../helpers/http";
import { agencyWithMerchants, putTemplate } from "../../helpers/rule-templates";
import { ConsoleClient } from "../console/helpers";

/**
 * Issue 19: "no D1 index that no query uses". Every D1 index is a row written on
 * every insert (and on every update that assigns one of its columns), so each must
 * earn its keep. Rather than a list of queries copied from the code, the engine's
 * own readers run against a D1 handle that records every statement they prepare:
 * the API's list routes, every export, the console's pages and the cron (sweep,
 * retention, watchers). Each recorded statement is planned with EXPLAIN QUERY PLAN,
 * and every index in the schema must appear in some plan.
 */

const T = "idx-audit";
const AGENCY = "idx-agency";
const MERCHANT = "idx-merchant";

/** A D1 handle that remembers the SQL of every statement prepared through it. */
function recording(db: D1Database, seen: Set<string>): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => {
          seen.add(sql);
          return target.prepare(sql);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function plan(sql: string): Promise<string[]> {
  // Numbered parameters (?1 … ?N) bind once however often they appear.
  const numbered = new Set(sql.match(/\?\d+/g) ?? []).size;
  const binds = Array.from({ length: numbered > 0 ? numbered : (sql.match(/\?/g) ?? []).length }, () => "x");
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...binds).all<{ detail: string }>();
  return results.map((r) => r.detail);
}

describe("D1 indexes", () => {
  const seen = new Set<string>();
  const recEnv: Env = { ...env, DB: recording(env.DB, seen) };

  async function get(path: string, token: string, headers: Record<string, string> = {}): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(testRequest("GET", path, { token, headers }), recEnv, ctx);
    await res.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return res;
  }

  beforeAll(async () => {
    const key = await seedTenant(T);
    const agency = await agencyWithMerchants(AGENCY, [MERCHANT]);
    expect((await putTemplate(agency, "standard", handoffRules("wms", "carrier"))).status).toBe(200);

    // The API's readers, as an integration calls them.
    const reads: [string, string][] = [
      [`/v1/tenants/${T}/api-keys`, ADMIN_TOKEN],
      [`/v1/tenants/${T}/rejections`, key],
      [`/v1/tenants/${T}/tasks`, key],
      [`/v1/tenants/${T}/campaigns`, key],
      [`/v1/tenants/${T}/what-if`, key],
      [`/v1/agencies/${AGENCY}/rule-templates/standard`, agency.agencyKey],
      ...(Object.keys(EXPORT_ROWS) as ExportName[]).map((name): [string, string] => [`/v1/tenants/${T}/exports/${name}.csv?from=2026-10-01&to=2026-11-01`, key]),
    ];
    for (const [path, token] of reads) expect((await get(path, token)).status, path).toBe(200);

    // The console's today page, signed in as an operator would be.
    const browser = new ConsoleClient();
    await browser.session(T, key, "ops");
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    expect((await get("/console/today", "", { cookie })).status).toBe(200);

    // The cron: sweep, retention and every watcher.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), recEnv, ctx);
    await waitOnExecutionContext(ctx);
  });

  it("every index in the schema is used by a query the engine runs", async () => {
    const { results } = await env.DB.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all<{ name: string; tbl_name: string }>();
    const indexes = results.map((r) => r.name).filter((n) => !n.startsWith("_cf_"));
    expect(indexes.length).toBeGreaterThan(10);

    const usedBy = new Map<string, string>();
    for (const sql of seen) {
      if (!/^\s*(SELECT|WITH|UPDATE|DELETE)/i.test(sql)) continue;
      for (const detail of await plan(sql)) {
        const m = /USING (?:COVERING )?INDEX (\w+)/.exec(detail);
        if (m?.[1] && !usedBy.has(m[1])) usedBy.set(m[1], sql.replace(/\s+/g, " ").slice(0, 160));
      }
    }
    const unused = indexes.filter((i) => !usedBy.has(i));
    expect(unused, `indexes no recorded query uses (of ${seen.size} statements)`).toEqual([]);
  });
});
