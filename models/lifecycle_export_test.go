package models

// LifecycleActions lists every action of the engine's lifecycle table, so
// the external table test can prove it covers each one.
func LifecycleActions() []Action {
	var out []Action
	seen := map[Action]bool{}
	for _, t := range lifecycle {
		if !seen[t.action] {
			seen[t.action] = true
			out = append(out, t.action)
		}
	}
	return out
}
