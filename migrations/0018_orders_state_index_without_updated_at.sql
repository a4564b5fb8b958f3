DROP INDEX `orders_tenant_state`;--> statement-breakpoint
CREATE INDEX `orders_tenant_state_created` ON `orders` (`tenant_id`,`state`,`created_at`);