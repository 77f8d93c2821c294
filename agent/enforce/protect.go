package enforce

import (
	"regexp"
	"strings"
)

// ProtectLabel marks a container no policy may touch.
const ProtectLabel = "kwarden.protect"

// Protection decides which containers are out of every policy's reach.
type Protection struct {
	// Names are Docker names (without the slash) or regular expressions
	// anchored at both ends when written /like this/.
	Names []string `json:"names"`
	// IDs are container ids, or prefixes of at least 12 hex digits.
	IDs []string `json:"ids"`

	names []*regexp.Regexp
}

// Compile checks and compiles the patterns; New calls it, and Protects
// knows only the names of the last successful Compile.
func (p *Protection) Compile() error {
	p.names = p.names[:0]
	for _, n := range p.Names {
		var re *regexp.Regexp
		var err error
		if len(n) > 2 && strings.HasPrefix(n, "/") && strings.HasSuffix(n, "/") {
			re, err = regexp.Compile("^(?:" + n[1:len(n)-1] + ")$")
		} else {
			re, err = regexp.Compile("^" + regexp.QuoteMeta(n) + "$")
		}
		if err != nil {
			return err
		}
		p.names = append(p.names, re)
	}
	for _, id := range p.IDs {
		if len(id) < 12 {
			return errShortID(id)
		}
	}
	return nil
}

type errShortID string

func (e errShortID) Error() string {
	return "protected id " + string(e) + ": want at least 12 hex digits"
}

// Protects says whether a container is protected, and why.
func (p *Protection) Protects(id, name string, labels map[string]string) (string, bool) {
	if v, ok := labels[ProtectLabel]; ok && strings.EqualFold(v, "true") {
		return "labelled " + ProtectLabel + "=true", true
	}
	for _, re := range p.names {
		if re.MatchString(name) {
			return "protected by name (" + re.String() + ")", true
		}
	}
	for _, pre := range p.IDs {
		if strings.HasPrefix(id, strings.ToLower(pre)) {
			return "protected by id", true
		}
	}
	return "", false
}
