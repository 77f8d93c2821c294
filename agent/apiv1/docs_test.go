package apiv1

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
)

// The API reference is generated from this package: docs/openapi.json
// (OpenAPI 3.1, whose schemas are JSON Schema 2020-12) and the tables of
// routes and types in docs/api.md. The test fails when either drifts
// from the code; -update writes them.
var update = flag.Bool("update", false, "write docs/openapi.json and the generated parts of docs/api.md")

const (
	openapiPath = "../../docs/openapi.json"
	apiMDPath   = "../../docs/api.md"
)

// wireTypes are the types the reference lists, in its order.
var wireTypes = []any{Health{}, SourceStatus{}, SystemAnswer{}, SystemPoint{}, SeriesAnswer{}, ContainerPoint{}, SeriesSetAnswer{}, SeriesColumns{},
	ContainersAnswer{}, ContainerFigures{}, TaskStates{}, Container{}, Cgroups{}, TopAnswer{}, TopContainer{}, ProcessesAnswer{}, ProcessPoint{},
	EventsAnswer{}, Event{}, CrossCheckAnswer{}, CrossCheck{}, Tolerance{}, Absence{}, Drift{}, Duplicate{},
	StreamTick{}, StreamContainer{}, ErrorAnswer{}, State{}, DockerStatus{},
	PolicyAnswer{}, PolicyStatus{}, PolicyDecision{}, PolicyCatalogueAnswer{}, PolicyEntry{}, PolicyRequest{}, PolicyDryRunAnswer{}}

// schemas reflects the wire types into JSON Schema definitions, with
// the doc comments of their fields as descriptions.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	r := &jsonschema.Reflector{Anonymous: true, AllowAdditionalProperties: true,
		Namer: func(t reflect.Type) string { return t.Name() }}
	if err := r.AddGoComments("github.com/kwarden/kwarden/agent/apiv1", ".", jsonschema.WithFullComment()); err != nil {
		t.Fatal(err)
	}
	defs := map[string]*jsonschema.Schema{}
	for _, v := range wireTypes {
		s := r.Reflect(v)
		for name, d := range s.Definitions {
			defs[name] = d
		}
	}
	for _, v := range wireTypes {
		if defs[reflect.TypeOf(v).Name()] == nil {
			t.Fatalf("no schema for %T", v)
		}
	}
	// Fix references to the components of the OpenAPI document.
	var fix func(s *jsonschema.Schema)
	fix = func(s *jsonschema.Schema) {
		if s == nil {
			return
		}
		s.Ref = strings.Replace(s.Ref, "#/$defs/", "#/components/schemas/", 1)
		fix(s.Items)
		fix(s.AdditionalProperties)
		for _, sub := range s.AnyOf {
			fix(sub)
		}
		for _, sub := range s.OneOf {
			fix(sub)
		}
		for _, sub := range s.AllOf {
			fix(sub)
		}
		if s.Properties != nil {
			for p := s.Properties.Oldest(); p != nil; p = p.Next() {
				fix(p.Value)
			}
		}
	}
	for _, d := range defs {
		fix(d)
	}
	return defs
}

// openAPI is the reference as an OpenAPI 3.1 document.
func openAPI(t *testing.T, defs map[string]*jsonschema.Schema) []byte {
	paths := map[string]any{}
	for _, rt := range Routes {
		op := map[string]any{"summary": rt.Doc}
		var params []any
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.Params {
			params = append(params, map[string]any{"name": p.Name, "in": "query", "description": p.Doc, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		ok := map[string]any{"description": "OK"}
		switch {
		case rt.Answer != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/" + reflect.TypeOf(rt.Answer).Name()}}}
		case rt.Path == "/api/v1/stream":
			ok["content"] = map[string]any{"text/event-stream": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/StreamTick"}}}
		default:
			ok["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		op["responses"] = map[string]any{"200": ok, "default": map[string]any{"description": "an error",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorAnswer"}}}}}
		if rt.Open {
			op["security"] = []any{}
		}
		method := "get"
		if rt.Method == "POST" {
			method = "post"
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/" + reflect.TypeOf(rt.Body).Name()}}}}
		}
		paths[rt.Path] = map[string]any{method: op}
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "kwardend", "version": "v1",
			"description": "kwardend's HTTP API; generated from agent/apiv1 (see docs/api.md)"},
		"servers":  []any{map[string]any{"url": "http://127.0.0.1:9070"}},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"schemas":         defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// typeName says what type a property has, for people.
func typeName(s *jsonschema.Schema) string {
	switch {
	case s.Ref != "":
		return "[" + s.Ref[strings.LastIndex(s.Ref, "/")+1:] + "](#" + strings.ToLower(s.Ref[strings.LastIndex(s.Ref, "/")+1:]) + ")"
	case s.Type == "array" && s.Items != nil:
		return "array of " + typeName(s.Items)
	case s.Type == "object" && s.AdditionalProperties != nil:
		return "object of " + typeName(s.AdditionalProperties)
	case s.Format != "":
		return s.Type + " (" + s.Format + ")"
	}
	return s.Type
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// markdown renders the tables of routes and types.
func markdown(defs map[string]*jsonschema.Schema) (routes, types string) {
	var b strings.Builder
	b.WriteString("| route | parameters | answer |\n| --- | --- | --- |\n")
	for _, rt := range Routes {
		var ps []string
		for _, p := range rt.Params {
			ps = append(ps, "`"+p.Name+"`: "+p.Doc)
		}
		answer := rt.Doc
		if rt.Answer != nil {
			n := reflect.TypeOf(rt.Answer).Name()
			answer = fmt.Sprintf("[%s](#%s): %s", n, strings.ToLower(n), rt.Doc)
		}
		open := ""
		if rt.Open {
			open = " (no token)"
		}
		method := "GET"
		if rt.Method == "POST" {
			method = "POST"
			n := reflect.TypeOf(rt.Body).Name()
			ps = append(ps, fmt.Sprintf("body: [%s](#%s)", n, strings.ToLower(n)))
		}
		fmt.Fprintf(&b, "| `%s %s`%s | %s | %s |\n", method, rt.Path, open, strings.Join(ps, "; "), answer)
	}
	routes = b.String()
	b.Reset()
	for i, v := range wireTypes {
		n := reflect.TypeOf(v).Name()
		d := defs[n]
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s\n\n", n)
		if d.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", oneLine(d.Description))
		}
		b.WriteString("| field | type | meaning |\n| --- | --- | --- |\n")
		for p := d.Properties.Oldest(); p != nil; p = p.Next() {
			req := ""
			if !slices.Contains(d.Required, p.Key) {
				req = " (may be absent)"
			}
			fmt.Fprintf(&b, "| `%s` | %s%s | %s |\n", p.Key, typeName(p.Value), req, oneLine(p.Value.Description))
		}
	}
	return routes, b.String()
}

// between replaces what lies between the markers <!-- begin NAME --> and
// <!-- end NAME --> in doc.
func between(t *testing.T, doc, name, content string) string {
	begin, end := "<!-- begin "+name+": generated from agent/apiv1, do not edit -->\n", "<!-- end "+name+" -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", apiMDPath, begin, end)
	}
	return doc[:i+len(begin)] + content + doc[j:]
}

func TestAPIDocs(t *testing.T) {
	defs := schemas(t)
	spec := openAPI(t, defs)
	routes, types := markdown(defs)
	md, err := os.ReadFile(apiMDPath)
	if err != nil {
		t.Fatal(err)
	}
	newMD := between(t, between(t, string(md), "routes", routes), "types", types)
	if *update {
		if err := os.WriteFile(openapiPath, spec, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(apiMDPath, []byte(newMD), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, _ := os.ReadFile(openapiPath)
	if !bytes.Equal(old, spec) {
		t.Errorf("%s differs from agent/apiv1: run go test ./agent/apiv1 -run TestAPIDocs -update (or make generate)", openapiPath)
	}
	if newMD != string(md) {
		t.Errorf("%s's routes or types differ from agent/apiv1: run go test ./agent/apiv1 -run TestAPIDocs -update (or make generate)", apiMDPath)
	}
}

// Every field of every wire type has a meaning in the reference: a
// field without a doc comment fails here, not in a reader's head.
func TestEveryFieldDocumented(t *testing.T) {
	defs := schemas(t)
	for _, v := range wireTypes {
		n := reflect.TypeOf(v).Name()
		d := defs[n]
		if d.Description == "" {
			t.Errorf("%s has no doc comment", n)
		}
		for p := d.Properties.Oldest(); p != nil; p = p.Next() {
			if p.Value.Description == "" {
				t.Errorf("%s.%s has no doc comment", n, p.Key)
			}
		}
	}
}
