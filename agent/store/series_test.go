package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// ContainersSeries gives, for each container, exactly what
// ContainerSeries gives for it alone: minute points beyond the raw
// retention, then raw ones, folded by any step or by none.
func TestContainersSeriesMatchesOne(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour, Retention: 7 * 24 * time.Hour})
	const n, c = 2 * 3600, 12 // two hours of 12 containers; the first folded to minutes
	history(t, s, n, c)
	now := t0.Add(n * time.Second)
	for {
		_, more, err := s.PruneStep(now)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	ids := []string{fmt.Sprintf("%064x", 5), fmt.Sprintf("%064x", 0), fmt.Sprintf("%064x", 11)}
	for _, q := range []RangeQuery{
		{From: t0, To: now},
		{From: t0.Add(50 * time.Minute), To: t0.Add(70 * time.Minute)},
		{From: t0, To: now, Step: 5 * time.Second},
		{From: t0, To: now, Step: time.Minute},
		{From: t0.Add(-time.Hour), To: now, MaxPoints: 100},
		{From: now.Add(time.Hour), To: now.Add(2 * time.Hour)},
	} {
		all, steps, err := s.ContainersSeries(ids, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		for i, id := range ids {
			one, step, err := s.ContainerSeries(id, q)
			if err != nil {
				t.Fatal(err)
			}
			if step != steps[i] || !reflect.DeepEqual(one, all[i]) {
				t.Fatalf("%+v, container %d: %d points by %v, alone %d by %v", q, i, len(all[i]), steps[i], len(one), step)
			}
		}
		t.Logf("%v–%v step %v: %d points each", q.From.Sub(t0), q.To.Sub(t0), steps[0], len(all[0]))
	}
}

func TestContainersSeriesRefuses(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	history(t, s, 60, 3)
	if _, _, err := s.ContainersSeries([]string{fmt.Sprintf("%064x", 1), "nope"}, RangeQuery{From: t0, To: t0.Add(time.Minute)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown id: %v", err)
	}
	// 100 containers at 1 s over two days: 17 million points.
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("%064x", i%3)
	}
	if _, _, err := s.ContainersSeries(ids, RangeQuery{From: t0, To: t0.Add(2 * time.Hour), Step: time.Second}); !errors.Is(err, ErrTooMany) {
		t.Errorf("100 containers by 1 s over 2 h: %v", err)
	}
	// Without a step, each is folded to its share.
	all, steps, err := s.ContainersSeries(ids, RangeQuery{From: t0, To: t0.Add(2 * time.Hour)})
	if err != nil || len(all) != 100 || len(all[0]) != 60 || steps[0] != 0 {
		t.Errorf("100 containers over a minute of history: %v, %d, %v", err, len(all[0]), steps[0])
	}
	if all, _, err := s.ContainersSeries(nil, RangeQuery{From: t0, To: t0.Add(time.Hour)}); err != nil || all != nil {
		t.Errorf("no ids: %v %v", all, err)
	}
}
