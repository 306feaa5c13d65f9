-- 0004: which notification targets have each predictive alert and anomaly, and the schedule of
-- the retries of those that did not reach every target. alert_sent and notified_at keep their
-- meaning: every target has the record.
ALTER TABLE ml_predictive_alerts
    ADD COLUMN IF NOT EXISTS delivered_to    TEXT[] NOT NULL DEFAULT '{}', -- names of the targets that have it
    ADD COLUMN IF NOT EXISTS notify_attempts INTEGER NOT NULL DEFAULT 0,   -- retries claimed so far
    ADD COLUMN IF NOT EXISTS notify_next_at  TIMESTAMPTZ;                  -- no retry before this time (a backoff, or a delivery's lease)
ALTER TABLE ml_anomalies
    ADD COLUMN IF NOT EXISTS delivered_to    TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS notify_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS notify_next_at  TIMESTAMPTZ;
