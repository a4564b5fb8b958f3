-- Time to first response: opened → claimed, over the tasks someone claimed.
SELECT
  CASE WHEN grouping(type) = 1 THEN 'all tasks' ELSE type END AS task_type,
  count(*) AS tasks,
  count(claimed_at) AS claimed,
  count(*) FILTER (WHERE status IN ('open', 'claimed')) AS open_now,
  count(*) FILTER (WHERE status = 'open') AS unclaimed_now,
  quantile_cont(first_response_ms, 0.5) AS first_response_p50_ms,
  quantile_cont(first_response_ms, 0.9) AS first_response_p90_ms,
  count(resolved_at) AS resolved,
  quantile_cont(resolve_ms, 0.5) AS resolve_p50_ms
FROM tasks
GROUP BY ROLLUP (type)
ORDER BY grouping(type), tasks DESC, type
