ALTER TABLE `rejections` ADD `replayed_at` text;--> statement-breakpoint
ALTER TABLE `rejections` ADD `replay_receipt_id` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `step` text DEFAULT 'routing' NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `ref` text DEFAULT '' NOT NULL;