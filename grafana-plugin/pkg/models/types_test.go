package models

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// typesTS is the frontend's mirror of this package.
const typesTS = "../../src/types.ts"

// TestQueryModelMatchesTypes fails when src/types.ts drifts from the Go
// model: the query's fields, the query types and their views, the
// figures, and the settings' keys.
func TestQueryModelMatchesTypes(t *testing.T) {
	b, err := os.ReadFile(typesTS)
	if err != nil {
		t.Fatal(err)
	}
	ts := string(b)

	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: types.ts has %q, the Go model %q", what, got, want)
		}
	}
	check("QueryType", sorted(quoted(match(t, ts, `export type QueryType =([^;]*);`))), sorted(QueryTypes))
	check("QUERY_TYPES", quoted(match(t, ts, `QUERY_TYPES: QueryType\[\] = \[([^\]]*)\]`)), QueryTypes)
	views := match(t, ts, `VIEWS: Record<QueryType, string\[\]> = \{([^}]*)\}`)
	for _, typ := range QueryTypes {
		check("VIEWS."+typ, quoted(match(t, views, `\b`+typ+`: \[([^\]]*)\]`)), Views[typ])
	}
	check("SYSTEM_FIELDS", quoted(match(t, ts, `SYSTEM_FIELDS = \[([^\]]*)\]`)), SystemFields)
	check("CONTAINER_FIELDS", quoted(match(t, ts, `CONTAINER_FIELDS = \[([^\]]*)\]`)), ContainerFields)
	check("TOP_FIGURES", quoted(match(t, ts, `TOP_FIGURES = \[([^\]]*)\]`)), TopFigures)

	check("KwardenQuery", members(match(t, ts, `interface KwardenQuery extends DataQuery \{([^}]*)\}`)), jsonNames(Query{}))
	check("KwardenOptions", members(match(t, ts, `interface KwardenOptions extends DataSourceJsonData \{([^}]*)\}`)), jsonNames(Settings{}))
	check("AgentSetting", members(match(t, ts, `interface AgentSetting \{([^}]*)\}`)), jsonNames(Agent{}))
	check("KwardenSecureJsonData", members(match(t, ts, `interface KwardenSecureJsonData \{([^}]*)\}`)), []string{SecretToken})
}

func match(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("types.ts has no %s", re)
	}
	return m[1]
}

// quoted lists the single-quoted strings of s, in order.
func quoted(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// members lists an interface body's member names, sorted, comments
// left out.
func members(body string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if m := regexp.MustCompile(`^(\w+)\??:`).FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		}
	}
	return sorted(out)
}

// jsonNames lists a struct's JSON keys, sorted; fields with none ("-")
// are not sent.
func jsonNames(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
