package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/test/testenv"
)

const goodToken = "0123456789abcdef-kwarden"

// A token file is read from -token-file, KWARDEN_TOKEN_FILE or the
// config's token_file, without its final newline.
func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "token")
	writeFile(t, tf, goodToken+"\n", 0o600)
	cf := filepath.Join(dir, "k.json")
	writeFile(t, cf, `{"token_file":"`+tf+`"}`, 0o644) // the path is no secret
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"flag":   {[]string{"-token-file", tf}, nil},
		"env":    {nil, map[string]string{"KWARDEN_TOKEN_FILE": tf}},
		"config": {[]string{"-config", cf}, nil},
	} {
		got, err := load(append(c.args, "-listen", "0.0.0.0:9070"), env(c.env))
		if err != nil || got.Token != goodToken || !strings.Contains(got.tokenFrom, tf) {
			t.Errorf("%s: token %q from %q, %v; want %q from %s", name, got.Token, got.tokenFrom, err, goodToken, tf)
		}
	}
}

// Levels override each other whichever form they use; one level naming
// both a token and a token file is an error.
func TestTokenPrecedence(t *testing.T) {
	dir := t.TempDir()
	fileTok, envTok, flagTok := goodToken+"-file", goodToken+"-env", goodToken+"-flag"
	tf := filepath.Join(dir, "token")
	writeFile(t, tf, fileTok, 0o600)
	cfTokenFile := filepath.Join(dir, "tf.json")
	writeFile(t, cfTokenFile, `{"token_file":"`+tf+`"}`, 0o600)
	cfToken := filepath.Join(dir, "t.json")
	writeFile(t, cfToken, `{"token":"`+envTok+`-config"}`, 0o600)
	for name, c := range map[string]struct {
		args      []string
		env       map[string]string
		want, src string
	}{
		"env token over config token_file": {[]string{"-config", cfTokenFile}, map[string]string{"KWARDEN_TOKEN": envTok}, envTok, "KWARDEN_TOKEN"},
		"env token file over config token": {[]string{"-config", cfToken}, map[string]string{"KWARDEN_TOKEN_FILE": tf}, fileTok, "KWARDEN_TOKEN_FILE"},
		"flag token file over env token":   {[]string{"-token-file", tf}, map[string]string{"KWARDEN_TOKEN": envTok}, fileTok, "-token-file"},
		"flag token over env token file":   {[]string{"-token", flagTok}, map[string]string{"KWARDEN_TOKEN_FILE": tf}, flagTok, "-token"},
		"empty env token clears config's":  {[]string{"-config", cfToken}, map[string]string{"KWARDEN_TOKEN": ""}, "", ""},
	} {
		got, err := load(c.args, env(c.env))
		if err != nil || got.Token != c.want || !strings.HasPrefix(got.tokenFrom, c.src) {
			t.Errorf("%s: token %q from %q, %v; want %q from %s", name, got.Token, got.tokenFrom, err, c.want, c.src)
		}
	}
	cfBoth := filepath.Join(dir, "both.json")
	writeFile(t, cfBoth, `{"token":"`+goodToken+`","token_file":"`+tf+`"}`, 0o600)
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"flags":  {[]string{"-token", goodToken, "-token-file", tf}, nil},
		"env":    {nil, map[string]string{"KWARDEN_TOKEN": goodToken, "KWARDEN_TOKEN_FILE": tf}},
		"config": {[]string{"-config", cfBoth}, nil},
	} {
		if _, err := load(c.args, env(c.env)); err == nil || !strings.Contains(err.Error(), "not both") {
			t.Errorf("%s: %v, want an error about setting both", name, err)
		}
	}
}

// A token file others could read or swap is refused, with the reason.
func TestTokenFileRefused(t *testing.T) {
	dir := t.TempDir()
	for name, perm := range map[string]os.FileMode{"world-readable": 0o644, "group-readable": 0o640, "world-writable": 0o602} {
		writeFile(t, filepath.Join(dir, name), goodToken, perm)
	}
	writeFile(t, filepath.Join(dir, "target"), goodToken, 0o600)
	if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "empty"), "\n", 0o600)
	for name, want := range map[string]string{
		"world-readable": "readable by other users",
		"group-readable": "readable by other users",
		"world-writable": "writable by other users",
		"link":           "is a symbolic link",
		"missing":        "no such file",
		"empty":          "is empty",
	} {
		_, err := load([]string{"-token-file", filepath.Join(dir, name)}, env(nil))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "-token-file") {
			t.Errorf("%s: %v, want an error naming -token-file with %q", name, err, want)
		}
	}
}

// A token file owned by another user is refused (giving it away needs
// root).
func TestTokenFileOfAnotherUser(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "root, to give a file to another user")
	tf := filepath.Join(t.TempDir(), "token")
	writeFile(t, tf, goodToken, 0o600)
	if err := os.Chown(tf, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := load(nil, env(map[string]string{"KWARDEN_TOKEN_FILE": tf}))
	if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("%v, want an error about the owner", err)
	}
}

// kwardend warns at start that -token shows in ps, and says what to use;
// a token from a file draws no warning.
func TestTokenFlagWarns(t *testing.T) {
	r := startRun(t, nil, "-token", goodToken)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	logs := r.log.String()
	if !strings.Contains(logs, `"level":"WARN","msg":"the token given with -token is visible to every user in ps: use -token-file`) {
		t.Errorf("no warning about -token in\n%s", logs)
	}
	tf := filepath.Join(t.TempDir(), "token")
	writeFile(t, tf, goodToken, 0o600)
	r = startRun(t, nil, "-token-file", tf)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if logs := r.log.String(); strings.Contains(logs, "visible to every user") || !strings.Contains(logs, `"token_from":"-token-file `+tf) {
		t.Errorf("token file: warned, or token_from missing:\n%s", logs)
	}
}

// A token that could never match (whitespace or a control character,
// which HTTP trims or refuses in a header) or that is shorter than 16
// bytes is refused at start, from any source, saying why.
func TestTokenRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	twoNewlines := filepath.Join(dir, "two-newlines")
	writeFile(t, twoNewlines, goodToken+"\n\n", 0o600)
	crlf := filepath.Join(dir, "crlf")
	writeFile(t, crlf, goodToken+"\r\n", 0o600)
	short := filepath.Join(dir, "short")
	writeFile(t, short, "s3cret\n", 0o600)
	inConfig := filepath.Join(dir, "k.json")
	writeFile(t, inConfig, `{"token":"`+goodToken+` "}`, 0o600)
	const why = "cannot hold whitespace or control characters"
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"trailing space, flag":   {[]string{"-token", goodToken + " "}, nil, "check token (-token): byte 24 is ' ': a token " + why},
		"trailing newline, env":  {nil, map[string]string{"KWARDEN_TOKEN": goodToken + "\n"}, `check token (KWARDEN_TOKEN): byte 24 is '\n'`},
		"leading tab, env":       {nil, map[string]string{"KWARDEN_TOKEN": "\t" + goodToken}, why},
		"inner space":            {[]string{"-token", "0123456789 abcdef"}, nil, why},
		"NUL":                    {[]string{"-token", goodToken + "\x00"}, nil, why},
		"DEL":                    {[]string{"-token", goodToken + "\x7f"}, nil, why},
		"no-break space":         {[]string{"-token", goodToken + "\u00a0"}, nil, why},
		"file with two newlines": {[]string{"-token-file", twoNewlines}, nil, "check token (-token-file " + twoNewlines + `): byte 24 is '\n'`},
		"file with CRLF":         {[]string{"-token-file", crlf}, nil, `'\r'`},
		"config, trailing space": {[]string{"-config", inConfig}, nil, "check token (token in config " + inConfig + ")"},
		"short, flag":            {[]string{"-token", "s3cret"}, nil, "check token (-token): 6 bytes is shorter than 16"},
		"short, file":            {[]string{"-token-file", short}, nil, "6 bytes is shorter than 16"},
		"fifteen bytes, env":     {nil, map[string]string{"KWARDEN_TOKEN": goodToken[:15]}, "15 bytes is shorter than 16"},
	} {
		_, err := load(c.args, env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), goodToken) {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}
	if c, err := load([]string{"-token", goodToken[:16]}, env(nil)); err != nil || c.Token != goodToken[:16] {
		t.Errorf("16 bytes: %q %v", c.Token, err)
	}
}
