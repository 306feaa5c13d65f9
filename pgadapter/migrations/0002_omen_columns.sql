-- 0002: widen the numeric columns that overflowed in the original, add the columns omen's records
-- carry beyond the original ones, and create the archive tables. Original columns keep their
-- names and meaning; only their precision limits go.

-- The views depend on columns whose types change; 0003 recreates them.
DROP VIEW IF EXISTS ml_v_recent_anomalies;
DROP VIEW IF EXISTS ml_v_critical_anomalies;
DROP VIEW IF EXISTS ml_v_anomaly_trends;
DROP VIEW IF EXISTS ml_v_model_health;

-- Unconstrained NUMERIC stores every finite value exactly: the original NUMERIC(5,4) confidence
-- failed at 10 and NUMERIC(12,4) or NUMERIC(10,2) values failed at 1e8. Dropping a precision limit
-- does not rewrite the table.
ALTER TABLE ml_anomalies
    ALTER COLUMN metric_value TYPE NUMERIC,
    ALTER COLUMN baseline_value TYPE NUMERIC,
    ALTER COLUMN deviation_percent TYPE NUMERIC,
    ALTER COLUMN confidence_score TYPE NUMERIC;
ALTER TABLE ml_models
    ALTER COLUMN accuracy TYPE NUMERIC,
    ALTER COLUMN precision TYPE NUMERIC,
    ALTER COLUMN recall TYPE NUMERIC,
    ALTER COLUMN f1_score TYPE NUMERIC;
ALTER TABLE ml_patterns
    ALTER COLUMN confidence TYPE NUMERIC;
ALTER TABLE ml_trends
    ALTER COLUMN trend_magnitude TYPE NUMERIC,
    ALTER COLUMN seasonality_score TYPE NUMERIC,
    ALTER COLUMN autocorrelation_lag1 TYPE NUMERIC,
    ALTER COLUMN prediction_confidence TYPE NUMERIC;
ALTER TABLE ml_anomaly_stats_hourly
    ALTER COLUMN avg_confidence TYPE NUMERIC,
    ALTER COLUMN max_deviation TYPE NUMERIC,
    ALTER COLUMN resolution_rate TYPE NUMERIC;
ALTER TABLE ml_anomaly_stats_daily
    ALTER COLUMN avg_confidence TYPE NUMERIC,
    ALTER COLUMN max_deviation TYPE NUMERIC,
    ALTER COLUMN resolution_rate TYPE NUMERIC;
ALTER TABLE ml_forecasts
    ALTER COLUMN predicted_value TYPE NUMERIC,
    ALTER COLUMN prediction_lower_bound TYPE NUMERIC,
    ALTER COLUMN prediction_upper_bound TYPE NUMERIC,
    ALTER COLUMN confidence_interval TYPE NUMERIC,
    ALTER COLUMN actual_value TYPE NUMERIC,
    ALTER COLUMN prediction_error TYPE NUMERIC,
    ALTER COLUMN model_type TYPE VARCHAR(255);
ALTER TABLE ml_model_performance
    ALTER COLUMN precision TYPE NUMERIC,
    ALTER COLUMN recall TYPE NUMERIC,
    ALTER COLUMN f1_score TYPE NUMERIC,
    ALTER COLUMN roc_auc TYPE NUMERIC;
ALTER TABLE ml_predictive_alerts
    ALTER COLUMN prediction_confidence TYPE NUMERIC,
    ALTER COLUMN predicted_event TYPE TEXT;

-- omen's anomaly fields, and the resolution details the history trigger records.
ALTER TABLE ml_anomalies
    ADD COLUMN IF NOT EXISTS anomaly_score     NUMERIC,      -- calibrated 0–100
    ADD COLUMN IF NOT EXISTS contributions     JSONB,        -- metric → share of an outlier
    ADD COLUMN IF NOT EXISTS resolution_reason TEXT,
    ADD COLUMN IF NOT EXISTS resolved_by       VARCHAR(255),
    ADD COLUMN IF NOT EXISTS notified_at       TIMESTAMPTZ; -- when a notifier delivered it
CREATE INDEX IF NOT EXISTS idx_ml_anomalies_timestamp ON ml_anomalies (timestamp);

ALTER TABLE ml_patterns
    ADD COLUMN IF NOT EXISTS feature_names TEXT[];

ALTER TABLE ml_forecasts
    ADD COLUMN IF NOT EXISTS issued_at   TIMESTAMPTZ, -- the window whose data the forecast used
    ADD COLUMN IF NOT EXISTS model_order VARCHAR(255);

ALTER TABLE ml_predictive_alerts
    ADD COLUMN IF NOT EXISTS metric_name        VARCHAR(255),
    ADD COLUMN IF NOT EXISTS prediction_type    VARCHAR(50),
    ADD COLUMN IF NOT EXISTS issued_at          TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS expected_breach_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS breach_range_start TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS breach_range_end   TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS current_value      NUMERIC,
    ADD COLUMN IF NOT EXISTS predicted_value    NUMERIC,
    ADD COLUMN IF NOT EXISTS baseline_value     NUMERIC,
    ADD COLUMN IF NOT EXISTS threshold_value    NUMERIC,
    ADD COLUMN IF NOT EXISTS priority           VARCHAR(20),  -- informational, warning, critical
    ADD COLUMN IF NOT EXISTS severity           VARCHAR(20),  -- low, medium, high, critical
    ADD COLUMN IF NOT EXISTS alert_score        NUMERIC,      -- 0–100
    ADD COLUMN IF NOT EXISTS status             VARCHAR(20) DEFAULT 'pending'; -- pending, materialized, expired
CREATE INDEX IF NOT EXISTS idx_ml_predictive_alerts_unsent ON ml_predictive_alerts (created_at) WHERE NOT alert_sent;

-- The engine's serialized per-service state (StateStore).
ALTER TABLE ml_models
    ADD COLUMN IF NOT EXISTS state BYTEA;

-- The quick start counts recent rows by created_at, a column Phase 4 never had. Rows that existed
-- before this migration get the time it ran.
ALTER TABLE analytics_metrics_1hour
    ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ DEFAULT NOW();

-- Retention moves rows here instead of deleting them (ml_archive_old_anomalies).
CREATE TABLE IF NOT EXISTS ml_anomalies_archive (
    anomaly_id        VARCHAR(255) PRIMARY KEY,
    service           VARCHAR(255) NOT NULL,
    anomaly_type      VARCHAR(50)  NOT NULL,
    severity          VARCHAR(20)  NOT NULL,
    timestamp         TIMESTAMPTZ  NOT NULL,
    metric_name       VARCHAR(255),
    metric_value      NUMERIC,
    baseline_value    NUMERIC,
    deviation_percent NUMERIC,
    confidence_score  NUMERIC,
    description       TEXT,
    resolved          BOOLEAN,
    resolved_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ,
    anomaly_score     NUMERIC,
    contributions     JSONB,
    resolution_reason TEXT,
    resolved_by       VARCHAR(255),
    notified_at       TIMESTAMPTZ,
    archived_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_anomalies_archive_service_timestamp ON ml_anomalies_archive (service, timestamp DESC);

CREATE TABLE IF NOT EXISTS ml_anomaly_history_archive (
    history_id        BIGINT PRIMARY KEY,
    anomaly_id        VARCHAR(255),
    old_status        VARCHAR(20),
    new_status        VARCHAR(20),
    resolved_at       TIMESTAMPTZ,
    resolution_reason TEXT,
    changed_at        TIMESTAMPTZ,
    changed_by        VARCHAR(255),
    archived_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_anomaly_history_archive_anomaly_id ON ml_anomaly_history_archive (anomaly_id, changed_at DESC);
