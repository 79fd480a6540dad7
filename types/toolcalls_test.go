package types

import (
	"reflect"
	"testing"
)

func TestToolCallAccumulator(t *testing.T) {
	tests := []struct {
		name    string
		chunks  [][]ToolCall
		want    []ToolCall
		started []bool // per fragment, in order
	}{
		{
			name: "fragments",
			chunks: [][]ToolCall{
				{{Index: 0, ID: "c1", Name: "get_weather", Arguments: `{"city":`}},
				{{Index: 0, Arguments: `"Paris"`}},
				{{Index: 0, ID: "c1", Arguments: `}`}}, // the ID repeated is no new call
			},
			want:    []ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`}},
			started: []bool{true, false, false},
		},
		{
			name: "interleaved indexes",
			chunks: [][]ToolCall{
				{{Index: 0, ID: "a", Name: "f", Arguments: `{"x"`}, {Index: 1, ID: "b", Name: "g"}},
				{{Index: 1, Arguments: `{"y":2}`}},
				{{Index: 0, Arguments: `:1}`}},
			},
			want:    []ToolCall{{ID: "a", Name: "f", Arguments: `{"x":1}`}, {ID: "b", Name: "g", Arguments: `{"y":2}`, Index: 1}},
			started: []bool{true, true, false, false},
		},
		{
			name: "complete calls in one chunk, all at index 0",
			chunks: [][]ToolCall{
				{{ID: "a", Name: "f", Arguments: `{}`}, {ID: "b", Name: "f", Arguments: `{"n":2}`}},
				{{Name: "h", Arguments: `{"n":3}`}}, // no ID: the Name starts it
			},
			want: []ToolCall{{ID: "a", Name: "f", Arguments: `{}`}, {ID: "b", Name: "f", Arguments: `{"n":2}`, Index: 1},
				{Name: "h", Arguments: `{"n":3}`, Index: 2}},
			started: []bool{true, true, true},
		},
		{
			name: "a different ID starts a call, a late ID fills in",
			chunks: [][]ToolCall{
				{{Index: 3, Name: "f", Arguments: `{`}},
				{{Index: 3, ID: "late", Arguments: `}`}},
				{{Index: 3, ID: "other", Arguments: `{}`}},
			},
			want:    []ToolCall{{ID: "late", Name: "f", Arguments: `{}`}, {ID: "other", Arguments: `{}`, Index: 1}},
			started: []bool{true, false, true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a ToolCallAccumulator
			var started []bool
			for _, c := range tt.chunks {
				for _, tc := range c {
					_, s := a.AddFragment(tc)
					started = append(started, s)
				}
			}
			if got := a.Calls(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Calls = %+v\nwant  %+v", got, tt.want)
			}
			if !reflect.DeepEqual(started, tt.started) {
				t.Errorf("started = %v, want %v", started, tt.started)
			}
			var b ToolCallAccumulator
			for _, c := range tt.chunks {
				b.Add(c...)
			}
			if !reflect.DeepEqual(b.Calls(), tt.want) || b.Len() != len(tt.want) {
				t.Errorf("Add: %+v", b.Calls())
			}
		})
	}
	var a ToolCallAccumulator
	if a.Calls() != nil || a.Len() != 0 {
		t.Error("zero value has calls")
	}
	if _, ok := a.Current(0); ok {
		t.Error("Current on empty")
	}
	a.Add(ToolCall{Index: 2, ID: "x", Name: "f"})
	got := a.Calls()
	got[0].Name = "changed"
	if c, ok := a.Current(2); !ok || c.Name != "f" || c.ID != "x" {
		t.Errorf("Current = %+v, %v (Calls must return a copy)", c, ok)
	}
}
