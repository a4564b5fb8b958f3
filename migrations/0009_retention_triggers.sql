-- The audit trail stays append-only; the one exception is the retention job
-- (worker/retention/job.ts), which deletes a tenant's UTC day only inside the
-- transaction that first marks that day's checkpoint 'deleting' after its
-- archive is in R2. A plain DELETE, or one under an 'archived'/'done'
-- checkpoint, is still refused; so is any DELETE of the retention chain itself.
DROP TRIGGER `audit_log_no_delete`;
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
--> statement-breakpoint
-- Checkpoints are the record of what was deleted: never removed, and a day once
-- 'done' never reopens (so no second delete can run under it).
CREATE TRIGGER `retention_checkpoints_no_delete` BEFORE DELETE ON `retention_checkpoints`
BEGIN
  SELECT RAISE(ABORT, 'retention_checkpoints is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `retention_checkpoints_done_is_final` BEFORE UPDATE ON `retention_checkpoints`
WHEN OLD.`status` = 'done'
BEGIN
  SELECT RAISE(ABORT, 'a done retention checkpoint is final');
END;
