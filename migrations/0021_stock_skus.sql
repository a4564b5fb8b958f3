CREATE TABLE `stock_skus` (
	`tenant_id` text NOT NULL,
	`sku` text NOT NULL,
	`since` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `sku`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
