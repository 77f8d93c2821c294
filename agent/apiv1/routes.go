package apiv1

// Route is one route of the API: what the server serves, the client
// calls and docs/api.md lists, from this one table.
type Route struct {
	// Path is the route as net/http's ServeMux writes it.
	Path string
	// Params are the query parameters it takes.
	Params []Param
	// Answer is a value of its answer's type (nil: not JSON).
	Answer any
	// Doc says what it answers.
	Doc string
	// Open is true for the one route that needs no token.
	Open bool
	// Method is POST for the routes that change something; "" is GET
	// (and HEAD).
	Method string
	// Body is a value of the request body's type (POST routes).
	Body any
}

// Param is a query parameter.
type Param struct {
	Name string
	Doc  string
}

var rangeParams = []Param{
	{"from", "start of the range: RFC 3339, Unix seconds or milliseconds, now, or now minus a duration (now-15m, now-7d); default now-15m"},
	{"to", "end of the range; default now"},
	{"step", "fold points by this duration (or seconds); default: every point, folded to fit 11,000"},
}

// Routes are the API's routes, in the order docs/api.md lists them.
var Routes = []Route{
	{Path: "/api/v1/health", Answer: Health{}, Open: true,
		Doc: "whether the daemon ticks, on what sources, and its version"},
	{Path: "/api/v1/system", Params: rangeParams, Answer: SystemAnswer{},
		Doc: "the machine's points: memory, CPU %, processes, containers, discrepancies"},
	{Path: "/api/v1/containers", Answer: ContainersAnswer{}, Params: []Param{
		{"all", "true: the removed containers the history holds too, most recently removed first"},
		{"limit", "at most this many removed containers (1–10,000, default 1,000)"},
		{"before", "the next of a previous page"},
	}, Doc: "the containers with their last figures"},
	{Path: "/api/v1/containers/top", Answer: TopAnswer{}, Params: append(rangeParams[:2:2],
		Param{"by", "the figure to rank by (required): cpu_percent, ram_percent, rss_bytes, memory_usage_bytes or memory_working_set_bytes; cpu and ram are short for the first two"},
		Param{"rank", "mean (default): the mean over the ticks each container was present; peak: its highest value"},
		Param{"n", "how many (1–1,000, default 5)"}),
		Doc: "the containers that used the most of a figure over the range, removed ones included, highest first"},
	{Path: "/api/v1/containers/series", Answer: SeriesSetAnswer{}, Params: append(rangeParams[:3:3],
		Param{"id", "a container (full id, unique prefix or name), repeated for each, removed ones included (1–200, required)"},
		Param{"fields", "the figures, comma-separated: cpu_percent, cpu_ns, rss_bytes, memory_usage_bytes, memory_working_set_bytes, ram_percent, read_bytes, write_bytes, processes, threads, vsz_bytes; default all"}),
		Doc: "several containers' points over one range in one pass, as columns: what a panel of many containers asks; at most 500,000 points in all"},
	{Path: "/api/v1/containers/{id}/series", Params: rangeParams, Answer: SeriesAnswer{},
		Doc: "one container's points; {id} is a full id, a unique prefix or a name, removed containers included"},
	{Path: "/api/v1/processes", Params: []Param{{"at", "the last tick at or before this time; default now"}},
		Answer: ProcessesAnswer{}, Doc: "the top processes (by RSS) of a tick"},
	{Path: "/api/v1/events", Answer: EventsAnswer{}, Params: append(rangeParams[:2:2],
		Param{"kind", "a prefix of the kind (docker., crosscheck.)"},
		Param{"limit", "at most this many events (1–10,000, default 1,000)"},
		Param{"after", "the next of a previous page"}),
		Doc: "events, oldest first, by pages"},
	{Path: "/api/v1/crosscheck", Answer: CrossCheckAnswer{},
		Doc: "the last module-vs-eBPF comparison"},
	{Path: "/api/v1/policy", Answer: PolicyAnswer{},
		Doc: "the kill-policy loop: the active policy, dry-run, the last decisions and their outcomes"},
	{Path: "/api/v1/policy/catalogue", Answer: PolicyCatalogueAnswer{},
		Doc: "the policies the catalogue allows, with their checksums"},
	{Path: "/api/v1/policy/use", Method: "POST", Body: PolicyRequest{}, Answer: PolicyAnswer{},
		Doc: "select a policy: verify, start, handshake, ping, configure, swap between rounds, stop the old one; on any failure the old one stays (422)"},
	{Path: "/api/v1/policy/dry-run", Method: "POST", Body: PolicyRequest{}, Answer: PolicyDryRunAnswer{},
		Doc: "what a policy (started for the purpose, or the active one) would decide on the last tick, or with at on a tick the history recorded, and what the enforcer would refuse; nothing is acted on"},
	{Path: "/api/v1/stream", Doc: "server-sent events, one per tick (event: " + StreamEvent + "), each one's data a StreamTick"},
	{Path: "/metrics", Doc: "Prometheus exposition (text, or OpenMetrics when asked)"},
}
