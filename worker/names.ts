import { z } from "@hono/zod-openapi";
import { ApiError } from "./errors";

/**
 * Names that appear in URL paths. One definition for the routes that create
 * them and the routes that only read them, so a path segment no tenant or
 * source could ever have is refused before anything is looked up or recorded.
 */
export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "2-63 chars: lower-case letters, digits and '-'")
  .openapi({ example: "acme" });

export const SourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "1-64 chars: lower-case letters, digits, '_' and '-'")
  .openapi({ example: "shop" });

/** An agency's ownership-rule template (issue 15). */
export const TemplateId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "1-64 chars: lower-case letters, digits, '_' and '-'")
  .openapi({ example: "standard-3pl" });

/** Export ids are `exp_<step>_v<n>_<order id>`; the bound only keeps junk out of storage. */
export const ExportIdParam = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9._:#-]+$/, "letters, digits and . _ : # -")
  .openapi({ example: "exp_request_shipment_v1_820982911946154508" });

/**
 * Path names no tenant or source could have are refused before anything is
 * looked up or recorded: a 5,000-character name must not become a D1 key or a
 * rejection row.
 */
export function checkPathNames(names: Record<string, { value: string; schema: z.ZodType<string> }>): void {
  const bad: { path: string; length: number; message: string }[] = [];
  for (const [path, n] of Object.entries(names)) {
    const res = n.schema.safeParse(n.value);
    if (!res.success) bad.push({ path, length: n.value.length, message: res.error.issues[0]?.message ?? "invalid" });
  }
  if (bad.length > 0) throw new ApiError("invalid_path", `Not a valid ${bad.map((b) => b.path).join(" or ")} name`, bad);
}
