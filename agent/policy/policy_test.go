package policy

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/kwarden/kwarden/agent/policy/proto"
)

// Every field crosses the wire and comes back as it was.
func TestSnapshotRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 123, time.UTC)
	s := &Snapshot{
		Time: t0, Round: 7, Trigger: TriggerPressure, Interval: 10 * time.Second, Window: 30 * time.Second,
		System: System{MemTotalBytes: 8 << 30, MemAvailableBytes: 5 << 30, MemUsedBytes: 3 << 30, CPUPercent: 12.5, CPUs: 2,
			Pressure: &Pressure{
				Memory: PressureResource{Some: PressureFigures{Avg10: 1.5, Avg60: 0.5, Avg300: 0.1, Total: 1234 * time.Microsecond},
					Full: PressureFigures{Avg10: 0.7, Total: 99 * time.Microsecond}},
				IO: PressureResource{Some: PressureFigures{Avg300: 3}},
			}},
		Containers: []Container{{
			ID: strings.Repeat("ab", 32), Name: `we"ird\name`, Image: "kwarden/load:ram", Kind: "ram", Class: "high",
			Labels: map[string]string{"kwarden.kind": "ram", "x": ""}, Created: t0.Add(-time.Hour), Started: t0.Add(-59 * time.Minute),
			Age: time.Hour, Processes: 2, Threads: 5, CPUPercent: 99.5, CPUPercentAvg: 80.25, RSSBytes: 128 << 20, VSZBytes: 1 << 30,
			MemUsageBytes: 130 << 20, WorkingSetBytes: 129 << 20, RAMPercent: 1.6, ReadBytes: 10, WriteBytes: 20,
			ReadBytesPerSecond: 1.5, WriteBytesPerSecond: 2.5, WorkingSetGrowth: -4096, MemUsageGrowth: 8192, Protected: true,
		}, {ID: "b"},
			{ID: "c", Labels: map[string]string{"kwarden.kind": "ram", "x": ""}},
			{ID: "d", Labels: map[string]string{"kwarden.kind": "ram", "x": "", "y": "1"}},
			{ID: "e", Labels: map[string]string{"kwarden.kind": "ram", "x:": ""}}},
	}
	wire := snapshotToProto(s)
	if len(wire.LabelSets) != 3 {
		t.Errorf("%d label sets sent for 3 distinct ones", len(wire.LabelSets))
	}
	got := snapshotFromProto(wire)
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	ds := []Decision{{ContainerID: "a", Action: Remove, Reason: "r"}, {ContainerID: "b", Action: Action(42)}}
	if got := decisionsFromProto(decisionsToProto(ds)); !reflect.DeepEqual(got, ds) {
		t.Errorf("decisions %+v", got)
	}
}

type cfgPolicy struct {
	Keep  int    `json:"keep"`
	Label string `json:"label"`
}

func (c *cfgPolicy) Decide(context.Context, *Snapshot) ([]Decision, error) { return nil, nil }
func (c *cfgPolicy) Validate() error {
	if c.Keep < 0 {
		return errors.New("keep must be 0 or more")
	}
	return nil
}

type valuePolicy struct{}

func (valuePolicy) Decide(context.Context, *Snapshot) ([]Decision, error) { return nil, nil }

// The SDK decodes a configuration over a copy of the defaults and
// refuses what does not fit, leaving the defaults untouched.
func TestDecodeConfig(t *testing.T) {
	def := &cfgPolicy{Keep: 3, Label: "x"}
	p, err := DecodeConfig(def, []byte(`{"keep": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	if c := p.(*cfgPolicy); c.Keep != 5 || c.Label != "x" || def.Keep != 3 {
		t.Errorf("configured %+v, defaults %+v", c, def)
	}
	if p, err := DecodeConfig(def, nil); err != nil || p != Policy(def) {
		t.Errorf("empty configuration: %v, %v", p, err)
	}
	for _, bad := range []string{`{"keep": -1}`, `{"kep": 1}`, `{"keep": "1"}`, `{} {}`, `nope`} {
		if _, err := DecodeConfig(def, []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := DecodeConfig(valuePolicy{}, []byte(`{"a":1}`)); err == nil || !strings.Contains(err.Error(), "no configuration") {
		t.Errorf("configuration of a policy without fields: %v", err)
	}
	if _, err := DecodeConfig(valuePolicy{}, []byte(" \n")); err != nil {
		t.Errorf("blank configuration: %v", err)
	}
}

// selfConfigured reads its configuration itself and keeps what it had
// when the new one is refused.
type selfConfigured struct{ raw string }

func (c *selfConfigured) Decide(context.Context, *Snapshot) ([]Decision, error) { return nil, nil }
func (c *selfConfigured) Configure(b []byte) error {
	if string(b) == "bad" {
		return errors.New("bad")
	}
	c.raw = string(b)
	return nil
}

// A Configurer is configured in place; the host's Configure call is
// DecodeConfig, so what it accepts and refuses is the same.
func TestDecodeConfigConfigurerAndServer(t *testing.T) {
	c := &selfConfigured{raw: "old"}
	if p, err := DecodeConfig(c, []byte("new")); err != nil || p != Policy(c) || c.raw != "new" {
		t.Errorf("Configurer: %v, %v, raw %q", p, err, c.raw)
	}
	if _, err := DecodeConfig(c, []byte("bad")); err == nil || c.raw != "new" {
		t.Errorf("refused configuration: %v, raw %q", err, c.raw)
	}

	def := &cfgPolicy{Keep: 3}
	srv := newServer("t", "0", def)
	if _, err := srv.Configure(context.Background(), &pb.ConfigureRequest{ConfigJson: []byte(`{"keep": 7}`)}); err != nil {
		t.Fatal(err)
	}
	if got := srv.p.(*cfgPolicy).Keep; got != 7 || def.Keep != 3 {
		t.Errorf("server configured keep %d, defaults %d", got, def.Keep)
	}
	_, err := srv.Configure(context.Background(), &pb.ConfigureRequest{ConfigJson: []byte(`{"keep": -2}`)})
	if status.Code(err) != codes.InvalidArgument || srv.p.(*cfgPolicy).Keep != 7 {
		t.Errorf("refused configuration: %v, keep %d", err, srv.p.(*cfgPolicy).Keep)
	}
}

func TestActionNames(t *testing.T) {
	for _, a := range []Action{Stop, Kill, Remove} {
		b, _ := a.MarshalText()
		var back Action
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("%v: %q → %v, %v", a, b, back, err)
		}
	}
	if _, err := ParseAction("explode"); err == nil {
		t.Error("explode parsed")
	}
	if Action(9).String() != "action(9)" || TriggerOOM.String() != "oom" {
		t.Error("names")
	}
}
