-- Revenue at risk: the value of affected orders that have neither shipped nor
-- been closed (dropped or still in flight), per currency: amounts in different
-- currencies are never added together.
SELECT
  c.cause,
  s.currency,
  count(*) AS orders,
  count(*) FILTER (WHERE s.dropped) AS dropped,
  count(*) FILTER (WHERE s.at_risk) AS unfulfilled,
  sum(s.value_minor) AS value_minor,
  coalesce(sum(s.value_minor) FILTER (WHERE s.at_risk), 0) AS at_risk_minor
FROM order_causes c
JOIN order_status s USING (order_id)
JOIN cause_rank r USING (cause)
GROUP BY c.cause, s.currency, r.rank
ORDER BY r.rank, s.currency NULLS LAST
