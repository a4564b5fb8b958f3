-- Ties broken by SKU so the ranking is the same on every run.
SELECT week, "rank", sku, abs_drift, net_drift, worst, drifting, snapshots
FROM (
  SELECT *, row_number() OVER (PARTITION BY week ORDER BY abs_drift DESC, sku) AS "rank"
  FROM sku_week
  WHERE abs_drift > 0
)
WHERE "rank" <= 5
ORDER BY week, "rank"
