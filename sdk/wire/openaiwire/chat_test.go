package openaiwire

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

func TestToolDeltas(t *testing.T) {
	for _, tt := range []struct {
		name   string
		deltas []string // each a JSON array of one chunk's tool_calls
		want   []types.ToolCall
	}{
		{"openai fragments, interleaved", []string{
			`[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":""}}]`,
			`[{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":"{\"y\""}}]`,
			`[{"index":0,"function":{"arguments":"{\"x\":1}"}}]`,
			`[{"index":1,"function":{"arguments":":2}"}}]`,
		}, []types.ToolCall{{ID: "a", Name: "f", Arguments: `{"x":1}`}, {ID: "b", Name: "g", Arguments: `{"y":2}`, Index: 1}}},
		{"id and name sent again", []string{
			`[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}]`,
			`[{"index":0,"id":"a","function":{"name":"f","arguments":"}"}}]`,
		}, []types.ToolCall{{ID: "a", Name: "f", Arguments: `{}`}}},
		{"no index", []string{
			`[{"id":"a","function":{"name":"f","arguments":"{"}}]`,
			`[{"function":{"arguments":"}"}}]`,
			`[{"id":"b","function":{"name":"g","arguments":{"z":3}}}]`,
			`[{"id":"a","function":{"arguments":""}}]`,
		}, []types.ToolCall{{ID: "a", Name: "f", Arguments: `{}`}, {ID: "b", Name: "g", Arguments: `{"z":3}`, Index: 1}}},
		{"whole calls in one chunk", []string{
			`[{"id":"a","function":{"name":"f","arguments":"{}"}},{"id":"b","function":{"name":"f","arguments":"{}"}}]`,
		}, []types.ToolCall{{ID: "a", Name: "f", Arguments: `{}`}, {ID: "b", Name: "f", Arguments: `{}`, Index: 1}}},
	} {
		var td toolDeltas
		for _, d := range tt.deltas {
			var calls []answerToolCall
			if err := json.Unmarshal([]byte(d), &calls); err != nil {
				t.Fatal(err)
			}
			for i, c := range calls {
				td.add(i, c)
			}
		}
		if got := td.acc.Calls(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}
