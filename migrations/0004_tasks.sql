CREATE TABLE `tasks` (
	`tenant_id` text NOT NULL,
	`task_id` text NOT NULL,
	`order_id` text,
	`rejection_id` text,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`owner` text NOT NULL,
	`owning_party` text NOT NULL,
	`escalation` text NOT NULL,
	`level` integer NOT NULL,
	`sla_due` text NOT NULL,
	`title` text NOT NULL,
	`evidence` text NOT NULL,
	`value_minor` integer,
	`currency` text,
	`opened_at` text NOT NULL,
	`claimed_at` text,
	`claimed_by` text,
	`resolved_at` text,
	`resolved_by` text,
	`resolution` text,
	`justification` text,
	`action` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `task_id`)
);
--> statement-breakpoint
CREATE INDEX `tasks_tenant_status_due` ON `tasks` (`tenant_id`,`status`,`sla_due`);--> statement-breakpoint
CREATE INDEX `tasks_tenant_order` ON `tasks` (`tenant_id`,`order_id`);