-- Keyset pagination for the analytics exports (worker/exports/stream.ts): each
-- page is an index range starting at the previous page's last key, instead of a
-- scan and sort of the tenant's whole window per page. audit_log already has
-- (tenant_id, at); SQLite sorts only the rows that share one `at`.
CREATE INDEX IF NOT EXISTS `orders_tenant_created` ON `orders` (`tenant_id`,`created_at`,`order_id`);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `tasks_tenant_opened` ON `tasks` (`tenant_id`,`opened_at`,`task_id`);
