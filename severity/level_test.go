package severity

import (
	"math"
	"slices"
	"testing"
)

func TestLevelsOf(t *testing.T) {
	tests := []struct {
		ls    Levels
		score float64
		want  Level
	}{
		{Levels{}, 0, Low}, {Levels{}, 24.99, Low}, {Levels{}, 25, Medium}, {Levels{}, 49.9, Medium},
		{Levels{}, 50, High}, {Levels{}, 75, Critical}, {Levels{}, 100, Critical}, {Levels{}, math.NaN(), Low},
		{Levels{Medium: 10, High: 20, Critical: 90}, 80, High},
	}
	for _, tc := range tests {
		if got := tc.ls.Of(tc.score); got != tc.want {
			t.Errorf("%+v.Of(%g) = %v, want %v", tc.ls, tc.score, got, tc.want)
		}
	}
}

func TestGradeMinimumEffect(t *testing.T) {
	// An error rate going from 0.01 % to 0.05 % may be very improbable, but below a minimum effect of
	// 0.5 percentage points it stays low.
	var ls Levels
	if got := ls.Grade(95, 0.0004, 0.005); got != Low {
		t.Errorf("tiny effect: %v", got)
	}
	if got := ls.Grade(95, -0.02, 0.005); got != Critical {
		t.Errorf("large negative effect: %v", got)
	}
	if got := ls.Grade(95, math.NaN(), 0.005); got != Low {
		t.Errorf("NaN effect: %v", got)
	}
}

func TestLevelText(t *testing.T) {
	for l := Low; l <= Critical; l++ {
		b, err := l.MarshalText()
		var back Level
		if err != nil || back.UnmarshalText(b) != nil || back != l {
			t.Errorf("%v: %s, %v", l, b, err)
		}
	}
	if got := []string{Low.String(), Medium.String(), High.String(), Critical.String()}; !slices.Equal(got, []string{"low", "medium", "high", "critical"}) {
		t.Errorf("names %v", got)
	}
	var l Level
	if l.UnmarshalText([]byte("severe")) == nil {
		t.Error("accepted an unknown name")
	}
	if _, err := Level(7).MarshalText(); err == nil || Level(7).String() != "Level(7)" {
		t.Error("invalid level encoded")
	}
}

func TestEscalator(t *testing.T) {
	var e Escalator // After 3, From Medium
	in := []Level{Medium, Medium, Medium, High, Medium, Low, High, High, High, High, High, High, High, High, High, Critical}
	want := []Level{Medium, Medium, High, Critical, High, Low, High, High, Critical, Critical, Critical, Critical, Critical, Critical, Critical, Critical}
	for i, l := range in {
		if got := e.Add(l); got != want[i] {
			t.Errorf("window %d (%v, run %d): %v, want %v", i, l, e.Run(), got, want[i])
		}
	}
	e.Reset()
	if e.Run() != 0 {
		t.Error("Reset kept the run")
	}
	f := NewEscalator(EscalationConfig{After: 2, From: High})
	got := []Level{f.Add(Medium), f.Add(High), f.Add(High), f.Add(Medium)}
	if !slices.Equal(got, []Level{Medium, High, Critical, Medium}) {
		t.Errorf("After 2 From High: %v", got)
	}
}

func TestEscalatorBinaryRoundTrip(t *testing.T) {
	e := NewEscalator(EscalationConfig{After: 4, From: High})
	e.Add(High)
	b, _ := e.MarshalBinary()
	var r Escalator
	if err := r.UnmarshalBinary(b); err != nil || r != *e {
		t.Fatalf("restored %+v, %v; want %+v", r, err, *e)
	}
	for _, bad := range [][]byte{nil, {2, 1, 1, 0}, {1, 0, 1, 0}, {1, 1, 0, 0}, {1, 1, 9, 0}, append(slices.Clone(b), 0)} {
		if r.UnmarshalBinary(bad) == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}
