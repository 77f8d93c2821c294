package main

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/kwarden/kwarden/internal/safefile"
)

// The API token can come from five places. -token is the one to avoid:
// every user on the machine reads a process's arguments in ps, so it is
// kept for compatibility and warned about at start. A token file
// (-token-file, KWARDEN_TOKEN_FILE, token_file in the configuration)
// keeps it on disk where only kwardend's user can read it;
// KWARDEN_TOKEN is readable only by that user and root
// (/proc/PID/environ). Each level (file, environment, flags) may name a
// token or a token file, not both, and replaces what a lower level said.

// maxTokenFile bounds what a token file may hold: a token is a line.
const maxTokenFile = 4096

// tokenLevel is what one level of the configuration says about the token.
type tokenLevel struct {
	token, file         string
	hasToken, hasFile   bool
	tokenName, fileName string // as the user wrote them: "-token", "KWARDEN_TOKEN_FILE"
	where               string // " in config FILE" for the file's level
}

// applyToken records one level's token over the lower levels', and where
// it comes from ("-token", "token_file /etc/kwarden/token in config
// /etc/kwarden/kwardend.json") for errors and the log.
func (c *config) applyToken(l tokenLevel) error {
	switch {
	case l.hasToken && l.hasFile:
		return fmt.Errorf("token: set %s or %s%s, not both", l.tokenName, l.fileName, l.where)
	case l.hasToken:
		c.Token, c.TokenFile, c.tokenFrom = l.token, "", l.tokenName+l.where
		if l.token == "" {
			c.tokenFrom = "" // an empty token is no token, as it always was
		}
	case l.hasFile:
		c.Token, c.TokenFile, c.tokenFrom = "", l.file, l.fileName+" "+l.file+l.where
	}
	return nil
}

// resolveToken reads the token file the configuration settled on, if any.
func (c *config) resolveToken() error {
	if c.TokenFile == "" {
		return nil
	}
	tok, err := readTokenFile(c.TokenFile)
	if err != nil {
		return fmt.Errorf("read token (%s): %w", c.tokenFrom, err)
	}
	c.Token = tok
	return nil
}

// readTokenFile reads a token from path. The file is a secret: under
// safefile's rules it is not a symbolic link, is owned by kwardend's
// user, and neither its group nor others can read or write it. One
// final newline (what echo and editors leave) is not part of the token.
func readTokenFile(path string) (string, error) {
	b, err := safefile.ReadFile(path, maxTokenFile, safefile.Options{What: "token file", Secret: true, UID: -1})
	if err != nil {
		return "", err
	}
	tok := strings.TrimSuffix(string(b), "\n")
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return tok, nil
}

// minTokenLen is the shortest token accepted: 16 bytes of a random
// token are 64 bits and more, out of reach of guessing over HTTP.
const minTokenLen = 16

// checkToken refuses, at start, a token no client could ever send, or
// one too short to resist guessing. net/http trims spaces and tabs
// around a header value and refuses control characters in it, so a token
// with a trailing space or newline (a token file written with two
// newlines, a variable copied with its line end) was accepted at start
// and then never matched. The error names the offending byte, never the
// token.
func checkToken(tok string) error {
	for i, r := range tok {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("byte %d is %q: a token cannot hold whitespace or control characters, which HTTP trims or refuses in a header, so no client could send it", i, r)
		}
	}
	if len(tok) < minTokenLen {
		return fmt.Errorf("%d bytes is shorter than %d: use a random token, e.g. openssl rand -hex 32", len(tok), minTokenLen)
	}
	return nil
}
