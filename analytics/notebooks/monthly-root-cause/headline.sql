-- The month in one row. Rates are over orders old enough to judge (not in flight).
SELECT
  count(*) AS entered,
  count(*) FILTER (WHERE reached) AS reached_shipping,
  count(*) FILTER (WHERE closed) AS closed,
  count(*) FILTER (WHERE in_flight) AS in_flight,
  count(*) FILTER (WHERE dropped) AS dropped,
  count(*) FILTER (WHERE dropped) / nullif(count(*) FILTER (WHERE NOT in_flight), 0) AS dropped_rate,
  count(*) FILTER (WHERE silent) AS silent,
  count(*) FILTER (WHERE silent) / nullif(count(*) FILTER (WHERE NOT in_flight), 0) AS silent_rate
FROM order_status
