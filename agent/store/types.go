package store

import (
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
)

// The points and events are the API's wire types: what is stored is
// what is served.
type (
	SystemPoint    = apiv1.SystemPoint
	ContainerPoint = apiv1.ContainerPoint
	ProcessPoint   = apiv1.ProcessPoint
	Event          = apiv1.Event
)

// Tick is everything one sample writes, in one transaction.
type Tick struct {
	System     SystemPoint
	Containers map[string]ContainerPoint // by container id
	Info       []containers.Container    // current description of each container
	Top        []ProcessPoint
	Events     []Event
}
