WITH escalations AS (
  SELECT step, owning_party,
    count(*) FILTER (WHERE level = 1) AS to_backup,
    count(*) FILTER (WHERE level = 2) AS to_on_call
  FROM events
  WHERE type = 'sla.escalated'
  GROUP BY step, owning_party
)
SELECT
  b.step,
  b.owning_party,
  count(*) AS breaches,
  coalesce(any_value(e.to_backup), 0) AS to_backup,
  coalesce(any_value(e.to_on_call), 0) AS to_on_call,
  count(b.recovered_at) AS recovered,
  count(*) - count(b.recovered_at) AS still_open,
  quantile_cont(epoch_ms(b.recovered_at) - epoch_ms(b.breached_at), 0.5) AS recovery_p50_ms
FROM breach_spells b
LEFT JOIN escalations e USING (step, owning_party)
GROUP BY b.step, b.owning_party
ORDER BY breaches DESC, b.step, b.owning_party
