package auth

import "fmt"

// Kind classifies an authentication failure.
type Kind int

const (
	// Unauthenticated: no credentials, or invalid ones (contract:
	// UNAUTHENTICATED, reason CALLER_UNAUTHENTICATED).
	Unauthenticated Kind = iota
	// KeysUnavailable: the key set to check a token against could not be
	// loaded at all (the identity provider is unreachable); the caller may
	// retry.
	KeysUnavailable
)

// Error is an authentication failure. Its message says what was wrong and
// never contains the token.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func unauthenticated(format string, args ...any) *Error {
	return &Error{Kind: Unauthenticated, Msg: fmt.Sprintf(format, args...)}
}

// quoteShort quotes an attacker-controlled header value for a message,
// cut to n bytes.
func quoteShort(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "..."
	}
	return fmt.Sprintf("%q", s)
}
