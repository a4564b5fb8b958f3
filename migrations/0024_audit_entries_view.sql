-- Every audit entry D1 holds, with audit_log's columns: the per-entry rows of
-- audit_log (the chains that are not an order's, and order entries drained
-- before audit_blocks) and the entries of each audit_blocks row, unnested. A
-- reader's WHERE on tenant_id, order_id or at reaches each table's own index
-- (SQLite pushes it into both arms; every entry of a block row shares its at).
CREATE VIEW `audit_entries` AS
SELECT `tenant_id`, `order_id`, `seq`, `at`, `type`, `data`, `prev_hash`, `hash` FROM `audit_log`
UNION ALL
SELECT b.`tenant_id`, b.`order_id`, e.value ->> 0, b.`at`, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4
FROM `audit_blocks` b, json_each(b.`entries`) e;
--> statement-breakpoint
-- Append-only like audit_log (0001, 0009): the retention job deletes a UTC day
-- only under that day's open 'audit_log' checkpoint; nothing rewrites a row.
CREATE TRIGGER `audit_blocks_no_update` BEFORE UPDATE ON `audit_blocks`
BEGIN
  SELECT RAISE(ABORT, 'audit_blocks is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_blocks_no_delete` BEFORE DELETE ON `audit_blocks`
WHEN NOT EXISTS (
  SELECT 1 FROM `retention_checkpoints` c
  WHERE c.`tenant_id` = OLD.`tenant_id` AND c.`tbl` = 'audit_log'
    AND c.`day` = substr(OLD.`at`, 1, 10) AND c.`status` = 'deleting'
)
BEGIN
  SELECT RAISE(ABORT, 'audit_blocks is append-only: only the retention job deletes, under an open checkpoint');
END;
