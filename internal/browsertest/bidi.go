package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// bidi is a WebDriver BiDi connection (https://w3c.github.io/webdriver-bidi/):
// JSON commands with ids, answered in any order, and events in between.
type bidi struct {
	conn    *websocket.Conn
	onEvent func(method string, params json.RawMessage) // called on the reading goroutine

	mu      sync.Mutex // guards nextID and pending
	nextID  int
	pending map[int]chan bidiMessage

	done chan struct{} // closed when reading stops
	err  error         // why reading stopped; written before done is closed
}

// bidiMessage is any message from the remote end: a command's answer
// ("success" or "error") or an "event".
type bidiMessage struct {
	Type    string          `json:"type"`
	ID      int             `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

func dialBiDi(ctx context.Context, url string, onEvent func(string, json.RawMessage)) (*bidi, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(4 << 20) // a console entry quotes the whole message
	c := &bidi{conn: conn, onEvent: onEvent, pending: map[int]chan bidiMessage{}, done: make(chan struct{})}
	go c.read()
	return c, nil
}

// call sends a command and decodes its result into result (unless nil).
func (c *bidi) call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	answer := make(chan bidiMessage, 1)
	c.pending[id] = answer
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	b, err := json.Marshal(struct {
		ID     int    `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params"`
	}{id, method, params})
	if err != nil {
		return err
	}
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-answer:
		if m.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, m.Error, m.Message)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(m.Result, result)
	case <-c.done:
		return fmt.Errorf("%s: connection lost: %w", method, c.err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (c *bidi) read() {
	defer close(c.done)
	for {
		_, b, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		var m bidiMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.err = fmt.Errorf("undecodable message %.200q: %w", b, err)
			c.conn.CloseNow()
			return
		}
		if m.Type == "event" {
			c.onEvent(m.Method, m.Params)
			continue
		}
		c.mu.Lock()
		answer := c.pending[m.ID]
		c.mu.Unlock()
		if answer != nil {
			answer <- m // buffered, and each id is answered once
		}
	}
}

// close closes the connection and waits for the reader to stop.
func (c *bidi) close() {
	c.conn.CloseNow()
	<-c.done
}
