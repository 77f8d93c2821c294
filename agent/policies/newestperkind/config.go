package newestperkind

import (
	"github.com/kwarden/kwarden/agent/policies/internal/configcheck"
	"github.com/kwarden/kwarden/agent/policy"
)

// Name is the policy's name: its binary is kwarden-policy-newest-per-kind.
const Name = "newest-per-kind"

// What happens to containers without a kind.
const (
	// UnkindedLeave leaves them alone.
	UnkindedLeave = "leave"
	// UnkindedNewest treats them as one kind: the newest of them stays.
	UnkindedNewest = "newest"
	// UnkindedAct asks for every one of them to go.
	UnkindedAct = "act"
)

// Policy is the policy and its configuration.
type Policy struct {
	// Action is what each decision asks for.
	Action policy.Action `json:"action"`
	// Unkinded is UnkindedLeave, UnkindedNewest or UnkindedAct.
	Unkinded string `json:"unkinded"`
}

var (
	_ policy.Validator = (*Policy)(nil)
	_ policy.Describer = (*Policy)(nil)
)

// Defaults is the course's rule A: remove all but the newest of each
// kind, leave containers without a kind alone. The binary serves it.
func Defaults() *Policy {
	return &Policy{Action: policy.Remove, Unkinded: UnkindedLeave}
}

// Validate refuses an unknown action or unkinded setting.
func (p *Policy) Validate() error {
	if err := configcheck.Action("action", p.Action); err != nil {
		return err
	}
	return configcheck.OneOf("unkinded", p.Unkinded, UnkindedLeave, UnkindedNewest, UnkindedAct)
}

// Description says what the policy does.
func (p *Policy) Description() string {
	return "course rule A: keeps the newest container of each kind (kwarden.kind label) and asks for the others to go, oldest first"
}
