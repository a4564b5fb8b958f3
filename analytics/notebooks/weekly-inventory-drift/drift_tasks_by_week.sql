-- Overdue is judged as of the last stock count in the export, like the other reviews' as_of.
SELECT
  date_trunc('week', opened_at) AS week,
  count(*) AS opened,
  count(*) FILTER (WHERE resolved_at <= sla_due) AS resolved_in_sla,
  count(*) FILTER (WHERE status IN ('open', 'claimed')) AS still_open,
  count(*) FILTER (WHERE status IN ('open', 'claimed') AND sla_due < (SELECT max(recorded_at) FROM inventory)) AS overdue,
  quantile_cont(resolve_ms, 0.5) AS resolve_p50_ms
FROM tasks
WHERE type = 'inventory_drift'
GROUP BY ALL
ORDER BY week
