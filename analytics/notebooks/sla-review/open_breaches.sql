-- Breaches with no recovery yet, as of the export's end.
SELECT
  b.step,
  b.owning_party,
  b.owner,
  count(*) AS open_breaches,
  count(*) FILTER (WHERE b.top_level = 0) AS with_owner,
  count(*) FILTER (WHERE b.top_level = 1) AS with_backup,
  count(*) FILTER (WHERE b.top_level = 2) AS with_on_call,
  max(epoch_ms(p.as_of) - epoch_ms(b.breached_at)) AS oldest_open_ms
FROM breach_spells b
CROSS JOIN review_params p
WHERE b.recovered_at IS NULL
GROUP BY b.step, b.owning_party, b.owner
ORDER BY open_breaches DESC, b.step, b.owning_party, b.owner
