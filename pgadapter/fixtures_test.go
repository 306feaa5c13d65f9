package pgadapter

import (
	"fmt"
	"time"

	"github.com/stacklens/omen"
)

func ptr[T any](v T) *T { return &v }

// testNow is the tests' reference time, truncated to PostgreSQL's microsecond precision.
func testNow() time.Time { return time.Now().UTC().Truncate(time.Second) }

func testMetrics(service string, at time.Time, i int) omen.Metrics {
	return omen.Metrics{
		Service:       service,
		Timestamp:     at,
		Window:        time.Hour,
		TotalRequests: int64(1000 + i),
		ErrorRate:     0.5 + float64(i%100)/8,
		LatencyP50:    40.25 + float64(i),
		LatencyP95:    90.125 + float64(i),
		LatencyP99:    150.0625 + float64(i),
		LatencyMean:   50.1 + float64(i),
		UniqueUsers:   int64(100 + i),
		UniqueIPs:     int64(50 + i),
		RiskScore:     0.3 + float64(i)/1000,
	}
}

func testAnomaly(service string, at time.Time, typ omen.AnomalyType, severity omen.Severity, confidence float64) omen.Anomaly {
	return omen.Anomaly{
		ID:               omen.RecordID(service, "anomaly", string(typ), at),
		Service:          service,
		Type:             typ,
		Severity:         severity,
		Score:            87.5,
		Timestamp:        at,
		Metric:           "latency_p99_ms",
		Value:            1234.5678901,
		Baseline:         150.25,
		DeviationPercent: 721.6,
		Confidence:       confidence,
		Description:      fmt.Sprintf("%s %s at %s", service, typ, at.Format(time.RFC3339)),
		Contributions:    map[string]float64{"latency_p99_ms": 0.75, "error_rate": 0.25},
	}
}

func testPattern(service string, at time.Time) omen.Pattern {
	return omen.Pattern{
		ID:          omen.RecordID(service, "pattern", "cluster-0", at),
		Service:     service,
		Name:        "steady",
		Type:        "daily",
		WindowSize:  24,
		Confidence:  0.9,
		Vector:      []float64{0.5, 150, 90, 50, 100, 50, 0.3, 1000},
		Features:    omen.FeatureNames[:],
		Occurrences: 24,
		FirstSeen:   at.Add(-24 * time.Hour),
		LastSeen:    at,
		Active:      true,
	}
}

func testForecast(service string, issued time.Time, step int) omen.Forecast {
	target := issued.Add(time.Duration(step) * time.Hour)
	return omen.Forecast{
		ID:         omen.RecordID(service, "forecast", "error_rate", target),
		Service:    service,
		Metric:     "error_rate",
		IssuedAt:   issued,
		Timestamp:  target,
		Predicted:  2.5 + float64(step),
		Lower:      1.25,
		Upper:      3.75 + float64(step),
		Level:      0.9,
		Model:      "arima(1,1,1)",
		ModelOrder: "1,1,1",
	}
}

func testAlert(service string, issued time.Time) omen.PredictiveAlert {
	return omen.PredictiveAlert{
		ID:                omen.RecordID(service, "alert", "error_rate", issued),
		Service:           service,
		Metric:            "error_rate",
		PredictionType:    "threshold_breach",
		PredictedEvent:    "error_rate may exceed 5 within 3 hours",
		Confidence:        0.8,
		IssuedAt:          issued,
		WindowStart:       issued,
		WindowEnd:         issued.Add(3 * time.Hour),
		ExpectedBreach:    issued.Add(2 * time.Hour),
		BreachEarliest:    issued.Add(time.Hour),
		BreachLatest:      issued.Add(3 * time.Hour),
		CurrentValue:      2.9,
		PredictedValue:    5.27,
		BaselineValue:     2.03,
		Threshold:         5,
		RecommendedAction: "Monitor error_rate closely",
		Priority:          omen.Warning,
		Severity:          omen.High,
		Score:             62.5,
		Status:            omen.Pending,
	}
}

// testResults returns one window's worth of every record kind for two services.
func testResults(now time.Time) omen.Results {
	var r omen.Results
	for _, svc := range []string{"api", "checkout"} {
		for h := range 3 {
			r.Metrics = append(r.Metrics, testMetrics(svc, now.Add(-time.Duration(h)*time.Hour).Truncate(time.Hour), h))
		}
		r.Anomalies = append(r.Anomalies,
			testAnomaly(svc, now.Add(-10*time.Minute), omen.Outlier, omen.Critical, 0.95),
			testAnomaly(svc, now.Add(-20*time.Minute), omen.Spike, omen.High, 0.7))
		r.Patterns = append(r.Patterns, testPattern(svc, now))
		r.Forecasts = append(r.Forecasts, testForecast(svc, now, 1), testForecast(svc, now, 2))
		r.Alerts = append(r.Alerts, testAlert(svc, now))
	}
	return r
}
