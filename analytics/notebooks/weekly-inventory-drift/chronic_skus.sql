SELECT
  sku,
  count(*) FILTER (WHERE net_drift < 0) AS weeks_short,
  count(*) AS weeks,
  sum(net_drift) AS net_drift,
  sum(abs_drift) AS abs_drift
FROM sku_week
GROUP BY sku
HAVING count(*) FILTER (WHERE net_drift < 0) * 2 > count(*)
ORDER BY net_drift, sku
LIMIT 10
