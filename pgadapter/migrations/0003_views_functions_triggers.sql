-- 0003: the original's four views, its three functions (fixed: they failed in the original) and
-- its two triggers (idempotent: the original's CREATE TRIGGER failed on a second run).

-- Views ------------------------------------------------------------------------------------------

-- Anomalies of the last 24 hours by service, type and severity.
CREATE OR REPLACE VIEW ml_v_recent_anomalies AS
SELECT service,
       anomaly_type,
       severity,
       COUNT(*)              AS count,
       MAX(timestamp)        AS latest,
       AVG(confidence_score) AS avg_confidence,
       SUM(CASE WHEN resolved THEN 1 ELSE 0 END)::FLOAT / COUNT(*) AS resolution_rate
FROM ml_anomalies
WHERE timestamp > CURRENT_TIMESTAMP - INTERVAL '24 hours'
GROUP BY service, anomaly_type, severity
ORDER BY count DESC, latest DESC;

-- Unresolved critical anomalies of the last 7 days.
CREATE OR REPLACE VIEW ml_v_critical_anomalies AS
SELECT anomaly_id,
       service,
       anomaly_type,
       timestamp,
       metric_name,
       confidence_score,
       description,
       resolved
FROM ml_anomalies
WHERE severity = 'critical'
  AND resolved = FALSE
  AND timestamp > CURRENT_TIMESTAMP - INTERVAL '7 days'
ORDER BY timestamp DESC, confidence_score DESC;

-- Daily anomaly counts of the last 30 days.
CREATE OR REPLACE VIEW ml_v_anomaly_trends AS
SELECT service,
       DATE(timestamp) AS date,
       COUNT(*)        AS total_anomalies,
       COUNT(CASE WHEN severity = 'critical' THEN 1 END) AS critical_count,
       COUNT(CASE WHEN severity = 'high' THEN 1 END)     AS high_count,
       AVG(confidence_score)  AS avg_confidence,
       MAX(deviation_percent) AS max_deviation
FROM ml_anomalies
WHERE timestamp > CURRENT_TIMESTAMP - INTERVAL '30 days'
GROUP BY service, DATE(timestamp)
ORDER BY service, date DESC;

-- Models by recency of use: active (used in the last 24 hours), stale (last 7 days) or inactive.
CREATE OR REPLACE VIEW ml_v_model_health AS
SELECT model_name,
       model_type,
       service,
       status,
       accuracy,
       precision,
       recall,
       f1_score,
       trained_at,
       CASE
           WHEN last_used_at > CURRENT_TIMESTAMP - INTERVAL '24 hours' THEN 'active'
           WHEN last_used_at > CURRENT_TIMESTAMP - INTERVAL '7 days' THEN 'stale'
           ELSE 'inactive'
       END AS usage_status
FROM ml_models
ORDER BY service, trained_at DESC;

-- Functions --------------------------------------------------------------------------------------
-- Dropped first: the original versions may exist with another language or body.

DROP FUNCTION IF EXISTS ml_calculate_anomaly_stats(VARCHAR, TIMESTAMPTZ, TIMESTAMPTZ);
DROP FUNCTION IF EXISTS ml_get_top_anomalies(VARCHAR, INTEGER);
DROP FUNCTION IF EXISTS ml_archive_old_anomalies(INTEGER);

-- A service's anomaly statistics over [p_start_time, p_end_time]: counts by severity, mean
-- confidence, the resolved fraction, and detection_rate = anomalies / Phase 4 rule breaches
-- (analytics_alerts triggered in the same period). The rates are NULL when their denominator is 0.
CREATE FUNCTION ml_calculate_anomaly_stats(
    p_service    VARCHAR,
    p_start_time TIMESTAMPTZ,
    p_end_time   TIMESTAMPTZ
) RETURNS TABLE (
    total_anomalies BIGINT,
    critical_count  BIGINT,
    high_count      BIGINT,
    medium_count    BIGINT,
    low_count       BIGINT,
    avg_confidence  NUMERIC,
    resolution_rate NUMERIC,
    detection_rate  NUMERIC
) LANGUAGE sql STABLE AS $$
    SELECT COUNT(*),
           COUNT(*) FILTER (WHERE a.severity = 'critical'),
           COUNT(*) FILTER (WHERE a.severity = 'high'),
           COUNT(*) FILTER (WHERE a.severity = 'medium'),
           COUNT(*) FILTER (WHERE a.severity = 'low'),
           AVG(a.confidence_score),
           COUNT(*) FILTER (WHERE a.resolved)::NUMERIC / NULLIF(COUNT(*), 0),
           COUNT(*)::NUMERIC / NULLIF((
               SELECT COUNT(*)
               FROM analytics_alerts al
               WHERE al.service = p_service
                 AND al.triggered_at BETWEEN p_start_time AND p_end_time
           ), 0)
    FROM ml_anomalies a
    WHERE a.service = p_service
      AND a.timestamp BETWEEN p_start_time AND p_end_time
$$;

-- A service's p_limit most confident anomalies, most recent first among equals.
CREATE FUNCTION ml_get_top_anomalies(
    p_service VARCHAR,
    p_limit   INTEGER DEFAULT 10
) RETURNS TABLE (
    anomaly_id        VARCHAR,
    anomaly_type      VARCHAR,
    severity          VARCHAR,
    "timestamp"       TIMESTAMPTZ,
    confidence_score  NUMERIC,
    deviation_percent NUMERIC
) LANGUAGE sql STABLE AS $$
    SELECT a.anomaly_id, a.anomaly_type, a.severity, a.timestamp, a.confidence_score, a.deviation_percent
    FROM ml_anomalies a
    WHERE a.service = p_service
    ORDER BY a.confidence_score DESC NULLS LAST, a.timestamp DESC
    LIMIT p_limit
$$;

-- Moves the anomalies whose timestamp is more than p_days_to_keep days old, with their history,
-- into ml_anomalies_archive and ml_anomaly_history_archive, and returns how many anomalies moved
-- and the range of their timestamps (NULL when none moved). Nothing is deleted without being
-- archived in the same transaction. An anomaly archived again (a redelivered result) replaces
-- its archived copy.
CREATE FUNCTION ml_archive_old_anomalies(
    p_days_to_keep INTEGER DEFAULT 90
) RETURNS TABLE (
    anomalies_archived BIGINT,
    earliest_archived  TIMESTAMPTZ,
    latest_archived    TIMESTAMPTZ
) LANGUAGE plpgsql AS $$
DECLARE
    v_cutoff TIMESTAMPTZ;
    v_ids    VARCHAR[];
BEGIN
    IF p_days_to_keep IS NULL OR p_days_to_keep < 0 THEN
        RAISE EXCEPTION 'ml_archive_old_anomalies: days to keep must be 0 or more, got %', p_days_to_keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_cutoff := CURRENT_TIMESTAMP - make_interval(days => p_days_to_keep);

    -- Lock the anomalies to move, so that no history row can be added to them meanwhile.
    SELECT COALESCE(array_agg(old.anomaly_id), '{}')
    INTO v_ids
    FROM (SELECT a.anomaly_id FROM ml_anomalies a WHERE a.timestamp < v_cutoff FOR UPDATE) old;

    INSERT INTO ml_anomaly_history_archive
        (history_id, anomaly_id, old_status, new_status, resolved_at, resolution_reason, changed_at, changed_by)
    SELECT h.history_id, h.anomaly_id, h.old_status, h.new_status, h.resolved_at, h.resolution_reason,
           h.changed_at, h.changed_by
    FROM ml_anomaly_history h
    WHERE h.anomaly_id = ANY (v_ids);

    DELETE FROM ml_anomaly_history h WHERE h.anomaly_id = ANY (v_ids);

    WITH moved AS (
        DELETE FROM ml_anomalies a WHERE a.anomaly_id = ANY (v_ids) RETURNING a.*
    ), archived AS (
        INSERT INTO ml_anomalies_archive AS arc
            (anomaly_id, service, anomaly_type, severity, timestamp, metric_name, metric_value,
             baseline_value, deviation_percent, confidence_score, description, resolved, resolved_at,
             created_at, anomaly_score, contributions, resolution_reason, resolved_by, notified_at)
        SELECT m.anomaly_id, m.service, m.anomaly_type, m.severity, m.timestamp, m.metric_name, m.metric_value,
               m.baseline_value, m.deviation_percent, m.confidence_score, m.description, m.resolved, m.resolved_at,
               m.created_at, m.anomaly_score, m.contributions, m.resolution_reason, m.resolved_by, m.notified_at
        FROM moved m
        ON CONFLICT (anomaly_id) DO UPDATE SET
            service = EXCLUDED.service, anomaly_type = EXCLUDED.anomaly_type, severity = EXCLUDED.severity,
            timestamp = EXCLUDED.timestamp, metric_name = EXCLUDED.metric_name,
            metric_value = EXCLUDED.metric_value, baseline_value = EXCLUDED.baseline_value,
            deviation_percent = EXCLUDED.deviation_percent, confidence_score = EXCLUDED.confidence_score,
            description = EXCLUDED.description, resolved = EXCLUDED.resolved,
            resolved_at = EXCLUDED.resolved_at, created_at = EXCLUDED.created_at,
            anomaly_score = EXCLUDED.anomaly_score, contributions = EXCLUDED.contributions,
            resolution_reason = EXCLUDED.resolution_reason, resolved_by = EXCLUDED.resolved_by,
            notified_at = EXCLUDED.notified_at, archived_at = EXCLUDED.archived_at
    )
    SELECT COUNT(*), MIN(m.timestamp), MAX(m.timestamp)
    INTO anomalies_archived, earliest_archived, latest_archived
    FROM moved m;

    RETURN NEXT;
END;
$$;

-- Triggers ---------------------------------------------------------------------------------------

-- Records every change of an anomaly's resolved flag in ml_anomaly_history, with the reason and
-- the author kept on the anomaly row (resolution_reason, resolved_by; the session's user when
-- unset).
CREATE OR REPLACE FUNCTION ml_log_anomaly_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.resolved IS DISTINCT FROM NEW.resolved THEN
        INSERT INTO ml_anomaly_history
            (anomaly_id, old_status, new_status, resolved_at, resolution_reason, changed_at, changed_by)
        VALUES (
            NEW.anomaly_id,
            CASE WHEN OLD.resolved THEN 'resolved' ELSE 'open' END,
            CASE WHEN NEW.resolved THEN 'resolved' ELSE 'open' END,
            NEW.resolved_at,
            CASE WHEN NEW.resolved THEN NEW.resolution_reason END,
            CURRENT_TIMESTAMP,
            COALESCE(CASE WHEN NEW.resolved THEN NEW.resolved_by END, session_user::VARCHAR)
        );
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS tr_ml_anomaly_status_change ON ml_anomalies;
CREATE TRIGGER tr_ml_anomaly_status_change
    AFTER UPDATE ON ml_anomalies
    FOR EACH ROW EXECUTE FUNCTION ml_log_anomaly_change();

-- Keeps ml_models.updated_at current.
CREATE OR REPLACE FUNCTION ml_update_model_timestamp() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS tr_ml_model_update_timestamp ON ml_models;
CREATE TRIGGER tr_ml_model_update_timestamp
    BEFORE UPDATE ON ml_models
    FOR EACH ROW EXECUTE FUNCTION ml_update_model_timestamp();
