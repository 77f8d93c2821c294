// Package models holds what Grafana sends the plugin: the datasource's
// settings (the agents, the shared token kept apart as a secret) and the
// query model, one JSON object per panel query.
//
// The query model is mirrored field for field in the frontend's
// src/types.ts; TestQueryModelMatchesTypes fails when the two drift.
package models
