package grpctest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// pluginID is the id Grafana knows the plugin by.
const pluginID = "kwarden-agent-datasource"

// buildPlugin builds the plugin's backend into dir, as Grafana's build
// does (static, trimmed), and returns its path.
func buildPlugin(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "gpx_agent_datasource_linux_amd64")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./pkg")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the plugin: %v\n%s", err, out)
	}
	return bin, nil
}

// grafana is the test's side of the plugin protocol: Grafana's.
type grafana struct {
	client *goplugin.Client
	data   pluginv2.DataClient
	diag   pluginv2.DiagnosticsClient
	res    pluginv2.ResourceClient
	stream pluginv2.StreamClient
	pid    int
}

// launch starts the plugin binary as Grafana does: go-plugin's client
// with Grafana's handshake and plugin set, over gRPC only.
func launch(t testing.TB, bin string) *grafana {
	t.Helper()
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{ProtocolVersion: grpcplugin.ProtocolVersion,
			MagicCookieKey: grpcplugin.MagicCookieKey, MagicCookieValue: grpcplugin.MagicCookieValue},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: {
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
			"data":        &grpcplugin.DataGRPCPlugin{},
			"stream":      &grpcplugin.StreamGRPCPlugin{},
		}},
		Cmd:              exec.Command(bin),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: io.Discard}),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(c.Kill)
	rpc, err := c.Client()
	if err != nil {
		t.Fatalf("launch the plugin: %v", err)
	}
	g := &grafana{client: c}
	for name, dst := range map[string]any{"data": &g.data, "diagnostics": &g.diag, "resource": &g.res, "stream": &g.stream} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			t.Fatalf("dispense %s: %v", name, err)
		}
		switch d := dst.(type) {
		case *pluginv2.DataClient:
			*d = raw.(grpcplugin.DataClient)
		case *pluginv2.DiagnosticsClient:
			*d = raw.(grpcplugin.DiagnosticsClient)
		case *pluginv2.ResourceClient:
			*d = raw.(grpcplugin.ResourceClient)
		case *pluginv2.StreamClient:
			*d = raw.(grpcplugin.StreamClient)
		}
	}
	if rc := c.ReattachConfig(); rc != nil {
		g.pid = rc.Pid
	}
	return g
}

// alive says whether the plugin process still runs.
func (g *grafana) alive() bool { return !g.client.Exited() }

// rssKiB is the plugin's resident memory, from /proc.
func (g *grafana) rssKiB(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.pid))
	if err != nil {
		t.Fatalf("read the plugin's status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS in the plugin's status")
	return 0
}

// datasource is a configured datasource as Grafana sends it with every
// call: its id and version (the plugin keeps an instance per pair), its
// settings and its decrypted secrets.
type datasource struct {
	id      int64
	updated time.Time
	agents  []agentSetting
	token   string
}

type agentSetting struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func (ds datasource) pluginContext() *pluginv2.PluginContext {
	jd, _ := json.Marshal(map[string]any{"agents": ds.agents, "timeoutSeconds": 10})
	return &pluginv2.PluginContext{OrgId: 1, PluginId: pluginID,
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
			Uid: fmt.Sprintf("kw-%d", ds.id), Name: fmt.Sprintf("kwarden %d", ds.id), JsonData: jd,
			DecryptedSecureJsonData: map[string]string{"token": ds.token}, LastUpdatedMS: ds.updated.UnixMilli()}}
}

// query is one panel query.
type query struct {
	refID, queryType string
	json             string
	from, to         time.Time
	maxPoints        int64
	interval         time.Duration
}

// queryData sends the queries in one request and returns the answers
// by RefID, their frames decoded.
func (g *grafana) queryData(t testing.TB, ds datasource, qs ...query) map[string]answer {
	t.Helper()
	req := &pluginv2.QueryDataRequest{PluginContext: ds.pluginContext()}
	for _, q := range qs {
		req.Queries = append(req.Queries, &pluginv2.DataQuery{RefId: q.refID, QueryType: q.queryType, Json: []byte(q.json),
			TimeRange:     &pluginv2.TimeRange{FromEpochMS: q.from.UnixMilli(), ToEpochMS: q.to.UnixMilli()},
			MaxDataPoints: max(q.maxPoints, 1000), IntervalMS: max(q.interval, time.Second).Milliseconds()})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := g.data.QueryData(ctx, req)
	if err != nil {
		t.Fatalf("QueryData: %v", err)
	}
	out := map[string]answer{}
	for ref, r := range resp.Responses {
		a := answer{err: r.Error, status: r.Status}
		if len(r.Frames) > 0 {
			if a.frames, err = data.UnmarshalArrowFrames(r.Frames); err != nil {
				t.Fatalf("%s: decode the frames: %v", ref, err)
			}
		}
		out[ref] = a
	}
	return out
}

// answer is one RefID's answer.
type answer struct {
	frames data.Frames
	err    string
	status int32
}

// byAgent groups the frames by the agent they carry (a field label, or
// an agent column), and the error frames of failed agents apart.
func (a answer) byAgent() (map[string]data.Frames, map[string]string) {
	ok, failed := map[string]data.Frames{}, map[string]string{}
	for _, f := range a.frames {
		if name, found := strings.CutPrefix(f.Name, "agent "); found && len(f.Fields) == 0 {
			if f.Meta != nil && len(f.Meta.Notices) > 0 {
				failed[name] = f.Meta.Notices[0].Text
			}
			continue
		}
		ok[frameAgent(f)] = append(ok[frameAgent(f)], f)
	}
	return ok, failed
}

// frameAgent is the agent a frame is of: its figures' label, or the
// last word of a table's name.
func frameAgent(f *data.Frame) string {
	if f.Meta != nil && f.Meta.Type == "" {
		if i := strings.LastIndex(f.Name, " "); i >= 0 {
			return f.Name[i+1:]
		}
	}
	for _, fd := range f.Fields {
		if fd.Labels["agent"] != "" {
			return fd.Labels["agent"]
		}
		if fd.Name == "agent" && fd.Len() > 0 {
			if s, ok := fd.At(0).(string); ok {
				return s
			}
		}
	}
	return ""
}

// checkHealth calls CheckHealth.
func (g *grafana) checkHealth(t testing.TB, ds datasource) *pluginv2.CheckHealthResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := g.diag.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: ds.pluginContext()})
	if err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	return r
}

// callResource GETs a resource and returns its status and body.
func (g *grafana) callResource(t testing.TB, ds datasource, path string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := g.res.CallResource(ctx, &pluginv2.CallResourceRequest{PluginContext: ds.pluginContext(),
		Path: strings.SplitN(path, "?", 2)[0], Method: "GET", Url: "/" + path})
	if err != nil {
		t.Fatalf("CallResource %s: %v", path, err)
	}
	var status int
	var body []byte
	for {
		r, err := st.Recv()
		if err == io.EOF {
			return status, body
		}
		if err != nil {
			t.Fatalf("CallResource %s: %v", path, err)
		}
		if r.Code != 0 {
			status = int(r.Code)
		}
		body = append(body, r.Body...)
	}
}

// runStream subscribes to a channel and returns the frames RunStream
// sends until ctx ends.
func (g *grafana) runStream(t testing.TB, ctx context.Context, ds datasource, path string) <-chan *data.Frame {
	t.Helper()
	sub, err := g.stream.SubscribeStream(ctx, &pluginv2.SubscribeStreamRequest{PluginContext: ds.pluginContext(), Path: path})
	if err != nil {
		t.Fatalf("SubscribeStream %s: %v", path, err)
	}
	if sub.Status != pluginv2.SubscribeStreamResponse_OK {
		t.Fatalf("SubscribeStream %s: status %v", path, sub.Status)
	}
	st, err := g.stream.RunStream(ctx, &pluginv2.RunStreamRequest{PluginContext: ds.pluginContext(), Path: path})
	if err != nil {
		t.Fatalf("RunStream %s: %v", path, err)
	}
	out := make(chan *data.Frame, 100)
	go func() {
		defer close(out)
		for {
			p, err := st.Recv()
			if err != nil {
				return
			}
			var f data.Frame
			if err := json.Unmarshal(p.Data, &f); err != nil {
				t.Errorf("stream packet: %v", err)
				return
			}
			select {
			case out <- &f:
			default:
			}
		}
	}()
	return out
}
