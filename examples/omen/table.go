package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// table is a CSV file with a header row, read whole. Cells keep their text as given.
type table struct {
	path   string
	header []string
	rows   [][]string
	lines  []int // lines[i] is the 1-based line of rows[i] in the file
}

// readTable reads a CSV file with a header row. It accepts LF and CRLF line ends and rejects an
// empty file, a file with a header only, and rows whose cell count differs from the header's.
func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.ReuseRecord = false
	t := &table{path: path}
	prevEnd := 0 // the last line of the previous record
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: line %d: %v", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		// encoding/csv skips blank lines, but in a one-column table a blank line is an empty
		// cell — a missing value, which must keep its place in the series — and in a wider one
		// it is a row with too few cells.
		for blank := prevEnd + 1; t.header != nil && blank < line; blank++ {
			if len(t.header) > 1 {
				return nil, fmt.Errorf("%s: row %d (line %d): a blank line, the header has %d cells", path, len(t.rows)+1, blank, len(t.header))
			}
			t.rows = append(t.rows, []string{""})
			t.lines = append(t.lines, blank)
		}
		lastLine, _ := r.FieldPos(len(rec) - 1)
		prevEnd = lastLine + strings.Count(rec[len(rec)-1], "\n")
		if t.header == nil {
			for i := range rec {
				rec[i] = strings.TrimSpace(rec[i])
			}
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			for i, h := range rec {
				// Blank names (a spreadsheet's trailing commas) are never looked up by name.
				if j := slices.Index(rec[:i], h); j >= 0 && h != "" {
					// Columns are read by name: the second would be silently ignored.
					return nil, fmt.Errorf("%s: columns %d and %d are both named %q", path, j+1, i+1, h)
				}
			}
			t.header = rec
			continue
		}
		if len(rec) != len(t.header) {
			return nil, fmt.Errorf("%s: row %d (line %d): %d cells, the header has %d", path, len(t.rows)+1, line, len(rec), len(t.header))
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	if t.header == nil {
		return nil, fmt.Errorf("%s: empty file: no header row", path)
	}
	if len(t.rows) == 0 {
		return nil, fmt.Errorf("%s: no data rows after the header", path)
	}
	return t, nil
}

// column returns the index of the named column, or an error naming the file and the columns it has.
func (t *table) column(name string) (int, error) {
	for i, h := range t.header {
		if h == name {
			return i, nil
		}
	}
	quoted := make([]string, len(t.header))
	for i, h := range t.header {
		quoted[i] = strconv.Quote(h) // on one line, whatever the names hold
	}
	return -1, fmt.Errorf("%s: no column %q (columns: %s)", t.path, name, strings.Join(quoted, ", "))
}

// cellError describes a bad cell by file, data row, line and column.
func (t *table) cellError(row, col int, format string, args ...any) error {
	return fmt.Errorf("%s: row %d (line %d), column %q: %s", t.path, row+1, t.lines[row], t.header[col], fmt.Sprintf(format, args...))
}

// number parses cell (row, col) as a finite float64.
func (t *table) number(row, col int) (float64, error) {
	s := strings.TrimSpace(t.rows[row][col])
	if s == "" {
		return 0, t.cellError(row, col, "empty cell")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, t.cellError(row, col, "%q is not a number", t.rows[row][col])
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.cellError(row, col, "%q is not a finite number", t.rows[row][col])
	}
	return v, nil
}

// features returns every column except the one named skip (if present) as a row-major matrix of
// finite numbers, with the names of the columns used.
func (t *table) features(skip string) ([][]float64, []string, error) {
	var names []string
	for i, h := range t.header {
		if h == "" {
			return nil, nil, fmt.Errorf("%s: column %d has no name", t.path, i+1)
		}
		if h != skip {
			names = append(names, h)
		}
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%s: no feature columns besides %q", t.path, skip)
	}
	X, err := t.columns(names)
	return X, names, err
}

// columns returns the named columns, in the order given, as a row-major matrix of finite numbers.
func (t *table) columns(names []string) ([][]float64, error) {
	cols := make([]int, len(names))
	for j, name := range names {
		c, err := t.column(name)
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	X := make([][]float64, len(t.rows))
	flat := make([]float64, len(t.rows)*len(cols))
	for r := range t.rows {
		X[r] = flat[r*len(cols) : (r+1)*len(cols) : (r+1)*len(cols)]
		for j, c := range cols {
			v, err := t.number(r, c)
			if err != nil {
				return nil, err
			}
			X[r][j] = v
		}
	}
	return X, nil
}
