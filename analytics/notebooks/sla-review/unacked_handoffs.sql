-- Every export issued, and whether it was acknowledged. "Acknowledged" is the
-- engine's one definition (durable-objects/order/exports.ts AckVia): an
-- `export.acked` entry, written whichever way it happened — a signed ack
-- (`ack`), the consumer's own event (`event`), or a 2xx to a consumer whose
-- contract asks for no ack (`delivery`). Withdrawn exports were superseded
-- and owe no ack.
WITH issued AS (
  SELECT order_id, export_id, step, owning_party, owner, "at" AS issued_at
  FROM events
  WHERE type = 'export.issued'
),
outcome AS (
  SELECT
    export_id,
    min("at") FILTER (WHERE type = 'export.acked') AS acked_at,
    arg_min(ack_via, "at") FILTER (WHERE type = 'export.acked') AS ack_via,
    bool_or(type = 'export.escalated') AS escalated,
    bool_or(type = 'export.withdrawn') AS withdrawn
  FROM events
  WHERE type IN ('export.acked', 'export.escalated', 'export.withdrawn')
  GROUP BY export_id
),
joined AS (
  SELECT
    i.*,
    o.acked_at,
    o.ack_via,
    coalesce(o.escalated, false) AS escalated,
    o.acked_at IS NULL AND NOT coalesce(o.withdrawn, false) AS unacked,
    epoch_ms(o.acked_at) - epoch_ms(i.issued_at) AS ack_ms,
    epoch_ms(p.as_of) - epoch_ms(i.issued_at) AS age_ms
  FROM issued i
  LEFT JOIN outcome o USING (export_id)
  CROSS JOIN review_params p
)
SELECT
  step,
  owning_party,
  owner,
  count(*) AS handoffs,
  count(acked_at) AS acked,
  count(*) FILTER (WHERE ack_via = 'ack') AS by_signed_ack,
  count(*) FILTER (WHERE ack_via = 'event') AS by_consumer_event,
  count(*) FILTER (WHERE ack_via = 'delivery') AS on_delivery,
  count(*) FILTER (WHERE unacked) AS unacked,
  count(*) FILTER (WHERE unacked AND escalated) AS escalated,
  quantile_cont(ack_ms, 0.5) AS ack_p50_ms,
  quantile_cont(ack_ms, 0.9) AS ack_p90_ms,
  max(age_ms) FILTER (WHERE unacked) AS oldest_unacked_ms
FROM joined
GROUP BY step, owning_party, owner
ORDER BY unacked DESC, step, owning_party, owner
