CREATE TABLE `inventory_items` (
	`tenant_id` text NOT NULL,
	`system` text NOT NULL,
	`item_id` text NOT NULL,
	`sku` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `system`, `item_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
