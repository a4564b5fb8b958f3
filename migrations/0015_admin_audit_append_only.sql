-- The admin audit is append-only like audit_log: who changed rules, sources or keys cannot be rewritten.
CREATE TRIGGER `admin_audit_no_update` BEFORE UPDATE ON `admin_audit`
BEGIN
  SELECT RAISE(ABORT, 'admin_audit is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `admin_audit_no_delete` BEFORE DELETE ON `admin_audit`
BEGIN
  SELECT RAISE(ABORT, 'admin_audit is append-only');
END;
