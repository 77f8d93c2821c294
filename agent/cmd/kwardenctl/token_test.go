package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kwarden/kwarden/internal/safefile"
	"github.com/kwarden/kwarden/test/testenv"
)

// authRecorder is an API that records the Authorization header of every
// request and lists no containers.
type authRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newAuthRecorder(t *testing.T) *authRecorder {
	a := &authRecorder{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auth = append(a.auth, r.Header.Get("Authorization"))
		a.mu.Unlock()
		w.Write([]byte(`{"containers": []}`))
	}))
	t.Cleanup(a.Close)
	return a
}

// ctl runs kwardenctl containers against the recorder with args before
// the command and env as the environment. It returns stderr, the
// Authorization headers the API received (and forgets them), and the error.
func (a *authRecorder) ctl(env map[string]string, args ...string) (stderr string, auth []string, err error) {
	var out, errOut bytes.Buffer
	args = append(append([]string{"-addr", a.URL}, args...), "containers")
	err = run(context.Background(), args, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, &errOut)
	a.mu.Lock()
	defer a.mu.Unlock()
	auth, a.auth = a.auth, nil
	return errOut.String(), auth, err
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}

// A token file is read when it is this user's regular file, mode 0600,
// and its one final newline dropped; anything else is refused with the
// reason, before any request.
func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "good"), "s3cret\n", 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	api := newAuthRecorder(t)
	for _, tc := range []struct {
		name, path string
		want       string // the header sent, or empty for a refusal
		refusal    string // what the error says
	}{
		{"0600", good, "Bearer s3cret", ""},
		{"0400, no newline", writeFile(t, filepath.Join(dir, "bare"), "s3cret", 0o400), "Bearer s3cret", ""},
		{"0644", writeFile(t, filepath.Join(dir, "world"), "s3cret\n", 0o644), "", "readable by other users"},
		{"0640", writeFile(t, filepath.Join(dir, "group"), "s3cret\n", 0o640), "", "readable by other users"},
		{"0602", writeFile(t, filepath.Join(dir, "writable"), "s3cret\n", 0o602), "", "writable by other users"},
		{"symlink", link, "", "symbolic link"},
		{"missing", filepath.Join(dir, "none"), "", "no such file"},
		{"empty", writeFile(t, filepath.Join(dir, "empty"), "\n", 0o600), "", "is empty"},
		{"two newlines", writeFile(t, filepath.Join(dir, "nl2"), "s3cret\n\n", 0o600), "", "whitespace or a control character (U+000A"},
		{"CRLF", writeFile(t, filepath.Join(dir, "crlf"), "s3cret\r\n", 0o600), "", "whitespace or a control character (U+000D"},
		{"trailing space", writeFile(t, filepath.Join(dir, "space"), "s3cret \n", 0o600), "", "whitespace or a control character (U+0020"},
	} {
		stderr, auth, err := api.ctl(nil, "-token-file", tc.path)
		switch {
		case tc.want != "" && (err != nil || len(auth) != 1 || auth[0] != tc.want):
			t.Errorf("%s: error %v, sent %q, want %q", tc.name, err, auth, tc.want)
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), tc.refusal) || !strings.HasPrefix(err.Error(), "-token-file: ")):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.refusal)
		case tc.want == "" && len(auth) != 0:
			t.Errorf("%s: refused, but %d requests were sent", tc.name, len(auth))
		case tc.want == "" && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%s: the error shows the token: %v", tc.name, err)
		case stderr != "":
			t.Errorf("%s: stderr %q", tc.name, stderr)
		}
	}
	// The same rules through the environment.
	if _, auth, err := api.ctl(map[string]string{"KWARDEN_TOKEN_FILE": good}); err != nil || len(auth) != 1 || auth[0] != "Bearer s3cret" {
		t.Errorf("KWARDEN_TOKEN_FILE: error %v, sent %q", err, auth)
	}
	if _, auth, err := api.ctl(map[string]string{"KWARDEN_TOKEN_FILE": link}); !errors.Is(err, safefile.ErrUntrusted) || len(auth) != 0 {
		t.Errorf("KWARDEN_TOKEN_FILE through a link: error %v, sent %q", err, auth)
	}
}

// A token file of another user is refused, even a 0600 one.
func TestTokenFileOwner(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "root, to give a file to another user")
	path := writeFile(t, filepath.Join(t.TempDir(), "theirs"), "s3cret\n", 0o600)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, auth, err := newAuthRecorder(t).ctl(nil, "-token-file", path)
	if !errors.Is(err, safefile.ErrUntrusted) || !strings.Contains(err.Error(), "owned by uid 65534") || len(auth) != 0 {
		t.Errorf("error %v, sent %q", err, auth)
	}
}

// A token with whitespace or a control character, from a flag or the
// environment, is refused before any request, without showing it.
func TestBadToken(t *testing.T) {
	api := newAuthRecorder(t)
	for _, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"-token", "s3cret "}},
		{nil, []string{"-token", "s3 cret"}},
		{map[string]string{"KWARDEN_TOKEN": "s3cret\n"}, nil},
		{map[string]string{"KWARDEN_TOKEN": "\ts3cret"}, nil},
		{map[string]string{"KWARDEN_TOKEN": "s3cret\x1b"}, nil},
		{map[string]string{"KWARDEN_TOKEN": "s3cret\u0085"}, nil},
	} {
		_, auth, err := api.ctl(tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), "whitespace or a control character") || strings.Contains(err.Error(), "s3") || len(auth) != 0 {
			t.Errorf("%q %q: error %v, sent %q", tc.env, tc.args, err, auth)
		}
	}
}

// -token-file wins over -token, which wins over KWARDEN_TOKEN_FILE,
// which wins over KWARDEN_TOKEN; a -token with a token always warns,
// once, and nothing else does.
func TestTokenPrecedence(t *testing.T) {
	dir := t.TempDir()
	flagFile := writeFile(t, filepath.Join(dir, "flag"), "from-flag-file\n", 0o600)
	envFile := writeFile(t, filepath.Join(dir, "env"), "from-env-file\n", 0o600)
	all := map[string]string{"KWARDEN_TOKEN_FILE": envFile, "KWARDEN_TOKEN": "from-env"}
	api := newAuthRecorder(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
		warn bool
	}{
		{"all four", all, []string{"-token-file", flagFile, "-token", "from-flag"}, "Bearer from-flag-file", true},
		{"-token and both variables", all, []string{"-token", "from-flag"}, "Bearer from-flag", true},
		{"both variables", all, nil, "Bearer from-env-file", false},
		{"KWARDEN_TOKEN alone", map[string]string{"KWARDEN_TOKEN": "from-env"}, nil, "Bearer from-env", false},
		{"empty KWARDEN_TOKEN_FILE", map[string]string{"KWARDEN_TOKEN_FILE": "", "KWARDEN_TOKEN": "from-env"}, nil, "Bearer from-env", false},
		{"-token-file alone", nil, []string{"-token-file", flagFile}, "Bearer from-flag-file", false},
		{"none", nil, nil, "", false},
		{"empty -token over the environment", all, []string{"-token", ""}, "", false},
	} {
		stderr, auth, err := api.ctl(tc.env, tc.args...)
		if err != nil || len(auth) != 1 || auth[0] != tc.want {
			t.Errorf("%s: error %v, sent %q, want %q", tc.name, err, auth, tc.want)
		}
		if want := map[bool]string{true: tokenWarning}[tc.warn]; stderr != want {
			t.Errorf("%s: stderr %q, want %q", tc.name, stderr, want)
		}
	}
}
