package assets

// maxPathLen bounds the request paths looked up at all; longer ones are 404.
const maxPathLen = 1024

// fileName returns p without its leading slash when p may name a servable file:
// at most maxPathLen bytes, no empty segment (so no trailing slash: directories
// are never listed), no segment starting with a dot (so no "..", no dotfiles or
// dot-directories), no backslash and no control byte.
//
// p is expected percent-decoded and cleaned (fasthttp's ctx.Path()); a '%' left in
// it is a literal character and is never decoded a second time. os.Root still
// guards the walk on disk, symlinks included.
func fileName(p []byte) ([]byte, bool) {
	if len(p) < 2 || len(p) > maxPathLen || p[0] != '/' {
		return nil, false
	}
	name := p[1:]
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) {
			if c := name[i]; c < 0x20 || c == 0x7f || c == '\\' {
				return nil, false
			}
			if name[i] != '/' {
				continue
			}
		}
		if i == start || name[start] == '.' {
			return nil, false
		}
		start = i + 1
	}
	return name, true
}
