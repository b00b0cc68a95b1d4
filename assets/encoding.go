package assets

import "corsedge/internal/httpsyntax"

// encoding is a content coding (RFC 9110 §8.4.1). The numbering orders the
// preference among equal q-values: br, then zstd, then gzip, identity last.
type encoding uint8

const (
	encBrotli encoding = iota
	encZstd
	encGzip
	encIdentity
	numEncodings
)

// sidecarSuffix is the file name suffix of each coding's precompressed sidecar.
var sidecarSuffix = [numEncodings]string{encBrotli: ".br", encZstd: ".zst", encGzip: ".gz"}

// maxSuffixLen is the longest of sidecarSuffix.
const maxSuffixLen = len(".zst")

// contentEncoding is each coding's Content-Encoding value; identity sends none.
var contentEncoding = [numEncodings][]byte{
	encBrotli: []byte("br"), encZstd: []byte("zstd"), encGzip: []byte("gzip"),
}

// maxAcceptEncodingLen bounds the Accept-Encoding bytes parsed; a longer field
// gets the identity coding. Browsers send about 30 bytes.
const maxAcceptEncodingLen = 1024

// qRefused marks a coding the client refuses (q=0, or not listed and no "*").
const qRefused = -1

// acceptance is a parsed Accept-Encoding field (RFC 9110 §12.5.3). q values are
// thousandths: 1..1000 accepted, qRefused refused. The zero value is "no field".
type acceptance struct {
	present bool                // a field line was seen
	tooLong bool                // some line exceeded maxAcceptEncodingLen
	listed  [numEncodings]bool  // the coding was named (x-gzip names gzip)
	q       [numEncodings]int16 // q of each listed coding
	star    bool                // "*" was listed
	starQ   int16               // q of "*"
}

// add parses one Accept-Encoding field line into a. Several lines combine as
// one comma-separated list (RFC 9110 §5.3); the first mention of a coding wins.
// Elements that do not parse, unknown codings included, are skipped.
func (a *acceptance) add(line []byte) {
	a.present = true
	if len(line) > maxAcceptEncodingLen {
		a.tooLong = true
		return
	}
	for len(line) > 0 {
		var elem []byte
		elem, line = httpsyntax.Cut(line, ',')
		coding, params := httpsyntax.Cut(elem, ';')
		q, ok := qValue(params)
		if !ok {
			continue
		}
		coding = httpsyntax.TrimOWS(coding)
		if string(coding) == "*" {
			if !a.star {
				a.star, a.starQ = true, q
			}
			continue
		}
		if enc, known := codingOf(coding); known && !a.listed[enc] {
			a.listed[enc], a.q[enc] = true, q
		}
	}
}

// codingOf maps a content-coding token, case-insensitively (RFC 9110 §8.4.1),
// to the codings served; x-gzip is gzip (RFC 9110 §8.4.1.3).
func codingOf(token []byte) (encoding, bool) {
	switch {
	case httpsyntax.EqualFold(token, "br"):
		return encBrotli, true
	case httpsyntax.EqualFold(token, "zstd"):
		return encZstd, true
	case httpsyntax.EqualFold(token, "gzip"), httpsyntax.EqualFold(token, "x-gzip"):
		return encGzip, true
	case httpsyntax.EqualFold(token, "identity"):
		return encIdentity, true
	}
	return 0, false
}

// weight is the q of enc under a, in thousandths, or qRefused. identity is
// acceptable unless refused by "identity;q=0" or by "*;q=0" without an
// identity entry (RFC 9110 §12.5.3); left unlisted it ranks below every coding
// the client named, with weight 0.
func (a *acceptance) weight(enc encoding) int16 {
	switch {
	case a.tooLong || !a.present:
		// No field: identity, as curl and most tools expect (DESIGN.md).
		if enc == encIdentity {
			return 0
		}
		return qRefused
	case a.listed[enc]:
		return a.q[enc]
	case enc == encIdentity && a.star && a.starQ == qRefused:
		return qRefused
	case enc == encIdentity:
		return 0
	case a.star:
		return a.starQ
	}
	return qRefused
}

// ranked lists the acceptable codings, best first: higher q first, equal q in
// the order br, zstd, gzip, identity. identity always ends the list: when even
// it is refused, the unencoded file is still sent rather than a 406, which
// RFC 9110 §12.1 lets a server do by disregarding the preference.
func (a *acceptance) ranked() (list [numEncodings]encoding, n int) {
	var w [numEncodings]int16
	for enc := range numEncodings {
		w[enc] = a.weight(enc)
	}
	for enc := range encIdentity {
		if w[enc] == qRefused || w[enc] < w[encIdentity] {
			continue
		}
		i := n
		for i > 0 && w[list[i-1]] < w[enc] {
			list[i] = list[i-1]
			i--
		}
		list[i] = enc
		n++
	}
	list[n] = encIdentity
	return list, n + 1
}

// qValue finds the q parameter among ";"-separated params (RFC 9110 §12.4.2)
// and returns it in thousandths, qRefused for zero. Without one q is 1; a
// malformed q makes the element unusable.
func qValue(params []byte) (int16, bool) {
	for len(params) > 0 {
		var p []byte
		p, params = httpsyntax.Cut(params, ';')
		name, value := httpsyntax.Cut(httpsyntax.TrimOWS(p), '=')
		if !httpsyntax.EqualFold(httpsyntax.TrimOWS(name), "q") {
			continue
		}
		q, ok := parseQ(httpsyntax.TrimOWS(value))
		if q == 0 {
			q = qRefused
		}
		return q, ok
	}
	return 1000, true
}

// parseQ parses a qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3("0")].
func parseQ(b []byte) (int16, bool) {
	if len(b) == 0 || len(b) > 5 || (b[0] != '0' && b[0] != '1') {
		return 0, false
	}
	q := int16(b[0]-'0') * 1000
	if len(b) == 1 {
		return q, true
	}
	if b[1] != '.' {
		return 0, false
	}
	scale := int16(100)
	for _, c := range b[2:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int16(c-'0') * scale
		scale /= 10
	}
	return q, q <= 1000
}
