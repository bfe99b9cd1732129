package models

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

func equalFold(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// runeLen counts Unicode characters.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
