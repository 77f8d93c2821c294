package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/webhook"
	"github.com/kwarden/kwarden/internal/duration"
)

// config is kwardend's configuration: defaults, then the JSON file, then
// KWARDEN_* environment variables, then flags, each overriding the last.
type config struct {
	Listen     string        `json:"listen"`     // default 127.0.0.1:9070
	Token      string        `json:"token"`      // required when Listen is not loopback
	TokenFile  string        `json:"token_file"` // or the file that holds it (token.go)
	Interval   time.Duration `json:"interval"`   // "1s"; the course used 10s and 20s
	Sources    string        `json:"sources"`    // both, kmod, ebpf
	KmodRoot   string        `json:"kmod_root"`
	ProcRoot   string        `json:"proc_root"`   // default /proc
	CgroupRoot string        `json:"cgroup_root"` // default /sys/fs/cgroup
	DockerHost string        `json:"docker_host"`
	DB         string        `json:"db"`
	// ResetDamaged moves a damaged history aside and starts a new one.
	ResetDamaged bool          `json:"db_reset_damaged"`
	CPUHigh      float64       `json:"cpu_high_percent"` // class thresholds
	RAMHigh      float64       `json:"ram_high_percent"`
	RawRetention time.Duration `json:"raw_retention"` // full-resolution history, "1d"
	Retention    time.Duration `json:"retention"`     // one-minute history and events, "7d"
	// The API's connections (server.go).
	ReadTimeout  time.Duration `json:"read_timeout"`  // a whole request
	WriteTimeout time.Duration `json:"write_timeout"` // an ordinary answer; one stream event
	IdleTimeout  time.Duration `json:"idle_timeout"`  // a keep-alive connection between requests
	// ShutdownTimeout is how long requests in flight may finish at stop.
	ShutdownTimeout time.Duration `json:"shutdown_timeout"`
	MaxConns        int           `json:"max_connections"` // 0: min(1024, soft RLIMIT_NOFILE / 2)
	// ProcViewEvery runs the third view (hidden processes: the kernel
	// views against /proc) every that many ticks; 0 is every tick, -1
	// turns it off.
	ProcViewEvery int `json:"procview_every"`
	// Policy is the kill-policy loop (policy.go); off without a dir.
	Policy policyConfig `json:"policy"`
	// Webhook, when set, sends the audit events to a sink (the course's
	// log sink): agent/webhook.
	Webhook *webhook.Config `json:"webhook"`
	// Course, when set, is the course's mode (course.go): at a stop by
	// signal, the final graphs, and the generator's timer removed.
	Course *courseConfig `json:"course"`

	tokenFrom string // where Token came from, for errors and the log
}

func defaults() config {
	return config{Listen: "127.0.0.1:9070", Interval: time.Second, Sources: "both",
		DB: "/var/lib/kwarden/history.db", CPUHigh: 20, RAMHigh: 20,
		RawRetention: 24 * time.Hour, Retention: 7 * 24 * time.Hour,
		// Ten seconds are plenty to send a GET's headers, even from far
		// away. Thirty to answer leave room for the longest bounded
		// range query on a loaded machine. Thirty idle keep a connection
		// from a client polling every 15 s (Prometheus's usual scrape,
		// Grafana's refresh), and free an abandoned one within half a
		// minute; a client whose connection was closed opens another.
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second,
		// Well within systemd's 90 s before it kills; streams end at once.
		ShutdownTimeout: 5 * time.Second,
		Policy:          policyConfig{PressureStall: defaultPressureStall, PressureWindow: defaultPressureWindow}}
}

// UnmarshalJSON accepts durations as strings, with days and weeks
// ("10s", "7d", "2w").
func (c *config) UnmarshalJSON(b []byte) error {
	type plain config
	var raw struct {
		plain
		Interval     string `json:"interval"`
		RawRetention string `json:"raw_retention"`
		Retention    string `json:"retention"`
		ReadTimeout  string `json:"read_timeout"`
		WriteTimeout string `json:"write_timeout"`
		IdleTimeout  string `json:"idle_timeout"`
		Shutdown     string `json:"shutdown_timeout"`
	}
	raw.plain = plain(*c)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	*c = config(raw.plain)
	for _, d := range []struct {
		name, s string
		dst     *time.Duration
	}{{"interval", raw.Interval, &c.Interval}, {"raw_retention", raw.RawRetention, &c.RawRetention},
		{"retention", raw.Retention, &c.Retention}, {"read_timeout", raw.ReadTimeout, &c.ReadTimeout},
		{"write_timeout", raw.WriteTimeout, &c.WriteTimeout}, {"idle_timeout", raw.IdleTimeout, &c.IdleTimeout},
		{"shutdown_timeout", raw.Shutdown, &c.ShutdownTimeout}} {
		if d.s == "" {
			continue
		}
		v, err := duration.Parse(d.s)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = v
	}
	return nil
}

// load builds the configuration from args and env (lookup).
func load(args []string, lookup func(string) (string, bool)) (config, error) {
	c := defaults()
	fs := flag.NewFlagSet("kwardend", flag.ContinueOnError)
	path := fs.String("config", "", "JSON configuration file")
	listen := fs.String("listen", c.Listen, "API address")
	token := fs.String("token", "", "bearer token the API requires (visible in ps: prefer -token-file)")
	tokenFile := fs.String("token-file", "", "file holding the bearer token the API requires (required beyond loopback)")
	interval := duration.Flag(fs, "interval", c.Interval, "sampling interval, a `duration`")
	sources := fs.String("sources", c.Sources, "kernel views: both, kmod or ebpf")
	kmodRoot := fs.String("kmod-root", "", "the module's files (default /proc/kwarden)")
	procRoot := fs.String("proc-root", "", "the proc file system (default /proc)")
	cgroupRoot := fs.String("cgroup-root", "", "the cgroup file systems (default /sys/fs/cgroup)")
	dockerHost := fs.String("docker-host", "", "Docker engine address (default DOCKER_HOST or the system socket)")
	db := fs.String("db", c.DB, "history database file")
	resetDamaged := fs.Bool("db-reset-damaged", false, "if the history database is damaged, move it aside (to <db>.damaged-<time>) and start a new one")
	cpuHigh := fs.Float64("cpu-high", c.CPUHigh, "CPU % above which a container is classed high")
	ramHigh := fs.Float64("ram-high", c.RAMHigh, "RAM % above which a container is classed high")
	rawRetention := duration.Flag(fs, "raw-retention", c.RawRetention, "how long full-resolution history is kept, a `duration` (1d, 36h)")
	retention := duration.Flag(fs, "retention", c.Retention, "how long one-minute history and events are kept, a `duration` (7d, 2w)")
	readTimeout := duration.Flag(fs, "read-timeout", c.ReadTimeout, "the API's bound on reading a request, a `duration`")
	writeTimeout := duration.Flag(fs, "write-timeout", c.WriteTimeout, "the API's bound on writing an answer, or one stream event, a `duration`")
	idleTimeout := duration.Flag(fs, "idle-timeout", c.IdleTimeout, "how long the API keeps an idle keep-alive connection, a `duration`")
	shutdownTimeout := duration.Flag(fs, "shutdown-timeout", c.ShutdownTimeout, "how long requests in flight may finish at stop, a `duration`")
	maxConns := fs.Int("max-connections", c.MaxConns, "connections the API serves at once (0: min(1024, half the soft file limit))")
	procViewEvery := fs.Int("procview-every", c.ProcViewEvery, "look for processes hidden from /proc every that many ticks (0: every tick, -1: never)")
	policyDir := fs.String("policy-dir", "", "directory of the kill-policy plugins and their catalogue.json (none: no policy loop, nothing is killed)")
	policyUse := fs.String("policy", "", "kill policy to start with, from the catalogue")
	policyDryRun := fs.Bool("policy-dry-run", false, "record the policy's decisions and act on none")
	// The settings are listed here rather than by flag: after a parse
	// error to stderr, with the error, as before; for -h, which asked for
	// them, to stdout (for a pager or grep), and main takes flag.ErrHelp
	// for success.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
		}
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *path != "" {
		if err := readConfigFile(*path, &c); err != nil {
			return c, err
		}
		if err := c.applyToken(tokenLevel{token: c.Token, file: c.TokenFile, hasToken: c.Token != "", hasFile: c.TokenFile != "",
			tokenName: "token", fileName: "token_file", where: " in config " + *path}); err != nil {
			return c, err
		}
	}
	env := map[string]func(string) error{
		"KWARDEN_LISTEN":  func(v string) error { c.Listen = v; return nil },
		"KWARDEN_SOURCES": func(v string) error { c.Sources = v; return nil },
		"KWARDEN_DB":      func(v string) error { c.DB = v; return nil },
		"KWARDEN_DB_RESET_DAMAGED": func(v string) (err error) {
			c.ResetDamaged, err = strconv.ParseBool(v)
			return err
		},
		"KWARDEN_DOCKER_HOST":      func(v string) error { c.DockerHost = v; return nil },
		"KWARDEN_POLICY_DIR":       func(v string) error { c.Policy.Dir = v; return nil },
		"KWARDEN_POLICY":           func(v string) error { c.Policy.Use = v; return nil },
		"KWARDEN_INTERVAL":         durationEnv(&c.Interval),
		"KWARDEN_RAW_RETENTION":    durationEnv(&c.RawRetention),
		"KWARDEN_RETENTION":        durationEnv(&c.Retention),
		"KWARDEN_READ_TIMEOUT":     durationEnv(&c.ReadTimeout),
		"KWARDEN_WRITE_TIMEOUT":    durationEnv(&c.WriteTimeout),
		"KWARDEN_IDLE_TIMEOUT":     durationEnv(&c.IdleTimeout),
		"KWARDEN_SHUTDOWN_TIMEOUT": durationEnv(&c.ShutdownTimeout),
		"KWARDEN_MAX_CONNECTIONS": func(v string) (err error) {
			c.MaxConns, err = strconv.Atoi(v)
			return err
		},
		"KWARDEN_PROCVIEW_EVERY": func(v string) (err error) {
			c.ProcViewEvery, err = strconv.Atoi(v)
			return err
		},
		"KWARDEN_CPU_HIGH": func(v string) (err error) {
			c.CPUHigh, err = strconv.ParseFloat(v, 64)
			return err
		},
		"KWARDEN_RAM_HIGH": func(v string) (err error) {
			c.RAMHigh, err = strconv.ParseFloat(v, 64)
			return err
		},
	}
	// In order, so that of two bad variables the same one is reported.
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if v, ok := lookup(name); ok {
			if err := env[name](v); err != nil {
				return c, fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	}
	envToken, hasEnvToken := lookup("KWARDEN_TOKEN")
	envTokenFile, hasEnvTokenFile := lookup("KWARDEN_TOKEN_FILE")
	if err := c.applyToken(tokenLevel{token: envToken, file: envTokenFile, hasToken: hasEnvToken, hasFile: hasEnvTokenFile,
		tokenName: "KWARDEN_TOKEN", fileName: "KWARDEN_TOKEN_FILE"}); err != nil {
		return c, err
	}
	flagToken := tokenLevel{token: *token, file: *tokenFile, tokenName: "-token", fileName: "-token-file"}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			c.Listen = *listen
		case "token":
			flagToken.hasToken = true
		case "token-file":
			flagToken.hasFile = true
		case "interval":
			c.Interval = *interval
		case "sources":
			c.Sources = *sources
		case "kmod-root":
			c.KmodRoot = *kmodRoot
		case "proc-root":
			c.ProcRoot = *procRoot
		case "cgroup-root":
			c.CgroupRoot = *cgroupRoot
		case "docker-host":
			c.DockerHost = *dockerHost
		case "db":
			c.DB = *db
		case "db-reset-damaged":
			c.ResetDamaged = *resetDamaged
		case "cpu-high":
			c.CPUHigh = *cpuHigh
		case "ram-high":
			c.RAMHigh = *ramHigh
		case "raw-retention":
			c.RawRetention = *rawRetention
		case "retention":
			c.Retention = *retention
		case "read-timeout":
			c.ReadTimeout = *readTimeout
		case "write-timeout":
			c.WriteTimeout = *writeTimeout
		case "idle-timeout":
			c.IdleTimeout = *idleTimeout
		case "shutdown-timeout":
			c.ShutdownTimeout = *shutdownTimeout
		case "max-connections":
			c.MaxConns = *maxConns
		case "procview-every":
			c.ProcViewEvery = *procViewEvery
		case "policy-dir":
			c.Policy.Dir = *policyDir
		case "policy":
			c.Policy.Use = *policyUse
		case "policy-dry-run":
			c.Policy.DryRun = *policyDryRun
		}
	})
	if err := c.applyToken(flagToken); err != nil {
		return c, err
	}
	if err := c.resolveToken(); err != nil {
		return c, err
	}
	return c, c.check()
}

func (c config) check() error {
	if c.Interval < 100*time.Millisecond || c.Interval > time.Hour {
		return fmt.Errorf("interval %s out of range 100ms..1h", duration.String(c.Interval))
	}
	// The store would take 0 or less for its default: say so instead.
	if c.RawRetention <= 0 || c.Retention <= 0 {
		return fmt.Errorf("raw_retention %s and retention %s must be positive", duration.String(c.RawRetention), duration.String(c.Retention))
	}
	// Raw points older than retention would outlive the one-minute ones.
	if c.RawRetention > c.Retention {
		return fmt.Errorf("raw_retention %s is longer than retention %s", duration.String(c.RawRetention), duration.String(c.Retention))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read_timeout", c.ReadTimeout}, {"write_timeout", c.WriteTimeout}, {"idle_timeout", c.IdleTimeout},
		{"shutdown_timeout", c.ShutdownTimeout}} {
		// 0 would mean no bound at all to net/http.
		if d.v < 100*time.Millisecond || d.v > time.Hour {
			return fmt.Errorf("%s %s out of range 100ms..1h", d.name, duration.String(d.v))
		}
	}
	if c.MaxConns < 0 || c.MaxConns > 1<<20 {
		return fmt.Errorf("max_connections %d out of range 0..%d (0: the default)", c.MaxConns, 1<<20)
	}
	if c.ProcViewEvery < -1 || c.ProcViewEvery > 3600 {
		return fmt.Errorf("procview_every %d out of range -1..3600 (0: every tick, -1: off)", c.ProcViewEvery)
	}
	switch c.Sources {
	case "both", "kmod", "ebpf":
	default:
		return fmt.Errorf("sources %q: want both, kmod or ebpf", c.Sources)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if c.Token != "" {
		if err := checkToken(c.Token); err != nil {
			return fmt.Errorf("check token (%s): %w", c.tokenFrom, err)
		}
	}
	if !loopback && c.Token == "" {
		return fmt.Errorf("listen %q is beyond loopback: set a token (-token-file, KWARDEN_TOKEN_FILE or KWARDEN_TOKEN)", c.Listen)
	}
	if c.CPUHigh < 0 || c.RAMHigh < 0 || c.CPUHigh > 100*1024 || c.RAMHigh > 100 {
		return fmt.Errorf("thresholds cpu %.1f / ram %.1f out of range", c.CPUHigh, c.RAMHigh)
	}
	if c.Course != nil {
		return c.Course.check()
	}
	return nil
}

// durationEnv sets *dst from a KWARDEN_* variable, days and weeks included.
func durationEnv(dst *time.Duration) func(string) error {
	return func(v string) (err error) {
		*dst, err = duration.Parse(v)
		return err
	}
}
