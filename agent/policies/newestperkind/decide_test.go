package newestperkind

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// c is a container of kind created min minutes after t0.
func c(id, kind string, min int) policy.Container {
	return policy.Container{ID: id, Name: "kw-" + id, Kind: kind, Created: t0.Add(time.Duration(min) * time.Minute)}
}

func protected(x policy.Container) policy.Container { x.Protected = true; return x }

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name       string
		unkinded   string
		containers []policy.Container
		want       []string // victims, in rank order
	}{
		{name: "nothing running"},
		{
			name:       "one of each kind stays",
			containers: []policy.Container{c("a", "cpu", 0), c("b", "ram", 1), c("c", "io", 2), c("d", "disk", 3), c("e", "low", 4)},
		},
		{
			name: "all but the newest of each kind, oldest first",
			containers: []policy.Container{
				c("cpu1", "cpu", 0), c("ram1", "ram", 1), c("cpu2", "cpu", 2), c("io1", "io", 3),
				c("ram2", "ram", 4), c("cpu3", "cpu", 5), c("io2", "io", 6), c("disk1", "disk", 7),
			},
			want: []string{"cpu1", "ram1", "cpu2", "io1"},
		},
		{
			name:       "listed out of creation order",
			containers: []policy.Container{c("new", "cpu", 9), c("old", "cpu", 1), c("mid", "cpu", 5)},
			want:       []string{"old", "mid"},
		},
		{
			name:       "a tie on Created keeps the greater id",
			containers: []policy.Container{c("y", "ram", 3), c("x", "ram", 3), c("z", "ram", 3)},
			want:       []string{"x", "y"},
		},
		{
			name: "protected ones are neither victims nor the newest",
			// p is the newest cpu but protected: n stays as the newest of the rest.
			containers: []policy.Container{c("o", "cpu", 0), c("n", "cpu", 1), protected(c("p", "cpu", 2)), protected(c("q", "ram", 0)), c("r", "ram", 1)},
			want:       []string{"o"},
		},
		{
			name:       "unkinded left alone by default",
			containers: []policy.Container{c("sink", "", 0), c("grafana", "", 1), c("a", "cpu", 2)},
		},
		{
			name:       "unkinded as one kind",
			unkinded:   UnkindedNewest,
			containers: []policy.Container{c("u1", "", 0), c("a", "cpu", 1), c("u2", "", 2), c("u3", "", 3)},
			want:       []string{"u1", "u2"},
		},
		{
			name:       "unkinded all acted on, ranked with the rest by age",
			unkinded:   UnkindedAct,
			containers: []policy.Container{c("a1", "cpu", 0), c("u1", "", 1), c("a2", "cpu", 2), c("u2", "", 3), protected(c("u3", "", 4))},
			want:       []string{"a1", "u1", "u2"},
		},
		{
			name:       "a kind outside the course's five is still a kind",
			containers: []policy.Container{c("g1", "gpu", 0), c("g2", "gpu", 1)},
			want:       []string{"g1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Defaults()
			if tc.unkinded != "" {
				p.Unkinded = tc.unkinded
			}
			ds, err := p.Decide(context.Background(), &policy.Snapshot{Time: t0.Add(time.Hour), Containers: tc.containers})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.ContainerID)
				if d.Action != policy.Remove {
					t.Errorf("%s: action %v, want remove", d.ContainerID, d.Action)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("victims %q, want %q", got, tc.want)
			}
		})
	}
}

// The reason names the kind and the container that is kept; the action
// is the configured one.
func TestDecideReasonAndAction(t *testing.T) {
	p := &Policy{Action: policy.Stop, Unkinded: UnkindedLeave}
	ds, _ := p.Decide(context.Background(), &policy.Snapshot{Containers: []policy.Container{c("a", "disk", 0), c("b", "disk", 1)}})
	if len(ds) != 1 || ds[0].ContainerID != "a" || ds[0].Action != policy.Stop {
		t.Fatalf("decisions %+v", ds)
	}
	for _, part := range []string{"kind disk", "kw-b", "2026-12-01T10:01:00Z"} {
		if !strings.Contains(ds[0].Reason, part) {
			t.Errorf("reason %q lacks %q", ds[0].Reason, part)
		}
	}
}
