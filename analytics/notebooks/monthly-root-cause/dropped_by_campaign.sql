SELECT
  campaign,
  coalesce(utm_source, '(none)') AS utm_source,
  count(*) AS entered,
  count(*) FILTER (WHERE in_flight) AS in_flight,
  count(*) FILTER (WHERE dropped) AS dropped,
  count(*) FILTER (WHERE silent) AS silent,
  count(*) FILTER (WHERE dropped) / nullif(count(*) FILTER (WHERE NOT in_flight), 0) AS dropped_rate
FROM order_status
GROUP BY campaign, coalesce(utm_source, '(none)')
ORDER BY entered DESC, campaign, utm_source
