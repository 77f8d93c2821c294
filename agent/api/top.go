package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
)

// figureAliases are the short names of the figures people rank by most:
// the course says "top 5 by CPU" and "top 5 by RAM".
var figureAliases = map[string]string{"cpu": apiv1.FigureCPUPercent, "ram": apiv1.FigureRAMPercent}

// containersTop ranks the containers present in the range by a figure,
// removed ones included: the course's "top 5" panels.
func (s *server) containersTop(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, _, err := timeRange(q, s.opts.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	by, err := figureParam(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rank := q.Get("rank")
	switch rank {
	case "":
		rank = apiv1.RankMean
	case apiv1.RankMean, apiv1.RankPeak:
	default:
		s.fail(w, r, bad("rank %q: want %s or %s", rank, apiv1.RankMean, apiv1.RankPeak))
		return
	}
	n, err := intParam(q, "n", store.DefaultTopN, 1, store.MaxTopN)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.b.Store().TopContainers(store.TopQuery{From: from, To: to, By: by, Rank: rank, N: n, MaxScan: s.opts.topScan})
	if errors.Is(err, store.ErrTooMany) {
		err = bad("%v", err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, apiv1.TopAnswer{From: from, To: to, By: by, Rank: rank, Present: res.Present, Containers: nonNil(res.Containers)})
}

// figureParam reads by, which is required: no figure is the obvious
// one to rank by.
func figureParam(q url.Values) (string, error) {
	v := q.Get("by")
	if alias, ok := figureAliases[v]; ok {
		return alias, nil
	}
	if slices.Contains(apiv1.TopFigures, v) {
		return v, nil
	}
	want := strings.Join(apiv1.TopFigures, ", ") + " (or cpu, ram)"
	if v == "" {
		return "", bad("by is required: one of %s", want)
	}
	return "", bad("by %q: want one of %s", v, want)
}
