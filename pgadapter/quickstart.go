package pgadapter

// QuickStartQuery is one SQL query of the Phase 5 quick start (PHASE_5_QUICKSTART.md), verbatim:
// the checklist's, the dashboard's, the troubleshooting's and the retention's queries all run
// unchanged on the schema Migrate creates.
type QuickStartQuery struct {
	Title string // what the query shows, as the quick start's text around it says
	Line  int    // the quick start's line on which the query starts
	SQL   string // the query as the quick start writes it, comments included
	// Modifies is set for the one query that changes the database (the retention's
	// ml_archive_old_anomalies).
	Modifies bool
}

// QuickStartQueries returns the quick start's queries in the order it shows them.
func QuickStartQueries() []QuickStartQuery {
	return []QuickStartQuery{
		{Title: "Metrics windows stored in the last 24 hours", Line: 16,
			SQL: `SELECT COUNT(*) FROM analytics_metrics_1hour WHERE created_at > NOW() - INTERVAL '24 hours';`},
		{Title: "Recent anomalies", Line: 52, SQL: `SELECT anomaly_id, service, anomaly_type, severity, confidence_score, timestamp
FROM ml_anomalies
ORDER BY timestamp DESC
LIMIT 10;`},
		{Title: "Predictive alerts", Line: 60, SQL: `SELECT alert_id, service, predicted_event, prediction_confidence, predicted_time_start
FROM ml_predictive_alerts
ORDER BY created_at DESC
LIMIT 5;`},
		{Title: "Recent anomalies view", Line: 68, SQL: `SELECT * FROM ml_v_recent_anomalies LIMIT 10;`},
		{Title: "Overview: Last hour anomalies by service", Line: 153, SQL: `-- Overview: Last hour anomalies by service
SELECT 
    service,
    COUNT(*) as total_anomalies,
    COUNT(CASE WHEN severity = 'critical' THEN 1 END) as critical,
    COUNT(CASE WHEN severity = 'high' THEN 1 END) as high,
    ROUND(AVG(confidence_score)::numeric, 3) as avg_confidence,
    COUNT(CASE WHEN resolved THEN 1 END) as resolved
FROM ml_anomalies
WHERE timestamp > NOW() - INTERVAL '1 hour'
GROUP BY service
ORDER BY total_anomalies DESC;`},
		{Title: "Predictive alerts status", Line: 166, SQL: `-- Predictive alerts status
SELECT 
    COUNT(*) as total_predicted,
    COUNT(CASE WHEN alert_sent THEN 1 END) as alerts_sent,
    COUNT(CASE WHEN materialized THEN 1 END) as materialized,
    ROUND(100.0 * COUNT(CASE WHEN materialized THEN 1 END) / COUNT(*)::numeric, 1) as materialization_rate
FROM ml_predictive_alerts
WHERE created_at > NOW() - INTERVAL '24 hours';`},
		{Title: "Top anomalies today", Line: 175, SQL: `-- Top anomalies today
SELECT 
    service, 
    anomaly_type, 
    COUNT(*) as count,
    ROUND(AVG(confidence_score)::numeric, 3) as avg_confidence
FROM ml_anomalies
WHERE DATE(timestamp) = DATE(NOW())
GROUP BY service, anomaly_type
ORDER BY count DESC;`},
		{Title: "Metrics windows stored", Line: 225, SQL: `SELECT COUNT(*) FROM analytics_metrics_1hour;`},
		{Title: "History of api in the last 4 hours", Line: 257, SQL: `SELECT COUNT(*), MIN(timestamp), MAX(timestamp)
FROM analytics_metrics_1hour
WHERE timestamp > NOW() - INTERVAL '4 hours'
AND service = 'api';`},
		{Title: "Archive anomalies older than 90 days", Line: 285, SQL: `SELECT ml_archive_old_anomalies(90);`, Modifies: true},
	}
}
