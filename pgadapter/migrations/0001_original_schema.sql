-- 0001: the tables and indexes of the original Phase 5 ml_schema.sql, with their original column
-- names and types, and the two Phase 4 tables that Phase 5 reads when the database lacks them.
-- Every statement is idempotent, so this also runs on a database where the original script was
-- applied by hand. Later versions widen the numeric columns and add omen's columns.

-- The original created this schema and then left it empty; it is kept for compatibility. Every
-- table lives in the current schema (public by default), as it did in the original. Migrations
-- of different schemas may run at once, and two concurrent CREATE SCHEMA IF NOT EXISTS can
-- collide on the catalog's unique index; the loser finds the schema made. A role without CREATE
-- on the database (one that owns only its own schema) goes without it: nothing uses it.
DO $$
BEGIN
    CREATE SCHEMA IF NOT EXISTS ml;
EXCEPTION WHEN unique_violation OR duplicate_schema OR insufficient_privilege THEN
    NULL;
END
$$;

CREATE TABLE IF NOT EXISTS ml_anomalies (
    anomaly_id        VARCHAR(255) PRIMARY KEY,
    service           VARCHAR(255) NOT NULL,
    anomaly_type      VARCHAR(50)  NOT NULL, -- outlier, trend_change, spike, dip, pattern_shift, seasonality_break
    severity          VARCHAR(20)  NOT NULL, -- low, medium, high, critical
    timestamp         TIMESTAMPTZ  NOT NULL,
    metric_name       VARCHAR(255),
    metric_value      NUMERIC(12, 4),
    baseline_value    NUMERIC(12, 4),
    deviation_percent NUMERIC(10, 2),
    confidence_score  NUMERIC(5, 4),
    description       TEXT,
    resolved          BOOLEAN DEFAULT FALSE,
    resolved_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_anomalies_service_timestamp ON ml_anomalies (service, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_ml_anomalies_severity ON ml_anomalies (severity, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_ml_anomalies_anomaly_type ON ml_anomalies (anomaly_type, timestamp DESC);

CREATE TABLE IF NOT EXISTS ml_anomaly_history (
    history_id        BIGSERIAL PRIMARY KEY,
    anomaly_id        VARCHAR(255) REFERENCES ml_anomalies (anomaly_id),
    old_status        VARCHAR(20),
    new_status        VARCHAR(20),
    resolved_at       TIMESTAMPTZ,
    resolution_reason TEXT,
    changed_at        TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    changed_by        VARCHAR(255)
);
CREATE INDEX IF NOT EXISTS idx_ml_anomaly_history_anomaly_id ON ml_anomaly_history (anomaly_id, changed_at DESC);

CREATE TABLE IF NOT EXISTS ml_models (
    model_id         VARCHAR(255) PRIMARY KEY,
    model_name       VARCHAR(255) NOT NULL,
    model_type       VARCHAR(50)  NOT NULL, -- isolation_forest, one_class_svm, pattern_analyzer, omen_state
    service          VARCHAR(255),
    version          VARCHAR(20),
    status           VARCHAR(20),           -- active, inactive, training, deprecated
    accuracy         NUMERIC(5, 4),
    precision        NUMERIC(5, 4),
    recall           NUMERIC(5, 4),
    f1_score         NUMERIC(5, 4),
    training_samples INTEGER,
    trained_at       TIMESTAMPTZ,
    last_used_at     TIMESTAMPTZ,
    parameters       JSONB,
    created_at       TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_models_service_status ON ml_models (service, status);
CREATE INDEX IF NOT EXISTS idx_ml_models_model_type ON ml_models (model_type, trained_at DESC);

CREATE TABLE IF NOT EXISTS ml_patterns (
    pattern_id     VARCHAR(255) PRIMARY KEY,
    service        VARCHAR(255) NOT NULL,
    pattern_name   VARCHAR(255),
    pattern_type   VARCHAR(50),
    window_size    INTEGER,
    confidence     NUMERIC(5, 4),
    feature_vector FLOAT8[],
    occurrences    INTEGER DEFAULT 0,
    first_seen     TIMESTAMPTZ,
    last_seen      TIMESTAMPTZ,
    is_active      BOOLEAN DEFAULT TRUE,
    created_at     TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_patterns_service_active ON ml_patterns (service, is_active);
CREATE INDEX IF NOT EXISTS idx_ml_patterns_pattern_type ON ml_patterns (pattern_type, confidence DESC);

CREATE TABLE IF NOT EXISTS ml_trends (
    trend_id              VARCHAR(255) PRIMARY KEY,
    service               VARCHAR(255) NOT NULL,
    metric_name           VARCHAR(255) NOT NULL,
    trend_direction       VARCHAR(20), -- upward, downward, stable
    trend_magnitude       NUMERIC(10, 4),
    seasonality_score     NUMERIC(5, 4),
    autocorrelation_lag1  NUMERIC(5, 4),
    start_timestamp       TIMESTAMPTZ,
    end_timestamp         TIMESTAMPTZ,
    prediction_confidence NUMERIC(5, 4),
    created_at            TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_trends_service_metric ON ml_trends (service, metric_name, created_at DESC);

CREATE TABLE IF NOT EXISTS ml_anomaly_stats_hourly (
    stats_id        BIGSERIAL PRIMARY KEY,
    service         VARCHAR(255) NOT NULL,
    timestamp       TIMESTAMPTZ NOT NULL,
    total_anomalies INTEGER,
    critical_count  INTEGER,
    high_count      INTEGER,
    medium_count    INTEGER,
    low_count       INTEGER,
    avg_confidence  NUMERIC(5, 4),
    max_deviation   NUMERIC(10, 2),
    resolution_rate NUMERIC(5, 4),
    created_at      TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (service, timestamp)
);
CREATE INDEX IF NOT EXISTS idx_ml_anomaly_stats_service_timestamp ON ml_anomaly_stats_hourly (service, timestamp DESC);

CREATE TABLE IF NOT EXISTS ml_anomaly_stats_daily (
    stats_id        BIGSERIAL PRIMARY KEY,
    service         VARCHAR(255) NOT NULL,
    date            DATE NOT NULL,
    total_anomalies INTEGER,
    critical_count  INTEGER,
    high_count      INTEGER,
    medium_count    INTEGER,
    low_count       INTEGER,
    avg_confidence  NUMERIC(5, 4),
    max_deviation   NUMERIC(10, 2),
    resolution_rate NUMERIC(5, 4),
    trend_detected  VARCHAR(50),
    created_at      TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (service, date)
);
CREATE INDEX IF NOT EXISTS idx_ml_anomaly_stats_daily_service ON ml_anomaly_stats_daily (service, date DESC);

CREATE TABLE IF NOT EXISTS ml_forecasts (
    forecast_id            VARCHAR(255) PRIMARY KEY,
    service                VARCHAR(255) NOT NULL,
    metric_name            VARCHAR(255) NOT NULL,
    forecast_timestamp     TIMESTAMPTZ,
    predicted_value        NUMERIC(12, 4),
    prediction_lower_bound NUMERIC(12, 4),
    prediction_upper_bound NUMERIC(12, 4),
    confidence_interval    NUMERIC(5, 4),
    actual_value           NUMERIC(12, 4),
    prediction_error       NUMERIC(10, 4),
    model_type             VARCHAR(50),
    created_at             TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    updated_at             TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_ml_forecasts_service_metric ON ml_forecasts (service, metric_name, forecast_timestamp DESC);

CREATE TABLE IF NOT EXISTS ml_model_performance (
    performance_id  BIGSERIAL PRIMARY KEY,
    model_id        VARCHAR(255) REFERENCES ml_models (model_id),
    evaluation_date DATE,
    true_positives  INTEGER,
    false_positives INTEGER,
    true_negatives  INTEGER,
    false_negatives INTEGER,
    precision       NUMERIC(5, 4),
    recall          NUMERIC(5, 4),
    f1_score        NUMERIC(5, 4),
    roc_auc         NUMERIC(5, 4),
    test_samples    INTEGER,
    created_at      TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_model_performance_model_date ON ml_model_performance (model_id, evaluation_date DESC);

CREATE TABLE IF NOT EXISTS ml_predictive_alerts (
    alert_id              VARCHAR(255) PRIMARY KEY,
    service               VARCHAR(255) NOT NULL,
    predicted_event       VARCHAR(255),
    prediction_confidence NUMERIC(5, 4),
    predicted_time_start  TIMESTAMPTZ,
    predicted_time_end    TIMESTAMPTZ,
    recommended_action    TEXT,
    alert_sent            BOOLEAN DEFAULT FALSE,
    alert_sent_at         TIMESTAMPTZ,
    materialized          BOOLEAN DEFAULT FALSE, -- did the predicted event happen?
    materialized_at       TIMESTAMPTZ,
    created_at            TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ml_predictive_alerts_service ON ml_predictive_alerts (service, predicted_time_start DESC);
CREATE INDEX IF NOT EXISTS idx_ml_predictive_alerts_materialized ON ml_predictive_alerts (materialized, alert_sent DESC);

-- Phase 4's hourly metrics, the engine's history. The layout is Phase 4's; when omen creates the
-- table, its counts are BIGINT and its measures unconstrained NUMERIC, so that no valid window
-- overflows a column. An existing Phase 4 table keeps its own types.
CREATE TABLE IF NOT EXISTS analytics_metrics_1hour (
    metric_id           BIGSERIAL PRIMARY KEY,
    timestamp           TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    service             VARCHAR(255) NOT NULL,
    total_requests      BIGINT DEFAULT 0,
    successful_requests BIGINT DEFAULT 0,
    failed_requests     BIGINT DEFAULT 0,
    error_rate          NUMERIC DEFAULT 0, -- percent
    latency_min         NUMERIC DEFAULT 0, -- milliseconds
    latency_p50         NUMERIC DEFAULT 0,
    latency_p95         NUMERIC DEFAULT 0,
    latency_p99         NUMERIC DEFAULT 0,
    latency_max         NUMERIC DEFAULT 0,
    latency_mean        NUMERIC DEFAULT 0,
    unique_users        BIGINT DEFAULT 0,
    unique_ips          BIGINT DEFAULT 0,
    avg_risk_score      NUMERIC DEFAULT 0,
    high_risk_count     BIGINT DEFAULT 0,
    aggregated_at       TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (service, timestamp)
);
CREATE INDEX IF NOT EXISTS idx_metrics_1hour_service_timestamp ON analytics_metrics_1hour (service, timestamp DESC);

-- Phase 4's rule breaches, the denominator of ml_calculate_anomaly_stats' detection rate. Phase 4
-- references analytics_alert_rules, whose rules it keeps in memory only; that foreign key is left
-- out here.
CREATE TABLE IF NOT EXISTS analytics_alerts (
    alert_id        VARCHAR(255) PRIMARY KEY,
    rule_id         VARCHAR(255) NOT NULL,
    service         VARCHAR(255) NOT NULL,
    metric          VARCHAR(100) NOT NULL,
    value           NUMERIC NOT NULL,
    threshold       NUMERIC NOT NULL,
    severity        VARCHAR(50) NOT NULL,
    message         TEXT,
    details         JSONB,
    status          VARCHAR(50) DEFAULT 'active',
    triggered_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    resolved_at     TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    CONSTRAINT valid_status CHECK (status IN ('active', 'resolved', 'acknowledged'))
);
CREATE INDEX IF NOT EXISTS idx_alerts_service_triggered ON analytics_alerts (service, triggered_at DESC);
CREATE INDEX IF NOT EXISTS idx_alerts_status ON analytics_alerts (status, triggered_at DESC);
CREATE INDEX IF NOT EXISTS idx_alerts_severity ON analytics_alerts (severity, triggered_at DESC);
