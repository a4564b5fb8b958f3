CREATE TABLE `retention_checkpoints` (
	`tenant_id` text NOT NULL,
	`tbl` text NOT NULL,
	`day` text NOT NULL,
	`status` text NOT NULL,
	`rows` integer NOT NULL,
	`live_rows` integer,
	`manifest_key` text NOT NULL,
	`manifest_sha256` text NOT NULL,
	`checkpoint_hash` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`done_at` text,
	PRIMARY KEY(`tenant_id`, `tbl`, `day`),
	CONSTRAINT "retention_checkpoints_status" CHECK("retention_checkpoints"."status" IN ('archived', 'deleting', 'done')),
	CONSTRAINT "retention_checkpoints_complete" CHECK("retention_checkpoints"."live_rows" IS NULL OR "retention_checkpoints"."live_rows" = "retention_checkpoints"."rows")
);
--> statement-breakpoint
CREATE TABLE `retention_policies` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`policy` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
