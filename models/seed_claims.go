package models

import (
	"errors"
	"io"
)

// SeedClaims builds a large synthetic dataset.
func SeedClaims(s *Store, n int, out io.Writer) error {
	return errors.New("seed --claims is not available yet")
}
