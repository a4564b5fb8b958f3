import { sql } from "drizzle-orm";
import { text } from "drizzle-orm/sqlite-core";

/** Row creation time, set by D1 itself in the ISO form every other timestamp uses. */
export const createdAt = () =>
  text("created_at")
    .notNull()
    .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);
