package identity

import (
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// ChangedAttributes returns the Terraform attributes of a resource of type
// tfType that an AWS event changes, from the table's event rules (and the
// request, for events such as ModifyInstanceAttribute whose effect depends
// on it). It returns nil when the table does not know.
func ChangedAttributes(ev model.Event, tfType string) []string {
	t, ok := ByTerraform(tfType)
	if !ok {
		return nil
	}
	name := ev.Action
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	name = NormalizeEventName(name)
	for _, r := range t.Events {
		for _, n := range r.Names {
			if n != name {
				continue
			}
			if len(r.ByRequest) > 0 {
				if attrs := requestAttributes(r.ByRequest, ev.Request); len(attrs) > 0 {
					return attrs
				}
			}
			return r.Attributes
		}
	}
	return nil
}
