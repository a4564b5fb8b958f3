PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_sla_breaches` (
	`tenant_id` text NOT NULL,
	`order_id` text NOT NULL,
	`step` text NOT NULL,
	`run` integer DEFAULT 0 NOT NULL,
	`level` integer NOT NULL,
	`contact` text NOT NULL,
	`owning_party` text NOT NULL,
	`due_at` text NOT NULL,
	`breached_at` text NOT NULL,
	`resolved_at` text,
	PRIMARY KEY(`tenant_id`, `order_id`, `step`, `run`, `level`)
);
--> statement-breakpoint
-- Every row from before runs is run 0 of its step (drizzle-kit wrote the new column as read from the old table).
INSERT INTO `__new_sla_breaches`("tenant_id", "order_id", "step", "run", "level", "contact", "owning_party", "due_at", "breached_at", "resolved_at") SELECT "tenant_id", "order_id", "step", 0, "level", "contact", "owning_party", "due_at", "breached_at", "resolved_at" FROM `sla_breaches`;--> statement-breakpoint
DROP TABLE `sla_breaches`;--> statement-breakpoint
ALTER TABLE `__new_sla_breaches` RENAME TO `sla_breaches`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `sla_breaches_tenant_open` ON `sla_breaches` (`tenant_id`,`resolved_at`,`step`);