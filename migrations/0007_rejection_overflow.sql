CREATE TABLE `rejection_overflow` (
	`tenant_id` text NOT NULL,
	`bucket` text NOT NULL,
	`window_start` text NOT NULL,
	`counted` integer NOT NULL,
	`limited` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `bucket`, `window_start`)
);
