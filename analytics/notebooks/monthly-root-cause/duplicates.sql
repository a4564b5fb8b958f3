-- Each canonical event a sender delivers is applied once; a repeat (same event
-- id, new delivery) is recorded as event.duplicate. A redelivery is a receipt
-- that brought nothing new: no event.applied of its sender before the next
-- receipt. Redeliveries under the same idempotency key are answered from the
-- stored receipt and never reach the audit trail, so no export holds them.
-- Only orders with a duplicate can hold a redelivery, so only their trails are
-- walked receipt by receipt.
WITH counts AS (
  SELECT
    source,
    count(*) FILTER (WHERE type = 'receipt.recorded') AS receipts,
    count(*) FILTER (WHERE type = 'event.applied') AS applied,
    count(*) FILTER (WHERE type = 'event.duplicate') AS duplicates
  FROM events
  WHERE type IN ('receipt.recorded', 'event.applied', 'event.duplicate') AND source IS DISTINCT FROM 'handoff'
  GROUP BY source
),
tagged AS (
  SELECT
    order_id, type, source,
    sum(CASE WHEN type = 'receipt.recorded' THEN 1 ELSE 0 END)
      OVER (PARTITION BY order_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS receipt_no
  FROM events
  WHERE type IN ('receipt.recorded', 'event.applied', 'event.duplicate')
    AND source IS DISTINCT FROM 'handoff'
    AND order_id IN (SELECT order_id FROM events WHERE type = 'event.duplicate')
),
redelivered AS (
  SELECT source, count(*) AS redeliveries
  FROM (
    SELECT order_id, receipt_no,
      any_value(source) FILTER (WHERE type = 'receipt.recorded') AS source,
      count(*) FILTER (WHERE type = 'event.applied') AS applied
    FROM tagged WHERE receipt_no > 0 GROUP BY order_id, receipt_no
  )
  WHERE applied = 0
  GROUP BY source
)
SELECT
  CASE WHEN grouping(c.source) = 1 THEN 'all senders' ELSE coalesce(c.source, '(unknown)') END AS source,
  sum(c.receipts) AS receipts,
  sum(c.applied) AS events_applied,
  sum(c.duplicates) AS duplicate_events,
  sum(c.duplicates) / nullif(sum(c.applied) + sum(c.duplicates), 0) AS duplicate_rate,
  coalesce(sum(r.redeliveries), 0) AS redeliveries,
  coalesce(sum(r.redeliveries), 0) / sum(c.receipts) AS redelivery_rate
FROM counts c
LEFT JOIN redelivered r ON r.source IS NOT DISTINCT FROM c.source
GROUP BY ROLLUP (c.source)
ORDER BY grouping(c.source), receipts DESC, 1
