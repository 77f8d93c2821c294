package policyhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/test/policytest"
)

// An operator registers a policy while the agent runs: the binary into
// the directory, its checksum into the catalogue. Use finds it without a
// new host. A catalogue that stops parsing is refused with the reason,
// and the one read before stays; a policy taken out of the catalogue
// cannot be selected any more.
func TestCatalogueIsReadAgain(t *testing.T) {
	c := catalogue(t, "keep-oldest")
	h := New(c, Options{})
	defer h.Close()
	if _, err := h.Use(context.Background(), "threshold", nil); err == nil || !strings.Contains(err.Error(), "not in the catalogue") {
		t.Fatalf("threshold before it is registered: %v", err)
	}
	bin, err := policytest.Binaries("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(bin, policytest.Prefix+"threshold"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, policytest.Prefix+"threshold"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	keep := c.Entries["keep-oldest"].SHA256
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(c.Dir, CatalogueFile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"policies": [{"name": "keep-oldest", "sha256": "` + keep + `"}, {"name": "threshold", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}`)
	if _, err := h.Use(context.Background(), "threshold", nil); err != nil {
		t.Fatalf("threshold once registered: %v", err)
	}
	if names := strings.Join(h.Catalogue().Names(), ","); names != "keep-oldest,threshold" {
		t.Errorf("catalogue %s", names)
	}
	write(`{"policies": [`)
	if _, err := h.Use(context.Background(), "keep-oldest", nil); err == nil || !strings.Contains(err.Error(), "reload the policy catalogue") {
		t.Errorf("a broken catalogue: %v", err)
	}
	if names := strings.Join(h.Catalogue().Names(), ","); names != "keep-oldest,threshold" {
		t.Errorf("after a broken catalogue: %s", names)
	}
	if st, _ := h.Status(); st.Name != "threshold" {
		t.Errorf("active %q after a refused swap", st.Name)
	}
	write(`{"policies": [{"name": "threshold", "sha256": "` + hex.EncodeToString(sum[:]) + `"}]}`)
	if _, err := h.Use(context.Background(), "keep-oldest", nil); err == nil || !strings.Contains(err.Error(), "not in the catalogue") {
		t.Errorf("keep-oldest taken out: %v", err)
	}
}
