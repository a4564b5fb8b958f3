SELECT
  CASE WHEN grouping(detected_by) = 1 THEN 'all signals' ELSE detected_by END AS detected_by,
  count(*) AS stuck_orders,
  count(recovered_at) AS recovered,
  count(*) - count(recovered_at) AS still_stuck,
  quantile_cont(mttd_ms, 0.5) AS mttd_p50_ms,
  quantile_cont(mttd_ms, 0.9) AS mttd_p90_ms,
  quantile_cont(mttr_ms, 0.5) AS mttr_p50_ms,
  quantile_cont(mttr_ms, 0.9) AS mttr_p90_ms
FROM detections
GROUP BY ROLLUP (detected_by)
ORDER BY grouping(detected_by), stuck_orders DESC, detected_by
