CREATE TABLE `inventory_drift` (
	`tenant_id` text NOT NULL,
	`sku` text NOT NULL,
	`snapshot_id` text NOT NULL,
	`location` text NOT NULL,
	`at` text NOT NULL,
	`expected` integer NOT NULL,
	`reported` integer NOT NULL,
	`drift` integer NOT NULL,
	`recorded_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `sku`, `snapshot_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `inventory_drift_tenant_at` ON `inventory_drift` (`tenant_id`,`at`,`sku`,`snapshot_id`);--> statement-breakpoint
CREATE TABLE `stock_channels` (
	`tenant_id` text NOT NULL,
	`channel` text NOT NULL,
	`url` text NOT NULL,
	`secret_ciphertext` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `channel`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
