CREATE TABLE `rule_templates` (
	`agency_id` text NOT NULL,
	`template_id` text NOT NULL,
	`version` integer NOT NULL,
	`rules` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`agency_id`, `template_id`, `version`),
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `tenant_rule_templates` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`agency_id` text NOT NULL,
	`template_id` text NOT NULL,
	`overrides` text NOT NULL,
	`revision` integer NOT NULL,
	`applied_version` integer NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tenant_rule_templates_template` ON `tenant_rule_templates` (`agency_id`,`template_id`);