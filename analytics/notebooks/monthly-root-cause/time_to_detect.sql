-- Time to detect per detector: from the onset the task's evidence names (a sender's last
-- verified receipt, a step's due time) to the task opening. Tasks whose evidence names no
-- onset are counted, not timed.
SELECT
  type AS detector,
  count(*) AS tasks,
  count(onset_at) AS timed,
  avg(detect_ms) AS mttd_ms,
  quantile_cont(detect_ms, 0.5) AS detect_p50_ms,
  quantile_cont(detect_ms, 0.9) AS detect_p90_ms,
  max(detect_ms) AS detect_max_ms
FROM tasks
GROUP BY type
HAVING count(onset_at) > 0
ORDER BY mttd_ms DESC, detector
