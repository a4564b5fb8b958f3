-- The silently stuck orders worth a phone call first: highest value, longest idle.
SELECT
  order_id,
  entry_source AS source,
  state,
  value_minor,
  currency,
  created_at,
  updated_at AS last_activity,
  epoch_ms(as_of) - epoch_ms(updated_at) AS idle_ms
FROM order_status
WHERE silent
ORDER BY value_minor DESC NULLS LAST, order_id
LIMIT 25
