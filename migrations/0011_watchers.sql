CREATE TABLE `reports` (
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`day` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `kind`, `day`)
);
--> statement-breakpoint
CREATE TABLE `source_counts` (
	`tenant_id` text NOT NULL,
	`source` text NOT NULL,
	`hour` text NOT NULL,
	`kind` text NOT NULL,
	`n` integer NOT NULL,
	`last_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `source`, `hour`, `kind`)
);
--> statement-breakpoint
ALTER TABLE `sources` ADD `watch` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `default_owner` text;