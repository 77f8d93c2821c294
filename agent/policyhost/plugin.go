package policyhost

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/kwarden/kwarden/agent/policy"
)

// Plugin is one running policy subprocess.
type Plugin struct {
	Entry   Entry
	Info    policy.Info
	Config  []byte
	Started time.Time
	// Protocol is the version go-plugin negotiated.
	Protocol int

	client *plugin.Client
	conn   *policy.Conn
	logw   io.Closer
}

// StartTimeout bounds the handshake, Describe and Configure.
const StartTimeout = 10 * time.Second

// Start verifies e, runs it, handshakes, pings it with Describe and hands
// it config. Any failure stops the subprocess and says which step failed.
func Start(ctx context.Context, e Entry, config []byte, log *slog.Logger) (*Plugin, error) {
	sum, err := e.Verify()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cmd := exec.Command(e.Path)
	hl, logw := hclogTo(log.With("policy", e.Name))
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  policy.Handshake,
		VersionedPlugins: policy.HostPlugins(),
		Cmd:              cmd,
		// Checked again right before the exec: the file cannot change
		// between Verify and here without root, but that is cheap.
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     StartTimeout,
		// The plugin gets go-plugin's variables only, not the daemon's
		// environment (its token, say).
		SkipHostEnv: true,
		// As the plugin's side does (policy.Serve): a round's snapshot
		// and answer each fit in one window.
		GRPCDialOptions: []grpc.DialOption{grpc.WithInitialWindowSize(1 << 20), grpc.WithInitialConnWindowSize(1 << 20)},
		Logger:          hl,
	})
	p := &Plugin{Entry: e, Config: config, client: c, logw: logw}
	fail := func(step string, err error) (*Plugin, error) {
		p.Stop()
		return nil, fmt.Errorf("policy %s: %s: %w", e.Name, step, err)
	}
	rpc, err := c.Client()
	if err != nil {
		return fail("start and handshake", err)
	}
	raw, err := rpc.Dispense(policy.PluginName)
	if err != nil {
		return fail("dispense", err)
	}
	conn, ok := raw.(*policy.Conn)
	if !ok {
		return fail("dispense", fmt.Errorf("got a %T", raw))
	}
	p.conn, p.Protocol = conn, c.NegotiatedVersion()
	cctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	if p.Info, err = conn.Describe(cctx); err != nil {
		return fail("ping (Describe)", err)
	}
	if err := conn.Configure(cctx, config); err != nil {
		return fail("configure", err)
	}
	p.Started = time.Now()
	return p, nil
}

// Checksum is the verified SHA-256, hex.
func (p *Plugin) Checksum() string { return p.Entry.SHA256 }

// Exited reports a subprocess that is gone.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// Decide runs one round on the plugin within ctx.
func (p *Plugin) Decide(ctx context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	return p.conn.Decide(ctx, s)
}

// Ping asks the plugin's Describe within ctx.
func (p *Plugin) Ping(ctx context.Context) error {
	_, err := p.conn.Describe(ctx)
	return err
}

// Stop ends the subprocess: go-plugin closes the connection, waits up to
// 2 s for it to exit and then kills it.
func (p *Plugin) Stop() {
	p.client.Kill()
	p.logw.Close()
}

// hclogTo writes go-plugin's log (and the plugin's stderr, which
// go-plugin relays) to log, one slog record per line.
func hclogTo(log *slog.Logger) (hclog.Logger, io.Closer) {
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			log.Info("policy plugin", "line", sc.Text())
		}
		io.Copy(io.Discard, r) // a line too long: never block the writer
	}()
	return hclog.New(&hclog.LoggerOptions{Name: "policy", Output: w, Level: hclog.Info}), w
}
