-- Breaches and escalations in the week they happened.
SELECT
  date_trunc('week', "at") AS week,
  step,
  owning_party,
  owner,
  count(*) FILTER (WHERE type = 'sla.breached') AS breaches,
  count(*) FILTER (WHERE type = 'sla.escalated' AND level = 1) AS to_backup,
  count(*) FILTER (WHERE type = 'sla.escalated' AND level = 2) AS to_on_call
FROM events
WHERE type IN ('sla.breached', 'sla.escalated')
GROUP BY ALL
ORDER BY week, breaches DESC, step, owning_party, owner
