import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { TenantId } from "../names";
import { ApiError, errorResponses } from "../errors";
import { PUBLIC } from "../openapi";
import { columns, CONTENT_TYPES, EXPORT_FORMATS, selectColumns, type ExportFormat } from "../analytics-exports/format";
import { EXPORT_ROWS, type ExportName } from "../analytics-exports/rows";
import { DEFAULT_PAGE_SIZE, exportStream, MAX_PAGE_SIZE } from "../analytics-exports/stream";

/**
 * Analytics exports: the audit trail, the order index and the manual queue of
 * one tenant over a time window, streamed from D1 for the monthly review notebooks.
 */

const EXPORT_NAMES = Object.keys(EXPORT_ROWS) as [ExportName, ...ExportName[]];
const ExportNameParam = z.enum(EXPORT_NAMES);
const FormatParam = z.enum(EXPORT_FORMATS);

// A date is midnight UTC; a datetime must say its zone, since a window that
// moved with the reader's local time would select different rows for different people.
const Bound = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .optional()
  .openapi({ description: "YYYY-MM-DD (midnight UTC) or an ISO-8601 datetime with Z or an offset" });

const ExportQuery = z.object({
  from: Bound.openapi({ description: "Inclusive lower bound (default: the beginning)", example: "2026-10-01" }),
  to: Bound.openapi({ description: "Exclusive upper bound (default: no bound)", example: "2026-11-01" }),
  columns: z
    .string()
    .optional()
    .openapi({
      description:
        "Comma-separated columns to include (default: all). They come in the schema's order whatever order they are asked in. A notebook needs only some: `events.data`, the raw audit JSON, is over half of an events export's bytes.",
      example: "order_id,at,type,source",
    }),
  page_size: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({
      description: `Rows per D1 query (1..${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}). Changes nothing in the output, only how it is read; tests use small pages to cross many page boundaries.`,
    }),
});

const FILTERED_BY: Record<ExportName, string> = {
  events: "`at` (when Handoff recorded the audit entry); ordered by (at, order_id, seq)",
  orders: "`created_at` (the order.created milestone, else the first receipt); ordered by (created_at, order_id)",
  tasks: "`opened_at`; ordered by (opened_at, task_id)",
  admin: "`at` (when the admin change was recorded); ordered by (at, seq)",
  inventory: "`at` (the WMS snapshot's as-of time); ordered by (at, sku, snapshot_id): one row per snapshot that had an earlier one to compare with",
  notifications: "`at` (when the attempt was made); ordered by (at, chain_id, seq)",
};

function invalid(issues: z.core.$ZodIssue[]): ApiError {
  return new ApiError(
    "validation_failed",
    "Request failed validation",
    issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
  );
}

/** Normalised to toISOString form, the form every stored timestamp has, so D1 can compare them as strings. */
function instant(field: "from" | "to", v: string | undefined): string | null {
  if (v === undefined) return null;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms)) throw new ApiError("validation_failed", "Request failed validation", [{ path: field, message: "Not a real date" }]);
  return new Date(ms).toISOString();
}

function fileLabel(raw: string | undefined, iso: string | null, open: string): string {
  if (raw === undefined || iso === null) return open;
  return raw.length === 10 ? raw : iso.replace(/\.000Z$/, "Z").replace(/[:.]/g, "");
}

/** `events.csv` → its parts, or null for anything not an export. */
function parseFile(file: string): { name: ExportName; format: ExportFormat } | null {
  const dot = file.lastIndexOf(".");
  const name = ExportNameParam.safeParse(file.slice(0, dot));
  const format = FormatParam.safeParse(file.slice(dot + 1));
  return dot > 0 && name.success && format.success ? { name: name.data, format: format.data } : null;
}

export const analyticsExportRoutes = new OpenAPIHono<AppEnv>();

analyticsExportRoutes.openAPIRegistry.registerPath({
  method: "get",
  path: "/v1/tenants/{tenant}/exports/{name}.{format}",
  operationId: "exportDataset",
  tags: ["analytics"],
  summary: "Stream one tenant's events, orders, tasks, admin audit, inventory drift or notification attempts over a time window, as NDJSON or CSV",
  description: [
    "Rows are streamed straight from D1 with keyset pagination, so a month of millions of rows is never held in memory. Columns are stable and documented: `GET /v1/schemas/exports/{name}.json` is the JSON Schema of one row, and both formats use its key order.",
    "",
    `Window: \`from\` inclusive, \`to\` exclusive. ${EXPORT_NAMES.map((n) => `**${n}** are selected and ordered by ${FILTERED_BY[n]}`).join("; ")}.`,
    "",
    "**orders** carry, per order, `breaches` = SLA steps that breached (level-0 breach rows), `open_breaches` = those steps still in breach, `tasks` = manual tasks ever opened, `open_tasks` = tasks open or claimed.",
    "",
    "**CSV** is RFC 4180 (CRLF, header row, fields with `,` `\"` CR or LF quoted, quotes doubled); null is an empty field, an empty string a quoted empty field. Values are exact: no spreadsheet formula escaping, since DuckDB reads this file. **NDJSON** is one JSON object per line.",
    "",
    "`X-Export-Rows` is the number of rows in the window when the export began. A failure after the first rows were sent ends the response early; a client must treat an unterminated body, or one with fewer rows than `X-Export-Rows`, as a failed export (more is possible when rows arrive during the export of a window that is still open).",
  ].join("\n"),
  request: {
    params: z.object({
      tenant: TenantId,
      name: ExportNameParam,
      format: FormatParam,
    }),
    query: ExportQuery,
  },
  responses: {
    200: {
      description: "The export, streamed",
      headers: z.object({
        "content-disposition": z.string().openapi({ description: "attachment; filename like `events-acme-2026-10-01-2026-11-01.csv` (`start`/`end` for an open bound)" }),
        "x-export-rows": z.string().openapi({ description: "Rows in the window when the export began: the body holds at least this many" }),
      }),
      content: {
        [CONTENT_TYPES.ndjson]: {
          schema: z.union([EXPORT_ROWS.events, EXPORT_ROWS.orders, EXPORT_ROWS.tasks, EXPORT_ROWS.admin, EXPORT_ROWS.inventory, EXPORT_ROWS.notifications]).openapi({ description: "Each line is one row of the named export" }),
        },
        [CONTENT_TYPES.csv]: { schema: z.string().openapi({ description: "Header row, then one row per record" }) },
      },
    },
    ...errorResponses(400, 401, 404),
  },
});

// A plain route: `{name}.{format}` shares one path segment, which Hono's params cannot split.
analyticsExportRoutes.get("/v1/tenants/:tenant/exports/:file", async (c) => {
  const tenant = c.req.param("tenant");
  const file = c.req.param("file");
  const target = parseFile(file);
  if (!target) throw new ApiError("not_found", `No export '${file}': use {${EXPORT_NAMES.join(",")}}.{ndjson,csv}`);
  const parsed = ExportQuery.safeParse(c.req.query());
  if (!parsed.success) throw invalid(parsed.error.issues);
  const q = parsed.data;
  const from = instant("from", q.from);
  const to = instant("to", q.to);
  if (from !== null && to !== null && from >= to) {
    throw new ApiError("validation_failed", "Request failed validation", [{ path: "from", message: "`from` must be before `to`" }]);
  }
  const selected = selectColumns(target.name, q.columns);
  if (!selected.ok) {
    const message = selected.unknown.length > 0 ? `Unknown column(s) ${selected.unknown.join(", ")}` : "Name at least one column";
    throw new ApiError("validation_failed", "Request failed validation", [{ path: "columns", message: `${message}; ${target.name} has ${columns(target.name).join(", ")}` }]);
  }
  const { body, rows } = await exportStream(c.env.DB, target.name, target.format, { tenant, from, to, pageSize: q.page_size }, selected.columns);
  const filename = `${target.name}-${tenant}-${fileLabel(q.from, from, "start")}-${fileLabel(q.to, to, "end")}.${target.format}`;
  return c.body(body, 200, {
    "content-type": CONTENT_TYPES[target.format],
    "content-disposition": `attachment; filename="${filename}"`,
    "x-export-rows": String(rows),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
});

analyticsExportRoutes.openAPIRegistry.registerPath({
  method: "get",
  path: "/v1/schemas/exports/{name}.json",
  operationId: "getDatasetSchema",
  security: PUBLIC,
  tags: ["analytics"],
  summary: "JSON Schema (draft 2020-12) of one row of an analytics export, generated from its zod schema",
  request: { params: z.object({ name: ExportNameParam }) },
  responses: {
    200: { description: "JSON Schema", content: { "application/schema+json": { schema: z.record(z.string(), z.unknown()) } } },
    ...errorResponses(404),
  },
});

analyticsExportRoutes.get("/v1/schemas/exports/:file", (c) => {
  const file = c.req.param("file");
  const name = ExportNameParam.safeParse(file.endsWith(".json") ? file.slice(0, -".json".length) : "");
  if (!name.success) throw new ApiError("not_found", `No export schema '${file}': use {${EXPORT_NAMES.join(",")}}.json`);
  c.header("content-type", "application/schema+json");
  return c.body(JSON.stringify(z.toJSONSchema(EXPORT_ROWS[name.data], { target: "draft-2020-12" }), null, 2));
});
