import { parseArgs } from "node:util";
import type { RetainedTable } from "../domain/retention/policy";
import { verifyArchivedTable, type TableVerdict } from "../domain/retention/verify";
import { errorEnvelope, handoffClient, type HandoffClient } from "./api/client";

/**
 * `npm run handoff -- verify-archive --tenant acme --day 2026-03-02`: fetches
 * the day's archive through the engine's API (the same calls work against
 * `wrangler dev` and Cloudflare), checks every object against its manifest,
 * recomputes the audit chain over the archived rows to the manifest's
 * checkpoint hash, and checks the live chain's checkpoint entry vouches for
 * that manifest. Exit code 0 only when every table of the day verifies.
 */

const USAGE = `usage: npm run handoff -- verify-archive --tenant <id> --day YYYY-MM-DD [--base URL] [--key K]

  --key is the tenant's API key or the admin token. For --tenant demo, --base and --key default
  to .wrangler/demo.json (written by npm start); otherwise to HANDOFF_URL and HANDOFF_API_KEY.
`;

export interface DayVerdict {
  ok: boolean;
  tables: TableVerdict[];
  /** Problems that are not one table's (nothing archived, the checkpoint chain broken). */
  problems: string[];
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

async function file(client: HandoffClient, tenant: string, day: string, table: RetainedTable, name: string): Promise<Uint8Array> {
  const res = await client.GET("/v1/tenants/{tenant}/archive/{day}/{table}/{file}", {
    params: { path: { tenant, day, table, file: name }, query: { format: "stored" } },
    parseAs: "arrayBuffer",
  });
  if (res.data === undefined) throw new Error(`${table}/${name}: ${res.response.status} ${errorEnvelope(res.error).message}`);
  return new Uint8Array(res.data);
}

export async function verifyArchive(client: HandoffClient, tenant: string, day: string): Promise<DayVerdict> {
  const res = await client.GET("/v1/tenants/{tenant}/archive/{day}", { params: { path: { tenant, day } } });
  if (!res.data) {
    const e = errorEnvelope(res.error);
    return { ok: false, tables: [], problems: [`${res.response.status} ${e.code}: ${e.message}`] };
  }
  const summary = res.data;
  const problems = summary.checkpoint_chain.valid ? [] : [`the tenant's checkpoint chain is broken at #${summary.checkpoint_chain.broken_at ?? "?"}: ${summary.checkpoint_chain.reason ?? ""}`];
  const tables: TableVerdict[] = [];
  for (const t of summary.tables) {
    const manifestBytes = await file(client, tenant, day, t.table, "manifest.json");
    const parts = [];
    // The manifest the engine parsed names the parts; a tampered manifest is caught by its sha256 below.
    for (const name of t.files.filter((f) => f !== "manifest.json")) {
      const bytes = await file(client, tenant, day, t.table, name);
      const text = await gunzip(bytes).catch((err: unknown) => {
        problems.push(`${t.table}/${name}: not gzip (${err instanceof Error ? err.message : String(err)})`);
        return "";
      });
      parts.push({ bytes, text });
    }
    tables.push(verifyArchivedTable({ tenant, day, table: t.table, status: t.status, manifest_sha256: t.manifest_sha256, checkpoint: t.checkpoint, manifestBytes, parts }));
  }
  return { ok: problems.length === 0 && tables.every((t) => t.ok), tables, problems };
}

export function report(tenant: string, day: string, v: DayVerdict): string {
  const lines = v.tables.map((t) =>
    t.ok
      ? `ok    ${t.table.padEnd(10)} ${String(t.rows).padStart(8)} rows  checkpoint ${t.checkpoint_hash ?? ""}`
      : `FAIL  ${t.table.padEnd(10)} ${String(t.rows).padStart(8)} rows\n${t.problems.map((p) => `        - ${p}`).join("\n")}`,
  );
  const head = v.ok ? `archive of ${tenant} for ${day} verifies` : `archive of ${tenant} for ${day} does NOT verify`;
  return [head, ...v.problems.map((p) => `  - ${p}`), ...lines].join("\n");
}

export async function verifyArchiveCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { tenant: { type: "string" }, day: { type: "string" }, base: { type: "string" }, key: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const { tenant, day } = values;
  if (!tenant || !day) throw new Error(`--tenant and --day are required\n\n${USAGE}`);
  // Loaded here, not at the top: verifyArchive itself also runs inside workerd (its tests), without node:fs.
  const stored = tenant === "demo" ? (await import("./export")).demoCredentials() : null;
  const base = (values.base ?? stored?.base_url ?? env.HANDOFF_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  const key = values.key ?? stored?.api_key ?? env.HANDOFF_API_KEY;
  if (!key) throw new Error(`no API key for tenant '${tenant}': pass --key or set HANDOFF_API_KEY\n\n${USAGE}`);
  const verdict = await verifyArchive(handoffClient(base, key), tenant, day);
  const out = report(tenant, day, verdict);
  if (verdict.ok) console.log(out);
  else console.error(out);
  return verdict.ok ? 0 : 1;
}
