package models_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"cpor/handlers/handlertest"
	"cpor/models"
)

func TestPasswordHashes(t *testing.T) {
	t.Parallel()
	handlertest.FastPasswords()
	h := models.HashPassword("correct horse battery")
	p := models.PasswordParams
	prefix := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", p.MemoryKiB, p.Time, p.Threads)
	if !strings.HasPrefix(h, prefix) {
		t.Errorf("hash %q does not start with %q", h, prefix)
	}
	if h == models.HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !models.CheckPassword(h, "correct horse battery") {
		t.Error("the right password is refused")
	}
	if models.CheckPassword(h, "correct horse batterY") || models.CheckPassword(h, "") {
		t.Error("a wrong password is accepted")
	}
	// A hash carries its own cost, so hashes made with other parameters
	// (say, before they were raised) keep working…
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("correct horse battery"), salt, 2, 128, 1, 32)
	other := fmt.Sprintf("$argon2id$v=19$m=128,t=2,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if !models.CheckPassword(other, "correct horse battery") {
		t.Error("a hash with other parameters is refused")
	}
	// …and the parameters are part of what is checked.
	tampered := strings.Replace(other, "m=128,t=2", "m=64,t=1", 1)
	for _, bad := range []string{"", "plain", "$argon2id$", "$bcrypt$v=19$m=64,t=1,p=1$AAAA$AAAA", prefix + "!!$AAAA", prefix + "AAAA$",
		"$argon2id$v=19$m=x,t=1,p=1$AAAA$AAAA", tampered} {
		if models.CheckPassword(bad, "correct horse battery") {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	for pw, want := range map[string]string{
		"":                        "err.password_short",
		"elevenchars":             "err.password_short",
		"twelve chars":            "",
		"őőőőőőőőőőőő":            "", // twelve characters, 24 bytes
		"őőőőőőőőőőő":             "err.password_short",
		strings.Repeat("a", 1024): "",
		strings.Repeat("a", 1025): "err.password_long",
	} {
		if got := models.ValidatePassword(pw); got != want {
			t.Errorf("ValidatePassword(%d bytes) = %q, want %q", len(pw), got, want)
		}
	}
}
