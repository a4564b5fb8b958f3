-- audit_log rebuilt WITHOUT ROWID (issue 19): a rowid table keeps its composite
-- primary key in a second b-tree, so each entry drained was three billed rows
-- written (the row, the key, audit_log_tenant_at); clustered on the key it is two.
-- Same columns in the same order, same key, same index, same append-only triggers
-- (as 0001 and 0009 left them). DROP TABLE fires no DELETE trigger, and the
-- triggers go with the old table, so they are created again on the new one.
CREATE TABLE `audit_log_new` (
	`tenant_id` text NOT NULL,
	`order_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` text NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `order_id`, `seq`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `audit_log_new` SELECT * FROM `audit_log`;
--> statement-breakpoint
DROP TABLE `audit_log`;
--> statement-breakpoint
ALTER TABLE `audit_log_new` RENAME TO `audit_log`;
--> statement-breakpoint
CREATE INDEX `audit_log_tenant_at` ON `audit_log` (`tenant_id`,`at`);
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log`
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log`
WHEN OLD.`order_id` = '~retention' OR NOT EXISTS (
  SELECT 1 FROM `retention_checkpoints` c
  WHERE c.`tenant_id` = OLD.`tenant_id` AND c.`tbl` = 'audit_log'
    AND c.`day` = substr(OLD.`at`, 1, 10) AND c.`status` = 'deleting'
)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: only the retention job deletes, under an open checkpoint');
END;
