// Package safefile reads small configuration files (rules, later
// certificates) so that no file at the path can wedge or bloat the reader:
// only regular files, a size cap, a time bound, and never a file that a
// writer still holds open.
package safefile
