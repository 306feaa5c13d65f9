package patterns

import (
	"errors"
	"fmt"
	"math"
)

// ErrEmpty is returned when a function that needs data receives no rows or no columns.
var ErrEmpty = errors.New("patterns: no data")

// ErrOverflow is returned, wrapped with the row and column, for a value beyond ±1e150: squared
// distances and spreads of such values overflow float64.
var ErrOverflow = errors.New("value beyond ±1e150, whose squares overflow")

// maxMagnitude is the largest absolute value accepted in an input matrix.
const maxMagnitude = 1e150

// InputError reports a bad cell or row of an input matrix. Row and Column are zero-based; Column is
// −1 when the problem concerns a whole row (a ragged row).
type InputError struct {
	Row, Column int
	Reason      string
}

func (e *InputError) Error() string {
	if e.Column < 0 {
		return fmt.Sprintf("patterns: row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("patterns: row %d, column %d: %s", e.Row, e.Column, e.Reason)
}

// checkMatrix validates that X is non-empty, rectangular and finite, and returns its column count.
func checkMatrix(X [][]float64) (int, error) {
	if len(X) == 0 || len(X[0]) == 0 {
		return 0, ErrEmpty
	}
	d := len(X[0])
	for i, row := range X {
		if len(row) != d {
			return 0, &InputError{Row: i, Column: -1, Reason: fmt.Sprintf("has %d columns, want %d", len(row), d)}
		}
		for j, v := range row {
			if math.IsNaN(v) {
				return 0, &InputError{Row: i, Column: j, Reason: "NaN"}
			}
			if math.IsInf(v, 0) {
				return 0, &InputError{Row: i, Column: j, Reason: "infinite value"}
			}
			if math.Abs(v) > maxMagnitude {
				return 0, fmt.Errorf("patterns: row %d, column %d: %w", i, j, ErrOverflow)
			}
		}
	}
	return d, nil
}
