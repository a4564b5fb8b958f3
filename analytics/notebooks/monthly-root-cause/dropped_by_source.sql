SELECT
  entry_source AS source,
  count(*) AS entered,
  count(*) FILTER (WHERE in_flight) AS in_flight,
  count(*) FILTER (WHERE dropped) AS dropped,
  count(*) FILTER (WHERE silent) AS silent,
  count(*) FILTER (WHERE dropped) / nullif(count(*) FILTER (WHERE NOT in_flight), 0) AS dropped_rate
FROM order_status
GROUP BY entry_source
ORDER BY entered DESC, source
