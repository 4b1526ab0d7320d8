package identity

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// passwordSymbols are the characters Cognito counts as symbols.
const passwordSymbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// checkPassword applies a pool's password policy.
func checkPassword(policy PasswordPolicy, pw string) error {
	fail := func(why string) error {
		return idpErrors.New("InvalidPasswordException", "Password did not conform with policy: %s", why)
	}
	if pw == "" {
		return invalidParam("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must not be null")
	}
	if len(pw) > 256 || strings.TrimSpace(pw) != pw {
		return invalidParam("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must be at most 256 characters without leading or trailing whitespace")
	}
	if len([]rune(pw)) < policy.MinimumLength {
		return fail("Password not long enough")
	}
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	switch {
	case policy.RequireLowercase && !lower:
		return fail("Password must have lowercase characters")
	case policy.RequireUppercase && !upper:
		return fail("Password must have uppercase characters")
	case policy.RequireNumbers && !digit:
		return fail("Password must have numeric characters")
	case policy.RequireSymbols && !symbol:
		return fail("Password must have symbol characters")
	}
	return nil
}

// generatePassword returns a random password that satisfies policy.
func generatePassword(policy PasswordPolicy) string {
	n := max(policy.MinimumLength, 12)
	return randomString(n-4, upperAlnum) + randomString(1, "ABCDEFGHJKLMNPQRSTUVWXYZ") + randomString(1, "abcdefghijkmnopqrstuvwxyz") + randomString(1, "23456789") + randomString(1, "!#%&*+=?@^")
}

// pbkdf2Iterations is the work factor of stored password hashes.
const pbkdf2Iterations = 10000

// hashPassword returns a salted PBKDF2-SHA256 hash in the form
// "pbkdf2-sha256$<iterations>$<salt>$<hash>".
func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	sum, err := pbkdf2.Key(sha256.New, pw, salt, pbkdf2Iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	enc := base64.RawStdEncoding.EncodeToString
	return "pbkdf2-sha256$" + strconv.Itoa(pbkdf2Iterations) + "$" + enc(salt) + "$" + enc(sum), nil
}

// passwordMatches reports whether pw matches a hash made by hashPassword.
func passwordMatches(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
