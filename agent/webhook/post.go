package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// poster makes one POST of a batch and says what came of it.
type poster struct {
	url     *url.URL
	token   string
	timeout time.Duration
	client  *http.Client
}

func newPoster(u *url.URL, token string, timeout time.Duration) *poster {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &poster{url: u, token: token, timeout: timeout, client: &http.Client{
		Transport: tr,
		// A redirect is not followed: a POST redirected by 301, 302 or
		// 303 becomes a GET without the batch, and that GET's 200
		// would count as a delivery. It is reported and retried, for
		// a person to set the URL to where it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// verdict is what the sink's answer means for the batch.
type verdict int

const (
	delivered verdict = iota // 2xx: the sink has it
	retry                    // try the same batch again, later
	refused                  // the sink will not take this batch: skip it
)

// attempt is what one POST came to.
type attempt struct {
	verdict verdict
	status  int           // the HTTP status; 0 when there was no answer
	wait    time.Duration // the sink's Retry-After, when it gave one
	err     error         // what went wrong, when something did
}

// Bounds of what is read of an answer: enough of its start to say what
// a refusal was about, and enough to drain so the connection is kept.
const (
	answerQuoted  = 512
	answerDrained = 64 << 10
)

// post sends body and waits for the answer, for at most the timeout.
func (p *poster) post(ctx context.Context, body []byte) attempt {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url.String(), bytes.NewReader(body))
	if err != nil {
		return attempt{verdict: retry, err: fmt.Errorf("post batch: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return attempt{verdict: retry, err: fmt.Errorf("post batch: %w", err)}
	}
	defer resp.Body.Close()
	quoted, _ := io.ReadAll(io.LimitReader(resp.Body, answerQuoted))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, answerDrained))
	a := attempt{status: resp.StatusCode}
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		a.verdict = delivered
		return a
	case code >= 300 && code < 400:
		a.verdict = retry
		a.err = fmt.Errorf("post batch: %s, redirected to %q: redirects are not followed, set the url to where it points",
			resp.Status, resp.Header.Get("Location"))
		return a
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		a.verdict = retry
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			a.wait = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
	case code >= 400:
		a.verdict = refused
	default:
		a.verdict = retry
	}
	a.err = fmt.Errorf("post batch: %s%s", resp.Status, quote(quoted))
	return a
}

// retryAfter reads a Retry-After header, seconds or an HTTP date, as a
// wait from now; 0 when there is none or it cannot be read.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// quote is the start of an answer, fit for a log line and an event:
// valid UTF-8 without control characters.
func quote(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return ""
	}
	return ": " + s
}

// close lets the idle connections go.
func (p *poster) close() { p.client.CloseIdleConnections() }
