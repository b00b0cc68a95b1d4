package assets

// Lexing shared by the field parsers (RFC 9110 §5.6). Each works on string or
// []byte so that neither a header value nor a constant is copied to compare.

// cutByte splits b around the first sep; after is empty when sep is absent.
func cutByte[T string | []byte](b T, sep byte) (before, after T) {
	for i := 0; i < len(b); i++ {
		if b[i] == sep {
			return b[:i], b[i+1:]
		}
	}
	return b, b[len(b):]
}

// trimOWS removes optional whitespace (SP, HTAB; RFC 9110 §5.6.3) at both ends.
func trimOWS[T string | []byte](b T) T {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold reports whether a and b are equal ignoring ASCII case, as tokens
// such as codings, range units and field names compare.
func equalFold[A, B string | []byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
