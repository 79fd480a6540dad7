package convert

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

type convertLevel string

type convertPoint struct {
	X       int    `json:"x"`
	Y       int    `json:"y,omitempty"`
	Label   string `json:"label"`
	private int
}

type convertNaNHolder struct{ F float64 }

type convertPanicker struct{}

func (convertPanicker) MarshalJSON() ([]byte, error) { panic("boom") }

type convertFailer struct{}

func (convertFailer) MarshalJSON() ([]byte, error) { return nil, errors.New("nope") }

func TestConvertStruct(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any // nil: ToProtoStruct must give nil
	}{
		{"nil map", nil, nil},
		{"empty map", map[string]any{}, nil},
		{"plain values", convertExtra(), convertExtra()},
		{"all integer types become float64", map[string]any{
			"int": 1, "int8": int8(-2), "int16": int16(3), "int32": int32(-4), "int64": int64(5),
			"uint": uint(6), "uint8": uint8(7), "uint16": uint16(8), "uint32": uint32(9), "uint64": uint64(10),
		}, map[string]any{
			"int": 1.0, "int8": -2.0, "int16": 3.0, "int32": -4.0, "int64": 5.0,
			"uint": 6.0, "uint8": 7.0, "uint16": 8.0, "uint32": 9.0, "uint64": 10.0,
		}},
		{"int64 beyond 2^53 loses precision", map[string]any{"big": int64(1<<53 + 1)},
			map[string]any{"big": float64(1 << 53)}},
		{"float32 is widened", map[string]any{"f": float32(0.1), "half": float32(0.5)},
			map[string]any{"f": float64(float32(0.1)), "half": 0.5}},
		{"json.Number", map[string]any{"n": json.Number("12.5"), "bad": json.Number("abc")},
			map[string]any{"n": 12.5, "bad": "abc"}},
		{"bytes become base64", map[string]any{"b": []byte("hi")}, map[string]any{"b": "aGk="}},
		{"typed slices", map[string]any{
			"strings": []string{"a", "b"}, "ints": []int{1, 2}, "int64s": []int64{3}, "empty": []string{},
			"nilslice": []string(nil),
		}, map[string]any{
			"strings": []any{"a", "b"}, "ints": []any{1.0, 2.0}, "int64s": []any{3.0}, "empty": []any{},
			"nilslice": nil,
		}},
		{"typed maps", map[string]any{
			"ss": map[string]string{"k": "v"}, "si": map[string]int{"n": 1},
			"structs": map[string]convertPoint{"p": {X: 1, Label: "a"}},
			"nilmap":  map[string]any(nil),
		}, map[string]any{
			"ss": map[string]any{"k": "v"}, "si": map[string]any{"n": 1.0},
			"structs": map[string]any{"p": map[string]any{"x": 1.0, "label": "a"}},
			"nilmap":  nil,
		}},
		{"structs, pointers, named types, time", map[string]any{
			"point": convertPoint{X: 1, Y: 2, Label: "p", private: 9}, "ptr": &convertPoint{X: 3},
			"nilptr": (*convertPoint)(nil), "level": convertLevel("high"), "when": when,
			"list_of_maps": []map[string]any{{"a": 1}}, "deep": map[string]any{"l": []any{[]int{1}}},
		}, map[string]any{
			"point": map[string]any{"x": 1.0, "y": 2.0, "label": "p"}, "ptr": map[string]any{"x": 3.0, "label": ""},
			"nilptr": nil, "level": "high", "when": "2026-01-02T03:04:05Z",
			"list_of_maps": []any{map[string]any{"a": 1.0}}, "deep": map[string]any{"l": []any{[]any{1.0}}},
		}},
		{"structpb values are taken as they are", map[string]any{
			"v": structpb.NewStringValue("x"), "s": &structpb.Struct{Fields: map[string]*structpb.Value{"a": structpb.NewBoolValue(true)}},
			"l":    &structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(1)}},
			"nilv": (*structpb.Value)(nil),
		}, map[string]any{"v": "x", "s": map[string]any{"a": true}, "l": []any{1.0}, "nilv": nil}},
		{"unrepresentable keys are dropped, list elements become null", map[string]any{
			"ok": 1, "chan": make(chan int), "func": func() {}, "complex": complex(1, 2),
			"nan_in_struct": convertNaNHolder{F: math.NaN()}, "panics": convertPanicker{}, "fails": convertFailer{},
			"list": []any{1, func() {}, "x", make(chan int)},
			"map":  map[string]any{"f": func() {}, "g": 2},
		}, map[string]any{
			"ok": 1.0, "list": []any{1.0, nil, "x", nil}, "map": map[string]any{"g": 2.0},
		}},
		{"only unrepresentable values gives nil", map[string]any{"f": func() {}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ToProtoStruct(tt.in)
			if tt.want == nil {
				if s != nil {
					t.Fatalf("ToProtoStruct = %v, want nil", s)
				}
				if got := FromProtoStruct(s); got != nil {
					t.Fatalf("FromProtoStruct(nil) = %v, want nil", got)
				}
				return
			}
			if got := FromProtoStruct(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v\ndiff: %v", got, tt.want, convertDiff(got, tt.want))
			}
			// And over the wire.
			b, err := proto.Marshal(s)
			if err != nil {
				t.Fatalf("proto.Marshal: %v", err)
			}
			var s2 structpb.Struct
			if err := proto.Unmarshal(b, &s2); err != nil {
				t.Fatalf("proto.Unmarshal: %v", err)
			}
			if got := FromProtoStruct(&s2); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("over the wire: got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestConvertStructSpecialNumbers: NaN and infinities at the top level
// travel as numbers, and AsMap gives them back as strings (JSON has no such
// numbers).
func TestConvertStructSpecialNumbers(t *testing.T) {
	s := ToProtoStruct(map[string]any{"nan": math.NaN(), "inf": math.Inf(-1)})
	if f := s.Fields["nan"].GetNumberValue(); !math.IsNaN(f) {
		t.Errorf("nan travels as %v", s.Fields["nan"])
	}
	want := map[string]any{"nan": "NaN", "inf": "-Infinity"}
	if got := FromProtoStruct(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestConvertStructCycles: self-referencing values do not overflow the
// stack; the cycle is cut at maxStructDepth and the rest is kept.
func TestConvertStructCycles(t *testing.T) {
	m := map[string]any{"a": 1}
	m["self"] = m
	l := []any{"x", nil}
	l[1] = l
	in := map[string]any{"m": m, "l": l, "keep": "yes"}

	got := FromProtoStruct(ToProtoStruct(in))
	if got["keep"] != "yes" {
		t.Errorf("keep = %v", got["keep"])
	}
	depth := 0
	for cur, ok := got["m"].(map[string]any); ok; cur, ok = cur["self"].(map[string]any) {
		if cur["a"] != 1.0 {
			t.Fatalf("depth %d: a = %v", depth, cur["a"])
		}
		depth++
	}
	if depth == 0 || depth > maxStructDepth {
		t.Errorf("map cycle unrolled to depth %d, want 1..%d", depth, maxStructDepth)
	}
	depth = 0
	for cur, ok := got["l"].([]any); ok; cur, ok = cur[1].([]any) {
		depth++
	}
	if depth == 0 || depth > maxStructDepth {
		t.Errorf("list cycle unrolled to depth %d, want 1..%d", depth, maxStructDepth)
	}
	// A pointer cycle goes through JSON, which refuses it: dropped.
	type node struct{ Next *node }
	n := &node{}
	n.Next = n
	if s := ToProtoStruct(map[string]any{"n": n}); s != nil {
		t.Errorf("pointer cycle: got %v, want nil", s)
	}
}

// TestConvertStructDeepButFinite: legitimate nesting well below the limit
// is kept whole.
func TestConvertStructDeepButFinite(t *testing.T) {
	in := map[string]any{"leaf": "x"}
	for i := 0; i < maxStructDepth/2-1; i++ {
		in = map[string]any{"n": in}
	}
	if got := FromProtoStruct(ToProtoStruct(in)); !reflect.DeepEqual(got, in) {
		t.Errorf("deep value changed: %s", strings.Join(convertDiff(got, in), "; "))
	}
}

// TestConvertStructDoesNotAlias: the Struct is a copy; changing the input
// afterwards does not change it.
func TestConvertStructDoesNotAlias(t *testing.T) {
	in := map[string]any{"list": []any{1.0}, "m": map[string]any{"k": "v"}}
	s := ToProtoStruct(in)
	in["list"].([]any)[0] = 2.0
	in["m"].(map[string]any)["k"] = "changed"
	want := map[string]any{"list": []any{1.0}, "m": map[string]any{"k": "v"}}
	if got := FromProtoStruct(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
