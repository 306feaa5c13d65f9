package omen_test

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stacklens/omen"
)

// streamHourly returns n hourly values of a daily cycle around 100 with a little deterministic noise.
func streamHourly(n int) ([]time.Time, []float64) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := make([]time.Time, n)
	vs := make([]float64, n)
	for i := range n {
		ts[i] = start.Add(time.Duration(i) * time.Hour)
		vs[i] = 100 + 20*math.Sin(2*math.Pi*float64(i)/24) + 2*math.Sin(float64(i*i)) // noise-like
	}
	return ts, vs
}

// The zero StreamDetector is ready: feed it a metric's values as they arrive.
func ExampleStreamDetector() {
	ts, vs := streamHourly(24 * 7)
	var d omen.StreamDetector
	for i := range ts {
		d.Add(ts[i], vs[i])
	}
	next := ts[len(ts)-1].Add(time.Hour)
	score := d.Add(next, 100+20*math.Sin(2*math.Pi*float64(len(ts))/24)+60)
	st := d.State()
	fmt.Printf("score %.2f, %s of %+.0f%% against %.0f, severity %s\n", score, st.Type, st.DeviationPercent, st.Baseline, st.Level)
	// Output:
	// score 1.00, spike of +61% against 99, severity critical
}

// Add returns each value's score as it arrives: 0 while the first day is learned, mostly small
// for ordinary values, high for a value the stream has never come close to — here an outage after
// six days scores 1.
func ExampleStreamDetector_Add() {
	ts, vs := streamHourly(24 * 6)
	var d omen.StreamDetector
	first := d.Add(ts[0], vs[0])
	alarms := 0
	for i := 1; i < len(ts); i++ {
		if d.Add(ts[i], vs[i]) >= 0.5 {
			alarms++
		}
	}
	outage := d.Add(ts[len(ts)-1].Add(time.Hour), 0)
	fmt.Printf("first %.2f, ordinary values scoring 0.5 or more: %d, outage %.2f\n", first, alarms, outage)
	// Output:
	// first 0.00, ordinary values scoring 0.5 or more: 0, outage 1.00
}

// NewStreamDetector sets the cycle (here weekly, for metrics that differ at weekends), the
// log scale for multiplicative metrics, and a minimum effect for the severity.
func ExampleNewStreamDetector() {
	d := omen.NewStreamDetector(omen.StreamConfig{Period: 7 * 24 * time.Hour, Log: true, MinEffect: 5})
	ts, vs := streamHourly(24 * 9)
	for i := range ts {
		d.Add(ts[i], vs[i])
	}
	fmt.Println(d.State().Ready, d.State().N)
	// Output:
	// true 216
}

// AddChecked tells why a value was ignored.
func ExampleStreamDetector_AddChecked() {
	var d omen.StreamDetector
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d.Add(t, 1)
	_, err := d.AddChecked(t, 2)
	fmt.Println(errors.Is(err, omen.ErrStreamOrder))
	_, err = d.AddChecked(t.Add(time.Hour), math.NaN())
	fmt.Println(errors.Is(err, omen.ErrStreamValue))
	// Output:
	// true
	// true
}

// State is what an engine needs to build an Anomaly record.
func ExampleStreamDetector_State() {
	ts, vs := streamHourly(24 * 5)
	var d omen.StreamDetector
	for i := range ts {
		d.Add(ts[i], vs[i])
	}
	st := d.State()
	fmt.Println(st.Ready, st.Level, st.Score < 0.5)
	// Output:
	// true low true
}

// Reset forgets what was learned and keeps the settings.
func ExampleStreamDetector_Reset() {
	ts, vs := streamHourly(48)
	d := omen.NewStreamDetector(omen.StreamConfig{Period: -1})
	for i := range ts {
		d.Add(ts[i], vs[i])
	}
	d.Reset()
	fmt.Println(d.State().N)
	// Output:
	// 0
}

// A detector's state survives a restart: encode it, decode it elsewhere, and carry on.
func ExampleStreamDetector_MarshalBinary() {
	ts, vs := streamHourly(24 * 4)
	var a, b omen.StreamDetector
	for i := range 60 {
		a.Add(ts[i], vs[i])
	}
	state, err := a.MarshalBinary()
	if err != nil {
		panic(err)
	}
	if err := b.UnmarshalBinary(state); err != nil {
		panic(err)
	}
	same := true
	for i := 60; i < len(ts); i++ {
		same = same && a.Add(ts[i], vs[i]) == b.Add(ts[i], vs[i])
	}
	fmt.Println(same)
	// Output:
	// true
}

// UnmarshalBinary rejects data it cannot decode.
func ExampleStreamDetector_UnmarshalBinary() {
	var d omen.StreamDetector
	err := d.UnmarshalBinary([]byte{1, 2, 3})
	fmt.Println(errors.Is(err, omen.ErrStreamEncoding))
	// Output:
	// true
}
