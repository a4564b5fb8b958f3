-- Stuck orders: the first signal that someone was told, the last progress
-- before it, and the first sign of movement after it.
--   detected_at   first sla.breached, hold.opened or task.opened (on the trail,
--                 or in tasks.csv for tasks raised outside it, e.g. a refused delivery)
--   stalled_at    the last event.applied at or before detection (the order's
--                 last real progress), else when it entered
--   recovered_at  the first entry after detection showing the stall ended:
--                 sla.recovered, hold.released, task.resolved, or an applied
--                 event that changed the state to anything but on_hold
--                 (a cancellation counts: the order stopped waiting)
--   MTTD = detected_at - stalled_at     MTTR = recovered_at - detected_at
CREATE OR REPLACE VIEW detections AS
WITH signals AS (
  SELECT order_id, "at",
    CASE type WHEN 'sla.breached' THEN 'SLA breach' WHEN 'hold.opened' THEN 'hold' ELSE 'task' END AS signal,
    CASE type WHEN 'sla.breached' THEN 1 WHEN 'hold.opened' THEN 2 ELSE 3 END AS prio
  FROM events
  WHERE type IN ('sla.breached', 'hold.opened', 'task.opened')
  UNION ALL
  SELECT order_id, opened_at, 'task', 3
  FROM tasks
  WHERE order_id IS NOT NULL
),
first_signal AS (
  SELECT order_id, "at" AS detected_at, signal AS detected_by
  FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY "at", prio) AS rn FROM signals)
  WHERE rn = 1
),
-- One pass over the stuck orders' trails finds both ends of the stall.
around AS (
  SELECT
    f.order_id,
    max(e."at") FILTER (WHERE e.type = 'event.applied' AND e."at" <= f.detected_at) AS last_progress_at,
    min(e."at") FILTER (
      WHERE e."at" > f.detected_at
        AND (e.type IN ('sla.recovered', 'hold.released', 'task.resolved')
             OR (e.type = 'event.applied' AND e.state_to <> e.state_from AND e.state_to <> 'on_hold'))
    ) AS recovered_at
  FROM first_signal f
  JOIN events e ON e.order_id = f.order_id
  WHERE e.type IN ('event.applied', 'sla.recovered', 'hold.released', 'task.resolved')
  GROUP BY f.order_id
)
SELECT
  f.order_id,
  f.detected_by,
  f.detected_at,
  coalesce(a.last_progress_at, o.created_at) AS stalled_at,
  a.recovered_at,
  epoch_ms(f.detected_at) - epoch_ms(coalesce(a.last_progress_at, o.created_at)) AS mttd_ms,
  epoch_ms(a.recovered_at) - epoch_ms(f.detected_at) AS mttr_ms
FROM first_signal f
JOIN orders o USING (order_id)
LEFT JOIN around a USING (order_id);

-- Root causes: every order the export shows evidence of each cause for. An
-- order can have several; the rows do not add up to the total.
CREATE OR REPLACE TABLE cause_rank (cause VARCHAR, rank INTEGER);
INSERT INTO cause_rank VALUES
  ('payment never captured', 1), ('downstream rejection', 2), ('downstream outage', 3),
  ('oversell / backorder', 4), ('manual divergence', 5), ('locked-field conflict', 6),
  ('schema rejection', 7), ('no recorded cause', 8);

CREATE OR REPLACE VIEW order_causes AS
WITH evidence AS (
  -- authorized or attempted, never captured
  SELECT order_id, 'payment never captured' AS cause FROM orders
  WHERE captured_at IS NULL AND (authorized_at IS NOT NULL OR payment_failed_at IS NOT NULL)
  UNION ALL
  -- one pass over the events for the evidence they carry:
  --   downstream rejection: the consumer refused the handoff, or the warehouse rejected the order (not for stock)
  --   downstream outage: a delivery had to be retried, or retries ran out / the ack never came
  --   manual divergence: a late fact rewrote locked fields after the handoff
  SELECT order_id,
    CASE
      WHEN type = 'hold.opened' AND kind IN ('consumer_rejected', 'fulfillment_rejected') THEN 'downstream rejection'
      WHEN type = 'field.changed_late' THEN 'manual divergence'
      ELSE 'downstream outage'
    END
  FROM events
  WHERE (type = 'hold.opened' AND kind IN ('consumer_rejected', 'fulfillment_rejected', 'delivery_failed', 'ack_missing'))
     OR (type = 'export.attempt' AND outcome IN ('retry', 'exhausted'))
     OR type = 'field.changed_late'
  UNION ALL
  SELECT order_id, 'oversell / backorder' FROM orders WHERE backordered_at IS NOT NULL
  UNION ALL
  -- a person overrode the engine
  SELECT order_id, 'manual divergence' FROM tasks WHERE action = 'override' AND order_id IS NOT NULL
  UNION ALL
  SELECT order_id, 'locked-field conflict' FROM orders WHERE conflicts > 0
  UNION ALL
  SELECT order_id, 'schema rejection' FROM tasks WHERE type = 'schema_rejection' AND order_id IS NOT NULL
),
explained AS MATERIALIZED (
  SELECT DISTINCT e.order_id, e.cause FROM evidence e JOIN orders o USING (order_id)
)
SELECT * FROM explained
UNION ALL
-- dropped orders nothing in the export explains
SELECT order_id, 'no recorded cause' FROM order_status s
WHERE s.dropped AND NOT EXISTS (SELECT 1 FROM explained x WHERE x.order_id = s.order_id);
