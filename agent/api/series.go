package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/duration"
)

// containersSeries answers several containers' points over one range in
// one pass over the history, as columns (a Grafana panel of every
// container asks for 50 at once).
func (s *server) containersSeries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, step, err := timeRange(q, s.opts.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	refs := q["id"]
	if len(refs) == 0 || len(refs) > apiv1.MaxSeriesSetIDs {
		s.fail(w, r, bad("id: want 1 to %d containers, got %d", apiv1.MaxSeriesSetIDs, len(refs)))
		return
	}
	fields := apiv1.SeriesFigures
	if v := q.Get("fields"); v != "" {
		fields = strings.Split(v, ",")
		for _, f := range fields {
			if !slices.Contains(apiv1.SeriesFigures, f) {
				s.fail(w, r, bad("field %q: want some of %s", f, strings.Join(apiv1.SeriesFigures, ", ")))
				return
			}
		}
	}
	ids := make([]string, len(refs))
	for i, ref := range refs {
		if ref == "" || len(ref) > 128 || strings.ContainsAny(ref, "/\x00") {
			s.fail(w, r, bad("container id %q is not valid", ref))
			return
		}
		if ids[i], err = s.resolveID(ref); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	all, steps, err := s.b.Store().ContainersSeries(ids, store.RangeQuery{From: from, To: to, Step: step, MaxPoints: maxPoints})
	if errors.Is(err, store.ErrTooMany) {
		err = bad("%v: ask for fewer containers, a larger step or a shorter range", err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans := apiv1.SeriesSetAnswer{From: from, To: to, Fields: fields, Series: make([]apiv1.SeriesColumns, len(ids))}
	for i, pts := range all {
		c := apiv1.SeriesColumns{ID: ids[i], Step: duration.String(steps[i]), TimesMs: make([]int64, len(pts)),
			Values: make([][]float64, len(fields))}
		for f := range fields {
			c.Values[f] = make([]float64, len(pts))
		}
		for j := range pts {
			c.TimesMs[j] = pts[j].Time.UnixMilli()
			for f, name := range fields {
				c.Values[f][j], _ = pts[j].Figure(name)
			}
		}
		ans.Series[i] = c
	}
	writeJSON(w, ans)
}
