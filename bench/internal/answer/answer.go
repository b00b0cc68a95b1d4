// Package answer is the fixed response the bare fasthttp peer writes,
// passed to it as a JSON file.
package answer

import (
	"encoding/json"
	"os"
)

// Answer is one fixed response.
type Answer struct {
	Status     int         `json:"status"`
	Header     [][2]string `json:"header"`                // in order; Date and Content-Length are the server's
	Body       []byte      `json:"body,omitempty"`        // base64 in the file
	EchoOrigin bool        `json:"echo_origin,omitempty"` // Access-Control-Allow-Origin repeats the request's Origin
}

// Read loads an answer file.
func Read(file string) (*Answer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	a := new(Answer)
	return a, json.Unmarshal(b, a)
}

// Write stores a to file.
func (a *Answer) Write(file string) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
