-- Definitions both reviews share. test/analytics computes the same ones
-- independently in TypeScript; change them together.

-- "As of" is the export's last recorded entry, not the wall clock: a review
-- re-run next month must give the same numbers. Orders younger than the grace
-- period have not had time to ship and count as in flight, not dropped.
CREATE OR REPLACE TABLE review_params AS
SELECT max("at") AS as_of, INTERVAL 72 HOURS AS grace
FROM events;

-- One row per order that entered in the window, with its outcome:
--   reached    shipped or delivered (the promise kept)
--   closed     cancelled or refunded before shipping: a decision, not a drop
--   in_flight  neither, and entered less than the grace period before as_of
--   dropped    neither, and older than that
--   silent     dropped, and nobody is on it: no open task, no open breach,
--              no open hold, no SLA clock running
--   at_risk    neither reached nor closed (dropped or in flight): its value is not safe yet
CREATE OR REPLACE VIEW order_status AS
WITH base AS (
  SELECT
    o.*,
    p.as_of,
    o.shipped_at IS NOT NULL OR o.delivered_at IS NOT NULL AS reached,
    o.state IN ('cancelled', 'refunded') AS closed_state,
    o.created_at > p.as_of - p.grace AS young
  FROM orders o
  CROSS JOIN review_params p
)
SELECT
  *,
  coalesce(source, '(unknown)') AS entry_source,
  coalesce(utm_campaign, '(none)') AS campaign,
  date_trunc('week', created_at) AS week,
  NOT reached AND closed_state AS closed,
  NOT reached AND NOT closed_state AND young AS in_flight,
  NOT reached AND NOT closed_state AND NOT young AS dropped,
  NOT reached AND NOT closed_state AND NOT young
    AND open_tasks = 0 AND open_breaches = 0 AND holds = 0 AND next_due_at IS NULL AS silent,
  NOT reached AND NOT closed_state AS at_risk
FROM base;

-- Every level-0 SLA breach with the recovery that ended it (the first
-- sla.recovered of the same order and step at or after it), if any.
CREATE OR REPLACE VIEW breach_spells AS
WITH sla AS MATERIALIZED (
  SELECT order_id, step, owning_party, owner, type, level, "at"
  FROM events
  WHERE type IN ('sla.breached', 'sla.escalated', 'sla.recovered')
),
breaches AS (
  SELECT order_id, step, owning_party, owner, "at" AS breached_at FROM sla WHERE type = 'sla.breached'
),
recoveries AS (
  SELECT order_id, step, "at" AS recovered_at FROM sla WHERE type = 'sla.recovered'
),
ladder AS (
  SELECT order_id, step, max(level) AS top_level FROM sla WHERE type <> 'sla.recovered' GROUP BY order_id, step
)
SELECT b.*, r.recovered_at, l.top_level
FROM breaches b
ASOF LEFT JOIN recoveries r
  ON b.order_id = r.order_id AND b.step = r.step AND b.breached_at <= r.recovered_at
LEFT JOIN ladder l
  ON l.order_id = b.order_id AND l.step = b.step;
