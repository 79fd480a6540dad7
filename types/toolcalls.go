package types

// ToolCallAccumulator assembles the tool calls of a chat stream from the
// ChatChunk.ToolCalls fragments, following the contract's convention:
//
//   - Fragments are keyed by ToolCall.Index. A fragment at an index not
//     seen yet starts a new call.
//   - At an index already in use, a fragment with a Name (when the call
//     there already has one), or with an ID different from that call's,
//     starts a new call at that index. Any other fragment continues the
//     call: its Arguments are appended, and its ID and Name fill in what
//     the call lacks.
//
// So a call may arrive whole in one fragment, or as a first fragment with
// ID and Name followed by fragments with only Arguments; and whole calls
// may all use index 0. The zero value is ready to use; it is not safe for
// concurrent use.
type ToolCallAccumulator struct {
	byIndex map[int]int // fragment index -> position of the current call there
	calls   []ToolCall
}

// Add folds in the tool calls of one chunk, in order.
func (a *ToolCallAccumulator) Add(calls ...ToolCall) {
	for i := range calls {
		a.AddFragment(calls[i])
	}
}

// AddFragment folds in one fragment and says which call it belongs to: its
// position in Calls, and whether the fragment started that call. Stream
// encoders use it to emit each fragment as it comes.
func (a *ToolCallAccumulator) AddFragment(tc ToolCall) (pos int, started bool) {
	if a.byIndex == nil {
		a.byIndex = map[int]int{}
	}
	if pos, ok := a.byIndex[tc.Index]; ok {
		cur := &a.calls[pos]
		newID := tc.ID != "" && tc.ID != cur.ID && cur.ID != ""
		newName := tc.Name != "" && cur.Name != ""
		if !newID && !newName {
			if cur.ID == "" {
				cur.ID = tc.ID
			}
			if cur.Name == "" {
				cur.Name = tc.Name
			}
			cur.Arguments += tc.Arguments
			return pos, false
		}
	}
	pos = len(a.calls)
	a.byIndex[tc.Index] = pos
	a.calls = append(a.calls, ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments, Index: pos})
	return pos, true
}

// Current returns the call that fragments at index currently continue, as
// assembled so far.
func (a *ToolCallAccumulator) Current(index int) (ToolCall, bool) {
	pos, ok := a.byIndex[index]
	if !ok {
		return ToolCall{}, false
	}
	return a.calls[pos], true
}

// Len is the number of calls started so far.
func (a *ToolCallAccumulator) Len() int { return len(a.calls) }

// Calls returns the assembled calls in the order they started, each with
// Index set to its position; nil when there are none. The slice is a
// copy.
func (a *ToolCallAccumulator) Calls() []ToolCall {
	if len(a.calls) == 0 {
		return nil
	}
	out := make([]ToolCall, len(a.calls))
	copy(out, a.calls)
	return out
}
