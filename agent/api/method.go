package api

import (
	"net/http"
)

// allowed is every route's Allow header: the API only reads.
const allowed = "GET, HEAD"

// route registers h for path under any method and answers a method other
// than GET or HEAD itself, with 405, Allow and a JSON error. ServeMux
// would answer a "GET /path" pattern's other methods on its own, in
// plain text, though every error of the API is JSON (docs/api.md). The
// method is checked before the token: which methods a route takes is no
// secret.
func route(mux *http.ServeMux, path string, h http.HandlerFunc) {
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", allowed)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+path+": use GET")
			return
		}
		h(w, r)
	})
}
