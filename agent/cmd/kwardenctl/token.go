package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/kwarden/kwarden/internal/safefile"
)

// tokenWarning is printed when -token is used: every user of the machine
// sees a process's arguments in ps and /proc/PID/cmdline.
const tokenWarning = "kwardenctl: warning: -token is visible to other users in ps; prefer -token-file or KWARDEN_TOKEN\n"

// maxTokenFile bounds what is read from a token file: a token is a line.
const maxTokenFile = 4096

// tokenFlags are the token's sources on the command line; set says which
// of the flags were given, since an empty -token is a choice too.
type tokenFlags struct {
	file, token       string
	fileSet, tokenSet bool
}

// resolveToken returns the bearer token from the first source given, in
// this order: -token-file, -token, KWARDEN_TOKEN_FILE, KWARDEN_TOKEN.
// The command line comes before the environment; within each, the file
// comes first because it is the safer of the two, so a script that sets
// both by habit does not fall back to the exposed one. No source gives
// no token. A token that cannot work (see checkToken) is refused here,
// before any request.
func resolveToken(f tokenFlags, lookup func(string) (string, bool), stderr io.Writer) (string, error) {
	if f.tokenSet && f.token != "" {
		fmt.Fprint(stderr, tokenWarning) // even when -token-file wins: ps shows it anyway
	}
	switch {
	case f.fileSet:
		return readToken(f.file, "-token-file")
	case f.tokenSet:
		return checkToken(f.token, "-token")
	}
	if path, ok := lookup("KWARDEN_TOKEN_FILE"); ok && path != "" {
		return readToken(path, "KWARDEN_TOKEN_FILE")
	}
	tok, _ := lookup("KWARDEN_TOKEN")
	return checkToken(tok, "KWARDEN_TOKEN")
}

// readToken reads a token file under safefile's rules for secrets: not a
// symbolic link, owned by this user, readable and writable by nobody
// else. A single final newline (what echo and editors add) is not part
// of the token.
func readToken(path, source string) (string, error) {
	b, err := safefile.ReadFile(path, maxTokenFile, safefile.Options{What: "token file", Secret: true, UID: -1})
	if err != nil {
		return "", fmt.Errorf("%s: %w", source, err)
	}
	tok := strings.TrimSuffix(string(b), "\n")
	if tok == "" {
		return "", fmt.Errorf("%s: token file %s is empty", source, path)
	}
	return checkToken(tok, source+": token file "+path)
}

// checkToken returns tok, or refuses it (source says where it came from)
// if it holds whitespace or a control character, which cannot work: HTTP
// trims the spaces around a header value, so a token ending in one never
// matches; Go's client will not send control characters at all; and a
// token is one word. Saying so at start beats a bare 401 or a transport
// error later. The error gives the position, not the token, which is a
// secret.
func checkToken(tok, source string) (string, error) {
	for i, r := range tok {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", fmt.Errorf("%s: the token holds whitespace or a control character (%U at byte %d); a token is one word", source, r, i)
		}
	}
	return tok, nil
}
