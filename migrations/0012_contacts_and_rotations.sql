CREATE TABLE `contacts` (
	`tenant_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`name` text NOT NULL,
	`channels` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `contact_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `rotations` (
	`tenant_id` text NOT NULL,
	`rotation_id` text NOT NULL,
	`name` text NOT NULL,
	`members` text NOT NULL,
	`shift` text NOT NULL,
	`starts_at` text NOT NULL,
	`overrides` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `rotation_id`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
