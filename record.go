package omen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AnomalyType is the kind of an anomaly. It encodes as its lowercase name.
type AnomalyType string

// The anomaly types of the ml-anomalies topic and the ml_anomalies table.
const (
	Outlier          AnomalyType = "outlier"           // the window as a whole is unlike the service's history
	Spike            AnomalyType = "spike"             // one metric jumps far above its baseline
	Dip              AnomalyType = "dip"               // one metric falls far below its baseline
	TrendChange      AnomalyType = "trend_change"      // a metric's trend changes direction or level
	PatternShift     AnomalyType = "pattern_shift"     // the joint behaviour leaves every known pattern
	SeasonalityBreak AnomalyType = "seasonality_break" // a metric departs from its usual daily or weekly shape
)

// AnomalyTypes lists every anomaly type.
var AnomalyTypes = []AnomalyType{Outlier, Spike, Dip, TrendChange, PatternShift, SeasonalityBreak}

// Severity is the level of an anomaly or a predictive alert on omen's one 0–100 scale: low below
// 25, medium from 25, high from 50, critical from 75 (by default; see the severity package).
type Severity string

// The severity levels.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities lists the levels from lowest to highest.
var Severities = []Severity{Low, Medium, High, Critical}

// Priority is how urgently a predictive alert asks for action.
type Priority string

// The priorities of predictive alerts.
const (
	Informational Priority = "informational"
	Warning       Priority = "warning"
	CriticalAlert Priority = "critical"
)

// AlertStatus is the life cycle of a predictive alert: pending until its window closes, then
// materialized if the predicted breach happened inside the window, expired otherwise.
type AlertStatus string

// The states of a predictive alert.
const (
	Pending      AlertStatus = "pending"
	Materialized AlertStatus = "materialized"
	Expired      AlertStatus = "expired"
)

func checkEnum[T ~string](kind string, v T, valid ...T) error {
	for _, ok := range valid {
		if v == ok {
			return nil
		}
	}
	return fmt.Errorf("omen: unknown %s %q", kind, string(v))
}

func unmarshalEnum[T ~string](kind string, data []byte, dst *T, valid ...T) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("omen: %s: %w", kind, err)
	}
	if err := checkEnum(kind, T(s), valid...); err != nil {
		return err
	}
	*dst = T(s)
	return nil
}

// UnmarshalJSON accepts only the known anomaly types.
func (t *AnomalyType) UnmarshalJSON(data []byte) error {
	return unmarshalEnum("anomaly type", data, t, AnomalyTypes...)
}

// UnmarshalJSON accepts only the known severity levels.
func (s *Severity) UnmarshalJSON(data []byte) error {
	return unmarshalEnum("severity", data, s, Severities...)
}

// UnmarshalJSON accepts only the known priorities.
func (p *Priority) UnmarshalJSON(data []byte) error {
	return unmarshalEnum("priority", data, p, Informational, Warning, CriticalAlert)
}

// UnmarshalJSON accepts only the known alert states.
func (s *AlertStatus) UnmarshalJSON(data []byte) error {
	return unmarshalEnum("alert status", data, s, Pending, Materialized, Expired)
}

// Anomaly is one detected anomaly, as published on ml-anomalies and stored in ml_anomalies.
type Anomaly struct {
	ID       string      `json:"anomaly_id"`
	Service  string      `json:"service"`
	Type     AnomalyType `json:"anomaly_type"`
	Severity Severity    `json:"severity"`
	// Score is calibrated 0–100; Severity is its level, except that a metric's change smaller than
	// the smallest that matters for that metric (a tiny baseline makes a tiny change improbable:
	// an error rate from 0.01 % to 0.05 %) is graded low whatever its score.
	Score            float64   `json:"anomaly_score"`
	Timestamp        time.Time `json:"timestamp"` // the window's start, UTC
	Metric           string    `json:"metric_name"`
	Value            float64   `json:"metric_value"`
	Baseline         float64   `json:"baseline_value"`
	DeviationPercent float64   `json:"deviation_percent"`
	Confidence       float64   `json:"confidence_score"` // in [0, 1]
	Description      string    `json:"description"`
	Resolved         bool      `json:"resolved"`
	// Contributions names the metrics that explain an outlier, each with its share in [0, 1].
	Contributions map[string]float64 `json:"contributions,omitempty"`
}

// Pattern is a recurring behaviour of a service, as published on ml-patterns and stored in
// ml_patterns.
type Pattern struct {
	ID          string    `json:"pattern_id"`
	Service     string    `json:"service"`
	Name        string    `json:"pattern_name"`
	Type        string    `json:"pattern_type"`
	WindowSize  int       `json:"window_size"` // windows in the pattern's cluster
	Confidence  float64   `json:"confidence"`
	Vector      []float64 `json:"feature_vector"` // centre, in raw units, in the order of FeatureNames
	Features    []string  `json:"feature_names"`
	Occurrences int       `json:"occurrences"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Active      bool      `json:"is_active"`
}

// Forecast is one forecast value of a metric, stored in ml_forecasts. Actual and Error are set
// once the forecast window has been observed.
type Forecast struct {
	ID         string    `json:"forecast_id"`
	Service    string    `json:"service"`
	Metric     string    `json:"metric_name"`
	IssuedAt   time.Time `json:"issued_at"`          // the window whose data the forecast used
	Timestamp  time.Time `json:"forecast_timestamp"` // the window forecast
	Predicted  float64   `json:"predicted_value"`
	Lower      float64   `json:"prediction_lower_bound"`
	Upper      float64   `json:"prediction_upper_bound"`
	Level      float64   `json:"confidence_interval"` // coverage of [Lower, Upper], e.g. 0.9
	Actual     *float64  `json:"actual_value"`
	Error      *float64  `json:"prediction_error"` // Actual − Predicted
	Model      string    `json:"model_type"`       // e.g. "arima(1,1,1)"
	ModelOrder string    `json:"model_order,omitempty"`
}

// PredictiveAlert warns that a metric is forecast to cross its threshold, as published on
// predictive-alerts and stored in ml_predictive_alerts.
type PredictiveAlert struct {
	ID                string      `json:"alert_id"`
	Service           string      `json:"service"`
	Metric            string      `json:"metric_name"`
	PredictionType    string      `json:"prediction_type"` // "threshold_breach"
	PredictedEvent    string      `json:"predicted_event"`
	Confidence        float64     `json:"prediction_confidence"` // probability of the breach within the window
	IssuedAt          time.Time   `json:"issued_at"`
	WindowStart       time.Time   `json:"predicted_time_start"`
	WindowEnd         time.Time   `json:"predicted_time_end"`
	ExpectedBreach    time.Time   `json:"expected_breach_at"`
	BreachEarliest    time.Time   `json:"breach_range_start"` // central interval of the breach time
	BreachLatest      time.Time   `json:"breach_range_end"`
	CurrentValue      float64     `json:"current_value"`
	PredictedValue    float64     `json:"predicted_value"` // forecast mean at the expected breach step
	BaselineValue     float64     `json:"baseline_value"`
	Threshold         float64     `json:"threshold_value"`
	RecommendedAction string      `json:"recommended_action"`
	Priority          Priority    `json:"priority"`
	Severity          Severity    `json:"severity"`
	Score             float64     `json:"alert_score"` // 0–100, the scale anomalies use
	Status            AlertStatus `json:"status"`
	Sent              bool        `json:"alert_sent"`
	SentAt            *time.Time  `json:"alert_sent_at"`
	MaterializedAt    *time.Time  `json:"materialized_at"`
}

// RecordID returns the deterministic identifier of a record: the first 16 bytes, in hex, of the
// SHA-256 of service, kind, metric and the window's timestamp (RFC 3339, UTC). A redelivered
// message yields the same IDs, which makes every write idempotent.
func RecordID(service, kind, metric string, window time.Time) string {
	key := recordKey(service, kind, metric, window)
	return recordKeyString(key)
}

// recordKey returns the 16 bytes of RecordID before their hex encoding.
func recordKey(service, kind, metric string, window time.Time) [16]byte {
	var stack [256]byte
	b := append(stack[:0], service...)
	b = append(b, 0)
	b = append(b, kind...)
	b = append(b, 0)
	b = append(b, metric...)
	b = append(b, 0)
	b = window.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, 0)
	sum := sha256.Sum256(b)
	return [16]byte(sum[:16])
}

// recordKeyString returns the hex form of key, a record ID.
func recordKeyString(key [16]byte) string {
	var id [32]byte
	hex.Encode(id[:], key[:])
	return string(id[:])
}
