-- One row per snapshot with its week; test/analytics computes the same weeks
-- and rankings independently in TypeScript: change them together.
CREATE OR REPLACE VIEW drift AS
SELECT
  date_trunc('week', "at") AS week,
  sku,
  location,
  "at",
  expected,
  reported,
  drift,
  abs_drift
FROM inventory;

-- Per week and SKU, over all its locations.
CREATE OR REPLACE VIEW sku_week AS
SELECT
  week,
  sku,
  count(*) AS snapshots,
  count(*) FILTER (WHERE drift <> 0) AS drifting,
  sum(abs_drift) AS abs_drift,
  sum(drift) AS net_drift,
  max(abs_drift) AS worst
FROM drift
GROUP BY week, sku;
