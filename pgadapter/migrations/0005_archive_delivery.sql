-- 0005: the archive keeps the delivery columns of 0004, and archiving excludes concurrent
-- writes of anomalies.

ALTER TABLE ml_anomalies_archive
    ADD COLUMN IF NOT EXISTS delivered_to    TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS notify_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS notify_next_at  TIMESTAMPTZ;

-- Moves the anomalies whose timestamp is more than p_days_to_keep days old, with their history,
-- into ml_anomalies_archive and ml_anomaly_history_archive, and returns how many anomalies moved
-- and the range of their timestamps (NULL when none moved). Nothing is deleted without being
-- archived in the same transaction, every column included. An anomaly archived again replaces
-- its archived copy.
CREATE OR REPLACE FUNCTION ml_archive_old_anomalies(
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
    -- Writers of anomalies hold this lock shared (pgadapter's Store.Write): a write racing with
    -- the move waits for it and then sees the archived copy, instead of putting the anomaly back.
    PERFORM pg_advisory_xact_lock(hashtextextended('omen.pgadapter.archive:' || current_schema(), 0));
    -- Beyond a million days (2,700 years) the cutoff would leave the range of timestamps.
    v_cutoff := CURRENT_TIMESTAMP - make_interval(days => LEAST(p_days_to_keep, 1000000));

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
             created_at, anomaly_score, contributions, resolution_reason, resolved_by, notified_at,
             delivered_to, notify_attempts, notify_next_at)
        SELECT m.anomaly_id, m.service, m.anomaly_type, m.severity, m.timestamp, m.metric_name, m.metric_value,
               m.baseline_value, m.deviation_percent, m.confidence_score, m.description, m.resolved, m.resolved_at,
               m.created_at, m.anomaly_score, m.contributions, m.resolution_reason, m.resolved_by, m.notified_at,
               m.delivered_to, m.notify_attempts, m.notify_next_at
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
            notified_at = EXCLUDED.notified_at, delivered_to = EXCLUDED.delivered_to,
            notify_attempts = EXCLUDED.notify_attempts, notify_next_at = EXCLUDED.notify_next_at,
            archived_at = EXCLUDED.archived_at
    )
    SELECT COUNT(*), MIN(m.timestamp), MAX(m.timestamp)
    INTO anomalies_archived, earliest_archived, latest_archived
    FROM moved m;

    RETURN NEXT;
END;
$$;
