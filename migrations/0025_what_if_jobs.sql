CREATE TABLE `what_if_jobs` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`status` text NOT NULL,
	`orders_done` integer NOT NULL,
	`orders_total` integer NOT NULL,
	`from` text NOT NULL,
	`to` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`finished_at` text,
	`expires_at` text,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `what_if_jobs_tenant_created` ON `what_if_jobs` (`tenant_id`,`created_at`,`id`);