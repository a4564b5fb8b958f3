SELECT
  week,
  count(*) AS snapshots,
  count(DISTINCT sku) AS skus,
  count(*) FILTER (WHERE drift <> 0) AS drifting,
  count(*) FILTER (WHERE abs_drift >= 5) AS above_threshold,
  sum(abs_drift) AS abs_drift,
  sum(drift) AS net_drift
FROM drift
GROUP BY week
ORDER BY week
