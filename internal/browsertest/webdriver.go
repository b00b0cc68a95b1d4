package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// webDriver is a client of a classic W3C WebDriver server
// (https://www.w3.org/TR/webdriver2/): JSON over HTTP, one session.
type webDriver struct {
	base    string // http://127.0.0.1:PORT
	session string // the session id, once created
	client  http.Client
}

// call sends a command and decodes the answer's "value" into result
// (unless nil). A WebDriver error answers with a 4xx/5xx status and
// {"value": {"error", "message"}}.
func (d *webDriver) call(ctx context.Context, method, path string, body, result any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answer struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return fmt.Errorf("%s %s: %s: %w", method, path, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(answer.Value, &e)
		return fmt.Errorf("%s %s: %s: %s: %s", method, path, resp.Status, e.Error, e.Message)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(answer.Value, result)
}

// newSession creates the session with the capabilities given.
func (d *webDriver) newSession(ctx context.Context, caps map[string]any) error {
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := d.call(ctx, "POST", "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": caps}}, &s); err != nil {
		return err
	}
	d.session = s.SessionID
	return nil
}

// navigate loads url and returns once it has loaded (the default page
// load strategy, "normal").
func (d *webDriver) navigate(ctx context.Context, url string) error {
	return d.call(ctx, "POST", "/session/"+d.session+"/url", map[string]any{"url": url}, nil)
}

// deleteSession ends the session, which closes the browser.
func (d *webDriver) deleteSession(ctx context.Context) error {
	return d.call(ctx, "DELETE", "/session/"+d.session, nil, nil)
}
