package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Policies is the kill-policy loop as the API serves it (agent/guard).
type Policies interface {
	Policy() apiv1.PolicyAnswer
	PolicyCatalogue() apiv1.PolicyCatalogueAnswer
	UsePolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyAnswer, error)
	DryRunPolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyDryRunAnswer, error)
}

// ErrUnknownPolicy is wrapped by a Policies error about a name the
// catalogue lacks: the API answers 404.
var ErrUnknownPolicy = errors.New("no such policy")

// maxPolicyBody bounds a policy request: a name and a configuration.
const maxPolicyBody = 1 << 20

// policyTimeout bounds a swap or a dry run: a plugin's start, handshake,
// ping and configuration, or its start and one round.
const policyTimeout = 30 * time.Second

func (s *server) policy(w http.ResponseWriter, r *http.Request) {
	if s.opts.Policies == nil {
		writeJSON(w, apiv1.PolicyAnswer{Recent: []apiv1.PolicyDecision{}})
		return
	}
	writeJSON(w, s.opts.Policies.Policy())
}

func (s *server) policyCatalogue(w http.ResponseWriter, r *http.Request) {
	if !s.policiesOn(w) {
		return
	}
	writeJSON(w, s.opts.Policies.PolicyCatalogue())
}

func (s *server) policyUse(w http.ResponseWriter, r *http.Request) {
	req, ok := s.policyRequest(w, r, true)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), policyTimeout)
	defer cancel()
	ans, err := s.opts.Policies.UsePolicy(ctx, req)
	if err != nil {
		s.policyFail(w, err)
		return
	}
	writeJSON(w, ans)
}

func (s *server) policyDryRun(w http.ResponseWriter, r *http.Request) {
	req, ok := s.policyRequest(w, r, false)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), policyTimeout)
	defer cancel()
	ans, err := s.opts.Policies.DryRunPolicy(ctx, req)
	if err != nil {
		s.policyFail(w, err)
		return
	}
	writeJSON(w, ans)
}

func (s *server) policiesOn(w http.ResponseWriter) bool {
	if s.opts.Policies == nil {
		writeError(w, http.StatusNotFound, "the policy loop is off: kwardend runs without a policy directory (policy.dir, -policy-dir)")
		return false
	}
	return true
}

// policyRequest reads a PolicyRequest body: JSON, at most 1 MiB, no
// unknown fields, a name when needName.
func (s *server) policyRequest(w http.ResponseWriter, r *http.Request, needName bool) (apiv1.PolicyRequest, bool) {
	var req apiv1.PolicyRequest
	if !s.policiesOn(w) {
		return req, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPolicyBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body: %v (at most %d bytes)", err, maxPolicyBody))
		return req, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "request body: want {\"name\": …, \"config\": {…}}: "+err.Error())
		return req, false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "request body: more than one JSON value")
		return req, false
	}
	if needName && req.Name == "" {
		writeError(w, http.StatusBadRequest, "request body: no policy name")
		return req, false
	}
	if needName && !req.At.IsZero() {
		writeError(w, http.StatusBadRequest, "request body: at: only a dry run replays the history")
		return req, false
	}
	return req, true
}

// policyFail answers a failed swap or dry run: 404 for a name the
// catalogue lacks, else 422 (the request was understood and refused:
// the checksum, the handshake or the configuration); the old policy
// stays either way.
func (s *server) policyFail(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrUnknownPolicy) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	writeError(w, http.StatusUnprocessableEntity, err.Error())
}
