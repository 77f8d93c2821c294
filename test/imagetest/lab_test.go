package imagetest

import (
	"strings"
	"testing"

	"github.com/kwarden/kwarden/agent/apiv1"
)

func container(kind string, running bool, spawned bool) apiv1.ContainerFigures {
	c := apiv1.ContainerFigures{}
	c.Running = running
	c.Labels = map[string]string{"kwarden.kind": kind}
	if spawned {
		c.Labels["kwarden.spawned"] = "true"
	}
	return c
}

func TestCountWorkload(t *testing.T) {
	cs := []apiv1.ContainerFigures{
		container("cpu", true, true), container("ram", true, true), container("io", true, true),
		container("low", true, true), container("low", false, true), // stopped: not counted
		container("cpu", true, false), // not the generator's
		container("", true, true),     // no kind
	}
	if got := CountWorkload(cs); got != (Workload{High: 3, Low: 1}) {
		t.Errorf("CountWorkload = %+v, want 3 high, 1 low", got)
	}
}

func TestSteady(t *testing.T) {
	ok := apiv1.CrossCheckAnswer{Available: true, Result: &apiv1.CrossCheck{Matched: 100, Churn: []apiv1.Absence{{}}}}
	if s, why := Steady(ok); !s {
		t.Errorf("churn alone is steady, got %s", why)
	}
	for name, a := range map[string]apiv1.CrossCheckAnswer{
		"unavailable": {Available: false, Reason: "kmod: unavailable"},
		"none":        {Available: true, Result: &apiv1.CrossCheck{}},
		"missing":     {Available: true, Result: &apiv1.CrossCheck{Matched: 5, Missing: []apiv1.Absence{{}}}},
		"drift":       {Available: true, Result: &apiv1.CrossCheck{Matched: 5, Drift: []apiv1.Drift{{}}}},
	} {
		if s, why := Steady(a); s {
			t.Errorf("%s: steady (%s)", name, why)
		}
	}
}

func TestParsePromAnswer(t *testing.T) {
	n, err := ParsePromAnswer([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"name":"kw-a"},"value":[1,"2"]},{"metric":{},"value":[1,"3"]}]}}`))
	if err != nil || n != 2 {
		t.Errorf("ParsePromAnswer = %d, %v; want 2", n, err)
	}
	if _, err := ParsePromAnswer([]byte(`{"status":"error","errorType":"bad_data","error":"parse error"}`)); err == nil || !strings.Contains(err.Error(), "parse error") {
		t.Errorf("error answer: %v", err)
	}
	if _, err := ParsePromAnswer([]byte(`<html>`)); err == nil {
		t.Error("HTML taken for an answer")
	}
}

func TestFailedUnits(t *testing.T) {
	out := "● kwarden-load-images.service loaded failed failed kwarden lab: load\nfoo.mount loaded failed failed Foo\n\n"
	got := FailedUnits(out)
	if strings.Join(got, ",") != "kwarden-load-images.service,foo.mount" {
		t.Errorf("FailedUnits = %v", got)
	}
	if got := FailedUnits(""); len(got) != 0 {
		t.Errorf("FailedUnits(\"\") = %v", got)
	}
}
