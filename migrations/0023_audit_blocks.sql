CREATE TABLE `audit_blocks` (
	`tenant_id` text NOT NULL,
	`order_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` text NOT NULL,
	`entries` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `order_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `audit_blocks_tenant_at` ON `audit_blocks` (`tenant_id`,`at`);