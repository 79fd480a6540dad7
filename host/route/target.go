package route

import "strings"

// Candidate is a target in a request's candidate list, with what the
// strategies order it by.
type Candidate struct {
	Target
	// Weight for the weighted strategy (group config; 1 by default).
	Weight float64
	// Fallback is set for a target of a configured fallback: it is tried
	// after every primary candidate, in its listed order.
	Fallback bool
	// Canary is set for a group's canary target.
	Canary bool

	// hasStats is set when Decide attached stats: the target's stats as
	// it found them (nil: never seen), so strategies need no lookup.
	hasStats bool
	stats    *TargetStats
}

// ParseTarget reads "plugin/model" or "plugin:provider/model". ok is false
// when s has no "/" or an empty part.
func ParseTarget(s string) (t Target, ok bool) {
	head, model, found := strings.Cut(s, "/")
	if !found || head == "" || model == "" {
		return Target{}, false
	}
	plugin, provider, _ := strings.Cut(head, ":")
	if plugin == "" {
		return Target{}, false
	}
	return Target{Plugin: plugin, Provider: provider, Model: model}, true
}

// Key is the target without Local, for maps.
func (t Target) Key() Target { t.Local = false; return t }
