package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/roundhouse-ai/roundhouse/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// Protobuf string fields must hold valid UTF-8; Go strings need not. Text
// that is not UTF-8 survives JSON decoding on the host (a %ff in a URL path,
// a raw map value in Extra, tool arguments re-encoded from JSON), and then
// the gRPC client cannot marshal the request: grpc-go answers with an
// Internal status ("grpc: error while marshaling: ... invalid UTF-8") that
// would reach the HTTP client as a 500. The request is the client's fault,
// so Conn turns that failure into a CodeInvalidArgument naming the field.
//
// Only a failed call pays for this: the request is walked after gRPC
// refused it, never on the happy path.

// InvalidUTF8Message is the text of the error for such a field.
const InvalidUTF8Message = "contains invalid UTF-8; send text as UTF-8"

// RequestError converts the error of a call that sent req: a request that
// could not be marshalled because of invalid UTF-8 gives a field error,
// anything else goes through FromStatusError.
func RequestError(err error, req any) error {
	if err == nil {
		return nil
	}
	// The marshalling failure is a client-side Internal status; a plugin's
	// own errors carry an ErrorDetail and are never mistaken for it, since
	// a request with invalid UTF-8 cannot have reached the plugin.
	if st, ok := status.FromError(err); ok && st.Code() == codes.Internal {
		if m, ok := req.(proto.Message); ok {
			if field, found := invalidUTF8Field(m); found {
				return &types.Error{Code: types.CodeInvalidArgument, Field: field, Message: InvalidUTF8Message, Err: err}
			}
		}
	}
	return FromStatusError(err)
}

// invalidUTF8Field finds the first string in m that is not valid UTF-8 and
// returns its path in the request's JSON names ("messages[2].tool_calls[0].
// arguments", "extra.foo"); found is false when every string is valid.
// Map keys count too: a bad key is reported as the path of its map, with
// the key made printable.
func invalidUTF8Field(m proto.Message) (field string, found bool) {
	if m == nil {
		return "", false
	}
	return invalidUTF8InMessage(m.ProtoReflect(), "")
}

// wireNames maps proto field names to the JSON names of the sdk types
// where the two differ, so the field in the error is one the client knows.
var wireNames = map[protoreflect.Name]string{
	"arguments_json": "arguments",
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// printable makes a map key safe to show in an error (which must itself be
// UTF-8 to travel).
func printable(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func invalidUTF8InMessage(m protoreflect.Message, path string) (field string, found bool) {
	if !m.IsValid() {
		return "", false
	}
	switch m.Descriptor().FullName() {
	case "google.protobuf.Struct":
		if s, ok := m.Interface().(*structpb.Struct); ok {
			return invalidUTF8InStruct(s, path)
		}
	case "google.protobuf.Value":
		if v, ok := m.Interface().(*structpb.Value); ok {
			return invalidUTF8InValue(v, path)
		}
	case "google.protobuf.ListValue":
		if l, ok := m.Interface().(*structpb.ListValue); ok {
			return invalidUTF8InList(l, path)
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name, ok := wireNames[fd.Name()]
		if !ok {
			name = string(fd.Name())
		}
		field, found = invalidUTF8InField(fd, v, joinPath(path, name))
		return !found
	})
	return field, found
}

func invalidUTF8InField(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) (string, bool) {
	switch {
	case fd.IsList():
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			if f, ok := invalidUTF8InSingular(fd, l.Get(i), fmt.Sprintf("%s[%d]", path, i)); ok {
				return f, true
			}
		}
	case fd.IsMap():
		var field string
		var found bool
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			key := k.String()
			if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(key) {
				field, found = path, true
				return false
			}
			field, found = invalidUTF8InSingular(fd.MapValue(), mv, joinPath(path, printable(key)))
			return !found
		})
		return field, found
	default:
		return invalidUTF8InSingular(fd, v, path)
	}
	return "", false
}

func invalidUTF8InSingular(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) (string, bool) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if !utf8.ValidString(v.String()) {
			return path, true
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return invalidUTF8InMessage(v.Message(), path)
	}
	return "", false
}

// The well-known JSON types are reported by their JSON shape ("extra.foo",
// "extra.list[1]"), not by their proto fields ("extra.fields.foo.
// string_value"), since that is what the client wrote.

func invalidUTF8InStruct(s *structpb.Struct, path string) (string, bool) {
	// Sorted, so that of several bad fields the same one is named each time.
	for _, k := range slices.Sorted(maps.Keys(s.GetFields())) {
		if !utf8.ValidString(k) {
			return path, true
		}
		if f, ok := invalidUTF8InValue(s.GetFields()[k], joinPath(path, k)); ok {
			return f, true
		}
	}
	return "", false
}

func invalidUTF8InValue(v *structpb.Value, path string) (string, bool) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		if !utf8.ValidString(k.StringValue) {
			return path, true
		}
	case *structpb.Value_StructValue:
		return invalidUTF8InStruct(k.StructValue, path)
	case *structpb.Value_ListValue:
		return invalidUTF8InList(k.ListValue, path)
	}
	return "", false
}

func invalidUTF8InList(l *structpb.ListValue, path string) (string, bool) {
	for i, v := range l.GetValues() {
		if f, ok := invalidUTF8InValue(v, fmt.Sprintf("%s[%d]", path, i)); ok {
			return f, true
		}
	}
	return "", false
}
