package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Stream reads /api/v1/stream and calls fn with each tick until ctx
// ends (then it returns nil), the stream ends or fails (an error), or fn
// returns an error (which it returns). It does not reconnect: a caller
// that wants to follow the agent across restarts calls it again.
//
// The stream has no timeout of its own; the Client's Timeout bounds only
// the wait for the answer's headers.
func (c *Client) Stream(ctx context.Context, fn func(apiv1.StreamTick) error) error {
	// The wait for the headers is bounded by the timeout; the body is read
	// for as long as ctx lasts.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := c.request(rctx, "/api/v1/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	timer := time.AfterFunc(c.opts.Timeout, cancel)
	resp, err := c.http.Do(req)
	timer.Stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("kwardend at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &Error{Status: resp.StatusCode, Message: resp.Status, Path: "/api/v1/stream"}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), int(c.opts.MaxAnswer))
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			event = ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && (event == apiv1.StreamEvent || event == ""):
			var t apiv1.StreamTick
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &t); err != nil {
				return fmt.Errorf("stream: %w", err)
			}
			if err := fn(t); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	return fmt.Errorf("stream: the agent ended it")
}
