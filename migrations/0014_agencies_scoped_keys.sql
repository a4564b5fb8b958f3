CREATE TABLE `admin_audit` (
	`tenant_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` text NOT NULL,
	`type` text NOT NULL,
	`actor` text NOT NULL,
	`data` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `admin_audit_tenant_at` ON `admin_audit` (`tenant_id`,`at`);--> statement-breakpoint
CREATE TABLE `agencies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `console_sessions` (
	`sid` text PRIMARY KEY NOT NULL,
	`tenant_id` text,
	`agency_id` text,
	`key_hash` text NOT NULL,
	`operator` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`expires_at` text NOT NULL,
	`ended_at` text
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text,
	`agency_id` text,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`name` text DEFAULT 'unnamed key' NOT NULL,
	`scope` text DEFAULT 'merchant_admin' NOT NULL,
	`expires_at` text,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`revoked_at` text,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- Edited by hand: drizzle-kit 0.31 selected the new columns from the old table too; they take their defaults.
INSERT INTO `__new_api_keys`("id", "tenant_id", "key_hash", "prefix", "created_at", "revoked_at") SELECT "id", "tenant_id", "key_hash", "prefix", "created_at", "revoked_at" FROM `api_keys`;--> statement-breakpoint
DROP TABLE `api_keys`;--> statement-breakpoint
ALTER TABLE `__new_api_keys` RENAME TO `api_keys`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant` ON `api_keys` (`tenant_id`);--> statement-breakpoint
CREATE INDEX `api_keys_agency` ON `api_keys` (`agency_id`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `agency_id` text REFERENCES agencies(id);