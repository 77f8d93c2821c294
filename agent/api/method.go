package api

import (
	"net/http"
)

// route registers h for path under any method and answers a method it
// does not take itself, with 405, Allow and a JSON error. A route reads
// with GET (and HEAD) unless its apiv1.Route says POST. ServeMux would
// answer a "GET /path" pattern's other methods on its own, in plain
// text, though every error of the API is JSON (docs/api.md). The method
// is checked before the token: which methods a route takes is no secret.
func route(mux *http.ServeMux, path, method string, h http.HandlerFunc) {
	allowed, use := "GET, HEAD", "GET"
	if method == http.MethodPost {
		allowed, use = "POST", "POST"
	}
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		ok := r.Method == http.MethodGet || r.Method == http.MethodHead
		if method == http.MethodPost {
			ok = r.Method == http.MethodPost
		}
		if !ok {
			w.Header().Set("Allow", allowed)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+path+": use "+use)
			return
		}
		h(w, r)
	})
}
