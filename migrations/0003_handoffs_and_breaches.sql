CREATE TABLE `handoffs` (
	`tenant_id` text NOT NULL,
	`export_id` text NOT NULL,
	`order_id` text NOT NULL,
	`action` text NOT NULL,
	`step` text NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`owning_party` text NOT NULL,
	`owner` text NOT NULL,
	`consumer_url` text,
	`attempts` integer NOT NULL,
	`last_status` integer,
	`last_error_class` text,
	`issued_at` text NOT NULL,
	`delivered_at` text,
	`acked_at` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `export_id`)
);
--> statement-breakpoint
CREATE INDEX `handoffs_tenant_status` ON `handoffs` (`tenant_id`,`status`,`issued_at`);--> statement-breakpoint
CREATE TABLE `sla_breaches` (
	`tenant_id` text NOT NULL,
	`order_id` text NOT NULL,
	`step` text NOT NULL,
	`level` integer NOT NULL,
	`contact` text NOT NULL,
	`owning_party` text NOT NULL,
	`due_at` text NOT NULL,
	`breached_at` text NOT NULL,
	`resolved_at` text,
	PRIMARY KEY(`tenant_id`, `order_id`, `step`, `level`)
);
--> statement-breakpoint
CREATE INDEX `sla_breaches_tenant_open` ON `sla_breaches` (`tenant_id`,`resolved_at`,`step`);--> statement-breakpoint
ALTER TABLE `orders` ADD `breaches` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `open_exports` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `next_due_at` text;--> statement-breakpoint
ALTER TABLE `rejections` ADD `signature_verified` integer DEFAULT false NOT NULL;