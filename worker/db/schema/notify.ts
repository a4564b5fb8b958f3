import { primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { tenants } from "./tenants";

/**
 * Who notifications reach (issue 14). Channels are JSON: each entry keeps its
 * type, the channel sealed whole under SECRETS_KEY (webhook URLs and keys are
 * credentials) and the redacted view responses show.
 */
export const contacts = sqliteTable(
  "contacts",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    contactId: text("contact_id").notNull(),
    name: text("name").notNull(),
    channels: text("channels", { mode: "json" }).$type<{ type: string; sealed: string; view: Record<string, string> }[]>().notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.contactId] })],
);

/** On-call rotations: members take turns of `shift`, from `starts_at`; overrides replace a turn. */
export const rotations = sqliteTable(
  "rotations",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    rotationId: text("rotation_id").notNull(),
    name: text("name").notNull(),
    members: text("members", { mode: "json" }).$type<string[]>().notNull(),
    shift: text("shift").notNull(),
    startsAt: text("starts_at").notNull(),
    overrides: text("overrides", { mode: "json" }).$type<{ contact_id: string; from: string; to: string }[]>().notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.rotationId] })],
);

export type ContactRow = typeof contacts.$inferSelect;
export type RotationRow = typeof rotations.$inferSelect;
