// Package odds reads the ODDS outlier-detection benchmark CSVs of the shared datasets folder:
// a header f0..f{d-1},label and one numeric row per sample, label 0 (normal) or 1 (anomaly).
package odds

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
)

// Dataset is one benchmark: rows of features and whether each row is an anomaly.
type Dataset struct {
	Name    string
	X       [][]float64
	Anomaly []bool
}

// Names lists the benchmark datasets in ../shared/datasets/odds.
var Names = []string{"shuttle", "mammography", "pima", "arrhythmia", "letter"}

// Load reads one dataset file; its last column must be named label.
func Load(name, path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("%s: no data rows", path)
	}
	header := records[0]
	d := len(header) - 1
	if d < 1 || header[d] != "label" {
		return nil, fmt.Errorf("%s: last column is %q, want label", path, header[d])
	}
	ds := &Dataset{Name: name, X: make([][]float64, len(records)-1), Anomaly: make([]bool, len(records)-1)}
	flat := make([]float64, (len(records)-1)*d)
	for i, rec := range records[1:] {
		row := flat[i*d : (i+1)*d : (i+1)*d]
		for j := 0; j < d; j++ {
			if row[j], err = strconv.ParseFloat(rec[j], 64); err != nil {
				return nil, fmt.Errorf("%s: line %d, column %s: %w", path, i+2, header[j], err)
			}
		}
		switch rec[d] {
		case "0":
		case "1":
			ds.Anomaly[i] = true
		default:
			return nil, fmt.Errorf("%s: line %d: label %q, want 0 or 1", path, i+2, rec[d])
		}
		ds.X[i] = row
	}
	return ds, nil
}
