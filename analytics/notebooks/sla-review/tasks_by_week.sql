SELECT
  date_trunc('week', opened_at) AS week,
  count(*) AS opened,
  count(claimed_at) AS claimed,
  count(resolved_at) AS resolved,
  count(*) FILTER (WHERE status IN ('open', 'claimed')) AS still_open,
  quantile_cont(first_response_ms, 0.5) AS first_response_p50_ms,
  quantile_cont(first_response_ms, 0.9) AS first_response_p90_ms
FROM tasks
GROUP BY ALL
ORDER BY week
