package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/kwarden/kwarden/internal/safefile"
)

// maxConfigFile bounds what -config reads: a configuration is a few
// hundred bytes.
const maxConfigFile = 1 << 20

// readConfigFile reads the JSON configuration at path over c. kwardend
// runs as root and the file says where its history goes and whom the API
// trusts, so it is opened under internal/safefile's rules: not a
// symbolic link, owned by kwardend's user, not writable by others. A
// file that holds the token is a secret besides, refused when others (or
// its group) can read it. The check is made on the opened descriptor,
// the one the configuration is read from.
func readConfigFile(path string, c *config) error {
	f, _, err := safefile.Open(path, safefile.Options{What: "config", UID: -1})
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return fmt.Errorf("read config %s: %w", path, err)
	}
	if len(b) > maxConfigFile {
		return fmt.Errorf("read config %s: larger than %d bytes", path, maxConfigFile)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if c.Token == "" && (c.Webhook == nil || c.Webhook.Token == "") {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read config %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o044 != 0 {
		return fmt.Errorf("config %s has mode %04o, readable by other users, and holds a token (the API's or the webhook's): %w (chmod 600 %s, or move the API's token to a token_file)",
			path, perm, safefile.ErrUntrusted, path)
	}
	return nil
}
