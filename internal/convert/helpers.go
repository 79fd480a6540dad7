package convert

// Conversion layer between the public SDK types and the generated gRPC
// messages (package pb), in the style of terraform-plugin-go's
// fromproto/toproto packages. Every ToProtoX/FromProtoX function is nil-safe:
// nil in gives nil out.
//
// General rules, documented once here:
//
//   - Empty slices and maps convert to nil. Protobuf cannot tell an empty
//     repeated or map field from an absent one, so converting nil and empty
//     the same way keeps an in-memory conversion identical to a trip over
//     the wire.
//   - Leaf slices ([]byte payloads, []string, []float32 vectors) are shared,
//     not copied: the converted value aliases the input. Maps are copied.
//   - Go int fields travel as int32 where the proto says int32 and are
//     clamped to [math.MinInt32, math.MaxInt32] instead of silently wrapping
//     (token counts, top_k, pid...). int64 fields travel unchanged.
//   - map[string]any travels as google.protobuf.Struct; see ToProtoStruct
//     for what that loses.

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"math"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// clampToInt32 converts v to int32, saturating at the int32 bounds rather
// than wrapping around.
func clampToInt32(v int) int32 {
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}

// int32PtrClamped converts an optional int to an optional int32, clamping.
func int32PtrClamped(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := clampToInt32(*p)
	return &v
}

// intPtrFromInt32 converts an optional int32 to an optional int.
func intPtrFromInt32(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

// float64PtrCopy copies an optional float64 so that the converted value does
// not share the pointer with its source.
func boolPtrCopy(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func float64PtrCopy(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// int64PtrCopy copies an optional int64.
func int64PtrCopy(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// nilIfEmpty returns nil for an empty slice and s otherwise (shared).
func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// cloneMapOrNil copies m, returning nil when it is empty.
func cloneMapOrNil[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// ---- map[string]any <-> google.protobuf.Struct ----------------------------

// maxStructDepth bounds the nesting ToProtoStruct follows. It stops runaway
// recursion on self-referencing maps and slices (m["self"] = m), which would
// otherwise overflow the stack; values nested deeper are treated as
// unrepresentable.
const maxStructDepth = 100

// ToProtoStruct converts free-form values (Extra, Settings, tool
// parameters, JSON schemas) to a google.protobuf.Struct. An empty or nil map
// gives nil. It never panics and never fails; instead:
//
//   - Numbers of every Go type become float64 (the only number a Struct
//     has): int64/uint64 beyond ±2^53 lose precision, float32 is widened
//     (float32(0.1) arrives as 0.10000000149011612). json.Number is parsed
//     as float64 (kept as a string if it does not parse). NaN and ±Inf
//     travel as numbers but FromProtoStruct gives them back as the strings
//     "NaN", "Infinity" and "-Infinity" (structpb's AsMap does so, as JSON
//     has no such numbers).
//   - []byte becomes its standard base64 string, as encoding/json does.
//   - Other types structpb cannot hold directly ([]string, []int,
//     map[string]string, structs, pointers, named types, time.Time...) go
//     through a JSON round trip: they arrive as encoding/json would render
//     them (structs as objects by their json tags, time.Time as an RFC 3339
//     string, nil pointers as null).
//   - Values JSON cannot encode either (channels, funcs, complex numbers,
//     NaN or ±Inf inside a struct, cycles, nesting beyond maxStructDepth)
//     are dropped: an object key is left out, a list element becomes null
//     so that the other elements keep their positions.
//   - *structpb.Struct, *structpb.Value and *structpb.ListValue values are
//     accepted as they are (cloned).
//
// FromProtoStruct gives back map[string]any holding only nil, bool,
// float64, string, []any and map[string]any, so a round trip is exact only
// for values already of those types.
func ToProtoStruct(m map[string]any) *structpb.Struct {
	if len(m) == 0 {
		return nil
	}
	s := structFromMap(m, 0)
	if s == nil || len(s.Fields) == 0 {
		return nil
	}
	return s
}

// FromProtoStruct converts a Struct back to a plain map; nil or empty gives
// nil.
func FromProtoStruct(s *structpb.Struct) map[string]any {
	if s == nil || len(s.Fields) == 0 {
		return nil
	}
	return s.AsMap()
}

func structFromMap(m map[string]any, depth int) *structpb.Struct {
	if depth > maxStructDepth {
		return nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(m))}
	for k, v := range m {
		if pv, ok := ToProtoValue(v, depth+1); ok {
			s.Fields[k] = pv
		}
	}
	return s
}

// ToProtoValue converts one value; ok is false when it cannot be
// represented at all.
func ToProtoValue(v any, depth int) (_ *structpb.Value, ok bool) {
	switch v := v.(type) {
	case nil:
		return structpb.NewNullValue(), true
	case bool:
		return structpb.NewBoolValue(v), true
	case string:
		return structpb.NewStringValue(v), true
	case float64:
		return structpb.NewNumberValue(v), true
	case float32:
		return structpb.NewNumberValue(float64(v)), true
	case int:
		return structpb.NewNumberValue(float64(v)), true
	case int8:
		return structpb.NewNumberValue(float64(v)), true
	case int16:
		return structpb.NewNumberValue(float64(v)), true
	case int32:
		return structpb.NewNumberValue(float64(v)), true
	case int64:
		return structpb.NewNumberValue(float64(v)), true
	case uint:
		return structpb.NewNumberValue(float64(v)), true
	case uint8:
		return structpb.NewNumberValue(float64(v)), true
	case uint16:
		return structpb.NewNumberValue(float64(v)), true
	case uint32:
		return structpb.NewNumberValue(float64(v)), true
	case uint64:
		return structpb.NewNumberValue(float64(v)), true
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return structpb.NewNumberValue(f), true
		}
		return structpb.NewStringValue(string(v)), true
	case []byte:
		return structpb.NewStringValue(base64.StdEncoding.EncodeToString(v)), true
	case map[string]any:
		if v == nil {
			return structpb.NewNullValue(), true
		}
		s := structFromMap(v, depth)
		if s == nil {
			return nil, false
		}
		return structpb.NewStructValue(s), true
	case []any:
		if v == nil {
			return structpb.NewNullValue(), true
		}
		if depth > maxStructDepth {
			return nil, false
		}
		l := &structpb.ListValue{Values: make([]*structpb.Value, len(v))}
		for i, e := range v {
			pv, ok := ToProtoValue(e, depth+1)
			if !ok {
				pv = structpb.NewNullValue()
			}
			l.Values[i] = pv
		}
		return structpb.NewListValue(l), true
	case *structpb.Value:
		if v == nil {
			return structpb.NewNullValue(), true
		}
		return proto.Clone(v).(*structpb.Value), true
	case *structpb.Struct:
		if v == nil {
			return structpb.NewNullValue(), true
		}
		return structpb.NewStructValue(proto.Clone(v).(*structpb.Struct)), true
	case *structpb.ListValue:
		if v == nil {
			return structpb.NewNullValue(), true
		}
		return structpb.NewListValue(proto.Clone(v).(*structpb.ListValue)), true
	}
	// Anything else: render it as encoding/json would, then convert the
	// plain result (which holds no cycles).
	plain, ok := jsonPlain(v)
	if !ok {
		return nil, false
	}
	return ToProtoValue(plain, depth)
}

// jsonPlain turns v into nil/bool/float64/string/[]any/map[string]any via a
// JSON round trip. It reports false when v cannot be encoded, including
// when a MarshalJSON method panics.
func jsonPlain(v any) (plain any, ok bool) {
	defer func() {
		if recover() != nil {
			plain, ok = nil, false
		}
	}()
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, false
	}
	return plain, true
}
