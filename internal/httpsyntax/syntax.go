// Package httpsyntax holds the lexing of HTTP field values (RFC 9110 §5.6)
// that both the rule table and the asset server parse requests with. Each
// function takes string or []byte, so that neither a header value nor a
// constant is copied to be compared.
package httpsyntax

// tokenChars marks the bytes allowed in a token (RFC 9110 §5.6.2):
// "!#$%&'*+-.^_`|~", DIGIT and ALPHA.
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// IsToken reports whether s is a non-empty token, the syntax of method and
// header names and of most parameters.
func IsToken[T string | []byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return true
}

// Cut splits b around the first sep; after is empty when sep is absent.
func Cut[T string | []byte](b T, sep byte) (before, after T) {
	for i := 0; i < len(b); i++ {
		if b[i] == sep {
			return b[:i], b[i+1:]
		}
	}
	return b, b[len(b):]
}

// TrimOWS removes optional whitespace (SP, HTAB; RFC 9110 §5.6.3) at both ends.
func TrimOWS[T string | []byte](b T) T {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// EqualFold reports whether a and b are equal ignoring ASCII case, as
// tokens such as field names, codings and range units compare.
func EqualFold[A, B string | []byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// Lower returns the ASCII lowercase of c.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
