package types

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DecodeSettings decodes Settings strictly into v, a pointer to a struct
// whose json tags name the settings:
//
//	var s struct {
//		MaxRetries int            `json:"max_retries"`
//		Timeout    types.Duration `json:"timeout"` // "30s" or 30
//	}
//	s.MaxRetries = 3 // defaults: set them before decoding
//	if err := cfg.DecodeSettings(&s); err != nil {
//		return err
//	}
//
// Settings absent or null leave their field as it was. A key that is not a
// field of v is an error, so a typo is never a silent default. Every error
// is an *Error with CodeInvalidArgument whose Field names the setting
// ("settings.max_retries"), with messages such as "unknown setting (known:
// max_retries, timeout)" or "must be a number, not string". A nil *Config
// decodes as empty settings.
func (c *Config) DecodeSettings(v any) error {
	var in map[string]any
	if c != nil {
		in = c.Settings
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || reflect.ValueOf(v).IsNil() {
		return Errorf(CodeInternal, "DecodeSettings needs a non-nil pointer, not %T", v)
	}
	if len(in) == 0 {
		return nil
	}
	// encoding/json matches keys ignoring case; settings are strict, so
	// a key must be spelled as the field's json name.
	if names := jsonNames(t.Elem()); len(names) > 0 {
		keys := make([]string, 0, len(in))
		for k := range in {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !slices.Contains(names, k) {
				return settingError(k, errors.New(`json: unknown field "`+k+`"`), t.Elem())
			}
		}
	}
	// Decode into a copy of the defaults and store it only on success: a
	// refused configuration leaves the target as it was.
	tmp := reflect.New(t.Elem())
	tmp.Elem().Set(reflect.ValueOf(v).Elem())
	err := decodeStrict(in, tmp.Interface())
	if err == nil {
		reflect.ValueOf(v).Elem().Set(tmp.Elem())
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &Error{Code: CodeInvalidArgument, Field: "settings." + te.Field, Message: typeMessage(te), Err: err}
	}
	// The error does not say where: find the key by decoding each alone.
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kerr := decodeStrict(map[string]any{k: in[k]}, reflect.New(t.Elem()).Interface())
		if kerr == nil {
			continue
		}
		return settingError(k, kerr, t.Elem())
	}
	return settingError("", err, t.Elem())
}

// decodeStrict is a JSON round trip of in into v that refuses unknown keys.
func decodeStrict(in map[string]any, v any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

const unknownFieldPrefix = `json: unknown field "`

// settingError names key in err, an error of decoding it alone into t.
func settingError(key string, err error, t reflect.Type) *Error {
	field := "settings"
	if key != "" {
		field += "." + key
	}
	var te *json.UnmarshalTypeError
	var e *Error
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			field = "settings." + te.Field
		}
		return &Error{Code: CodeInvalidArgument, Field: field, Message: typeMessage(te), Err: err}
	case strings.HasPrefix(err.Error(), unknownFieldPrefix):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), unknownFieldPrefix)
		}
		if name == key || key == "" {
			msg := "unknown setting"
			if known := jsonNames(t); len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
			if key == "" {
				field += "." + name
			}
			return &Error{Code: CodeInvalidArgument, Field: field, Message: msg, Err: err}
		}
		return &Error{Code: CodeInvalidArgument, Field: field, Message: fmt.Sprintf("unknown key %q", name), Err: err}
	case errors.As(err, &e):
		// A field type's UnmarshalJSON said what is wrong.
		out := *e
		out.Code = CodeInvalidArgument
		if out.Field != "" {
			field += "." + out.Field
		}
		out.Field = field
		return &out
	default:
		return &Error{Code: CodeInvalidArgument, Field: field, Message: strings.TrimPrefix(err.Error(), "json: "), Err: err}
	}
}

// typeMessage says what a setting must be, for a value of the wrong type.
func typeMessage(te *json.UnmarshalTypeError) string {
	got := te.Value
	number, isNumber := strings.CutPrefix(got, "number ")
	if isNumber {
		got = number
	}
	want := "a " + te.Type.String()
	switch te.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if isNumber {
			if f, err := strconv.ParseFloat(number, 64); err == nil && f == math.Trunc(f) {
				return fmt.Sprintf("%s is out of range for %s", number, te.Type)
			}
			want = "a whole number"
		} else {
			want = "a number"
		}
	case reflect.Float32, reflect.Float64:
		want = "a number"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Slice, reflect.Array:
		want = "a list"
	case reflect.Map, reflect.Struct:
		want = "an object"
	}
	return fmt.Sprintf("must be %s, not %s", want, got)
}

// jsonNames lists, sorted, the JSON names of the fields of struct type t
// (fields of untagged embedded structs included).
func jsonNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			names = append(names, name)
		}
	}
	walk(t)
	slices.Sort(names)
	return slices.Compact(names)
}

// Duration is a time.Duration for settings: it decodes from a duration
// string such as "30s" or "1m30s", or from a number of seconds (30, 0.5,
// "30"), and encodes as a duration string.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON encodes d as a duration string ("1m30s").
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts a duration string or a number of seconds; null
// leaves d as it is.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	const want = `must be a duration such as "30s" or a number of seconds`
	var seconds float64
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return &Error{Code: CodeInvalidArgument, Message: want, Err: err}
		}
		s = strings.TrimSpace(s)
		if v, err := time.ParseDuration(s); err == nil {
			*d = Duration(v)
			return nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("%s, not %q", want, s)}
		}
		seconds = f
	} else if err := json.Unmarshal(b, &seconds); err != nil {
		return &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("%s, not %s", want, jsonKind(b))}
	}
	v := seconds * float64(time.Second)
	// float64(1<<63-1) rounds up to 2^63, which would overflow: compare
	// with >=.
	if v != v || v >= float64(1<<63) || v < -float64(1<<63) {
		return &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("%s, not %v", want, seconds)}
	}
	*d = Duration(v)
	return nil
}

// jsonKind names the kind of the JSON value b for messages.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case 't', 'f':
		return "bool"
	case '[':
		return "array"
	case '{':
		return "object"
	case '"':
		return "string"
	}
	return "number"
}
