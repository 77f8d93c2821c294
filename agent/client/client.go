package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// DefaultAddr is where kwardend listens unless told otherwise.
const DefaultAddr = "http://127.0.0.1:9070"

// Options configure a Client.
type Options struct {
	// Addr is the agent's base URL; "" means DefaultAddr. A bare
	// host:port means http.
	Addr string
	// Token is sent as a bearer token, when set.
	Token string
	// Timeout bounds every call but the stream; 0 means 30 s.
	Timeout time.Duration
	// MaxAnswer bounds an answer's size; 0 means 64 MiB (the API's
	// answers are bounded far below: docs/api.md#limits).
	MaxAnswer int64
	// HTTPClient makes the requests; nil means a client of its own. Its
	// own Timeout, if any, must allow for the stream.
	HTTPClient *http.Client
}

// Client calls one agent. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	opts  Options
	http  *http.Client
}

// New checks opts and returns a client; it does not contact the agent.
func New(opts Options) (*Client, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if !strings.Contains(opts.Addr, "://") {
		opts.Addr = "http://" + opts.Addr
	}
	u, err := url.Parse(strings.TrimRight(opts.Addr, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("agent address %q: want http://host:port", opts.Addr)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxAnswer <= 0 {
		opts.MaxAnswer = 64 << 20
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, token: opts.Token, opts: opts, http: hc}, nil
}

// Addr is the agent's base URL.
func (c *Client) Addr() string { return c.base.String() }

// Error is an answer other than 200: its status and the agent's message.
type Error struct {
	Status  int
	Message string
	Path    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %d %s: %s", e.Path, e.Status, http.StatusText(e.Status), e.Message)
}

// IsStatus reports whether err is an Error with the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// request builds a GET of path with query q.
func (c *Client) request(ctx context.Context, path string, q url.Values) (*http.Request, error) {
	return c.newRequest(ctx, http.MethodGet, path, q, nil)
}

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Request, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// get fetches path into v, within the timeout.
func (c *Client) get(ctx context.Context, path string, q url.Values, v any) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := c.request(ctx, path, q)
	if err != nil {
		return err
	}
	return c.do(req, path, v)
}

// post sends body as JSON to path and reads the answer into v.
func (c *Client) post(ctx context.Context, path string, body, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodPost, path, nil, b)
	if err != nil {
		return err
	}
	return c.do(req, path, v)
}

func (c *Client) do(req *http.Request, path string, v any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("kwardend at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxAnswer+1))
	if err != nil {
		return fmt.Errorf("%s: read the answer: %w", path, err)
	}
	if int64(len(body)) > c.opts.MaxAnswer {
		return fmt.Errorf("%s: answer larger than %d bytes", path, c.opts.MaxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		var e apiv1.ErrorAnswer
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(body))
		}
		return &Error{Status: resp.StatusCode, Message: e.Error, Path: path}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: decode the answer: %w", path, err)
	}
	return nil
}

// Range selects points. From and To take what the API takes: RFC 3339,
// Unix seconds, "now", "now-15m" (Time formats a time.Time); "" is the
// API's default (the last 15 minutes). Step 0 asks for every point
// (folded to fit the API's bound).
type Range struct {
	From, To string
	Step     time.Duration
}

func (r Range) values() url.Values {
	q := url.Values{}
	if r.From != "" {
		q.Set("from", r.From)
	}
	if r.To != "" {
		q.Set("to", r.To)
	}
	if r.Step > 0 {
		q.Set("step", strconv.FormatFloat(r.Step.Seconds(), 'f', -1, 64))
	}
	return q
}

// Time formats t as the API's time parameters take it.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Health asks whether the agent ticks. It needs no token.
func (c *Client) Health(ctx context.Context) (apiv1.Health, error) {
	var h apiv1.Health
	return h, c.get(ctx, "/api/v1/health", nil, &h)
}

// System returns the machine's points.
func (c *Client) System(ctx context.Context, r Range) (apiv1.SystemAnswer, error) {
	var a apiv1.SystemAnswer
	return a, c.get(ctx, "/api/v1/system", r.values(), &a)
}

// Series returns one container's points; id is a full id, a unique
// prefix or a name.
func (c *Client) Series(ctx context.Context, id string, r Range) (apiv1.SeriesAnswer, error) {
	var a apiv1.SeriesAnswer
	return a, c.get(ctx, "/api/v1/containers/"+url.PathEscape(id)+"/series", r.values(), &a)
}

// SeriesSet returns several containers' points over one range in one
// answer, as columns: ids are full ids, unique prefixes or names (at
// most apiv1.MaxSeriesSetIDs); fields are names of apiv1.SeriesFigures
// (none: all of them).
func (c *Client) SeriesSet(ctx context.Context, ids, fields []string, r Range) (apiv1.SeriesSetAnswer, error) {
	v := r.values()
	for _, id := range ids {
		v.Add("id", id)
	}
	if len(fields) > 0 {
		v.Set("fields", strings.Join(fields, ","))
	}
	var a apiv1.SeriesSetAnswer
	return a, c.get(ctx, "/api/v1/containers/series", v, &a)
}

// TopQuery selects a ranking of containers over a range: By is one of
// apiv1.TopFigures, Rank apiv1.RankMean or apiv1.RankPeak ("": mean), N
// how many (0: the API's default, 5).
type TopQuery struct {
	From, To string
	By, Rank string
	N        int
}

// Top ranks the containers present in the range by a figure, removed
// ones included, highest first.
func (c *Client) Top(ctx context.Context, q TopQuery) (apiv1.TopAnswer, error) {
	v := Range{From: q.From, To: q.To}.values()
	v.Set("by", q.By)
	if q.Rank != "" {
		v.Set("rank", q.Rank)
	}
	if q.N > 0 {
		v.Set("n", strconv.Itoa(q.N))
	}
	var a apiv1.TopAnswer
	return a, c.get(ctx, "/api/v1/containers/top", v, &a)
}

// ContainersQuery selects containers: All adds the removed ones the
// history holds, at most Limit (0: the API's default), from Before (a
// page's Next).
type ContainersQuery struct {
	All    bool
	Limit  int
	Before string
}

// Containers returns the containers with their last figures.
func (c *Client) Containers(ctx context.Context, q ContainersQuery) (apiv1.ContainersAnswer, error) {
	v := url.Values{}
	if q.All {
		v.Set("all", "true")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Before != "" {
		v.Set("before", q.Before)
	}
	var a apiv1.ContainersAnswer
	return a, c.get(ctx, "/api/v1/containers", v, &a)
}

// Processes returns the top processes of the last tick at or before at
// ("" for now).
func (c *Client) Processes(ctx context.Context, at string) (apiv1.ProcessesAnswer, error) {
	v := url.Values{}
	if at != "" {
		v.Set("at", at)
	}
	var a apiv1.ProcessesAnswer
	return a, c.get(ctx, "/api/v1/processes", v, &a)
}

// EventsQuery selects events: Kind is a prefix of the kind, Limit at
// most how many (0: the API's default), After a page's Next.
type EventsQuery struct {
	From, To string
	Kind     string
	Limit    int
	After    string
}

// Events returns a page of events, oldest first.
func (c *Client) Events(ctx context.Context, q EventsQuery) (apiv1.EventsAnswer, error) {
	v := Range{From: q.From, To: q.To}.values()
	if q.Kind != "" {
		v.Set("kind", q.Kind)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	var a apiv1.EventsAnswer
	return a, c.get(ctx, "/api/v1/events", v, &a)
}

// CrossCheck returns the last comparison of the two kernel views.
func (c *Client) CrossCheck(ctx context.Context) (apiv1.CrossCheckAnswer, error) {
	var a apiv1.CrossCheckAnswer
	return a, c.get(ctx, "/api/v1/crosscheck", nil, &a)
}

// Policy is the kill-policy loop: the active policy and the last
// decisions.
func (c *Client) Policy(ctx context.Context) (apiv1.PolicyAnswer, error) {
	var a apiv1.PolicyAnswer
	return a, c.get(ctx, "/api/v1/policy", nil, &a)
}

// PolicyCatalogue lists the policies kwardend may run.
func (c *Client) PolicyCatalogue(ctx context.Context) (apiv1.PolicyCatalogueAnswer, error) {
	var a apiv1.PolicyCatalogueAnswer
	return a, c.get(ctx, "/api/v1/policy/catalogue", nil, &a)
}

// UsePolicy selects a policy with its configuration (nil: defaults).
func (c *Client) UsePolicy(ctx context.Context, name string, config json.RawMessage) (apiv1.PolicyAnswer, error) {
	var a apiv1.PolicyAnswer
	return a, c.post(ctx, "/api/v1/policy/use", apiv1.PolicyRequest{Name: name, Config: config}, &a)
}

// DryRunPolicy asks what a policy (req.Name; "": the active one) would
// do on the last tick, or with req.At on a tick the history recorded.
func (c *Client) DryRunPolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyDryRunAnswer, error) {
	var a apiv1.PolicyDryRunAnswer
	return a, c.post(ctx, "/api/v1/policy/dry-run", req, &a)
}
