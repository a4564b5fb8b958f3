CREATE TABLE `inventory_skus` (
	`tenant_id` text NOT NULL,
	`sku` text NOT NULL,
	`first_seen_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `sku`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- SKUs already known from their drift rows; every other SKU lists itself from its object's next alarm.
INSERT OR IGNORE INTO `inventory_skus` (`tenant_id`, `sku`, `first_seen_at`) SELECT `tenant_id`, `sku`, MIN(`recorded_at`) FROM `inventory_drift` GROUP BY `tenant_id`, `sku`;
