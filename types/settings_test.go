package types

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

type testSettings struct {
	Port    int               `json:"port"`
	Ratio   float64           `json:"ratio"`
	Name    string            `json:"name"`
	On      bool              `json:"on"`
	Tags    []string          `json:"tags"`
	Env     map[string]string `json:"env"`
	Timeout Duration          `json:"timeout"`
	Nested  struct {
		Depth int `json:"depth"`
	} `json:"nested"`
	Mode    testMode `json:"mode"`
	Skipped string   `json:"-"`
	hidden  int
}

type testMode string

func (m *testMode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil || (s != "a" && s != "b") {
		return FieldError("", "must be a or b")
	}
	*m = testMode(s)
	return nil
}

func TestDecodeSettings(t *testing.T) {
	cfg := &Config{Settings: map[string]any{
		"port": 8080.0, "ratio": 0.5, "name": "x", "on": true, "tags": []any{"a", "b"},
		"env": map[string]any{"K": "v"}, "timeout": "1m30s", "nested": map[string]any{"depth": 2}, "mode": "b",
	}}
	s := testSettings{Port: 1, Timeout: Duration(time.Second)}
	if err := cfg.DecodeSettings(&s); err != nil {
		t.Fatal(err)
	}
	if s.Port != 8080 || s.Ratio != 0.5 || s.Name != "x" || !s.On || len(s.Tags) != 2 || s.Env["K"] != "v" ||
		time.Duration(s.Timeout) != 90*time.Second || s.Nested.Depth != 2 || s.Mode != "b" {
		t.Errorf("decoded %+v", s)
	}

	// Defaults stay when a setting is absent or null; nil configs decode.
	s = testSettings{Port: 7, Timeout: Duration(time.Second)}
	if err := (&Config{Settings: map[string]any{"port": nil}}).DecodeSettings(&s); err != nil || s.Port != 7 {
		t.Errorf("null: %v %+v", err, s)
	}
	var nilCfg *Config
	if err := nilCfg.DecodeSettings(&s); err != nil || s.Port != 7 || time.Duration(s.Timeout) != time.Second {
		t.Errorf("nil config: %v %+v", err, s)
	}
	if err := nilCfg.DecodeSettings(s); ErrorCode(err) != CodeInternal {
		t.Errorf("non-pointer: %v", err)
	}

	for _, tt := range []struct {
		in         map[string]any
		field, msg string
	}{
		{map[string]any{"prot": 1.0}, "settings.prot", "unknown setting (known: env, mode, name, nested, on, port, ratio, tags, timeout)"},
		{map[string]any{"port": "80"}, "settings.port", "must be a number, not string"},
		{map[string]any{"port": 1.5}, "settings.port", "must be a whole number, not 1.5"},
		{map[string]any{"port": 1e30}, "settings.port", "1e+30 is out of range for int"},
		{map[string]any{"ratio": true}, "settings.ratio", "must be a number, not bool"},
		{map[string]any{"name": 3.0}, "settings.name", "must be a string, not number"},
		{map[string]any{"on": "yes"}, "settings.on", "must be true or false, not string"},
		{map[string]any{"tags": "a"}, "settings.tags", "must be a list, not string"},
		{map[string]any{"env": []any{}}, "settings.env", "must be an object, not array"},
		{map[string]any{"env": map[string]any{"K": 1.0}}, "settings.env", "must be a string, not number"},
		{map[string]any{"nested": map[string]any{"depth": "x"}}, "settings.nested.depth", "must be a number, not string"},
		{map[string]any{"nested": map[string]any{"dpth": 1.0}}, "settings.nested", `unknown key "dpth"`},
		{map[string]any{"timeout": "soon"}, "settings.timeout", `must be a duration such as "30s" or a number of seconds, not "soon"`},
		{map[string]any{"timeout": true}, "settings.timeout", `must be a duration such as "30s" or a number of seconds, not bool`},
		{map[string]any{"mode": "c", "port": 1.0}, "settings.mode", "must be a or b"},
		{map[string]any{"Skipped": "x"}, "settings.Skipped", "unknown setting (known: env, mode, name, nested, on, port, ratio, tags, timeout)"},
	} {
		var s testSettings
		err := (&Config{Settings: tt.in}).DecodeSettings(&s)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidArgument || e.Field != tt.field || e.Message != tt.msg {
			t.Errorf("%v: got %#v, want %s: %s", tt.in, err, tt.field, tt.msg)
		}
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`"30s"`: 30 * time.Second, `"1m30s"`: 90 * time.Second, `30`: 30 * time.Second, `0.5`: 500 * time.Millisecond,
		`"5"`: 5 * time.Second, `" 2s "`: 2 * time.Second, `-1`: -time.Second,
	} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("%s -> %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{`"x"`, `[]`, `{}`, `1e300`} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s accepted as %v", in, d)
		}
	}
	d := Duration(time.Minute)
	if err := json.Unmarshal([]byte(`null`), &d); err != nil || d != Duration(time.Minute) {
		t.Errorf("null changed %v: %v", d, err)
	}
	if b, _ := json.Marshal(Duration(90 * time.Second)); string(b) != `"1m30s"` || d.String() != "1m0s" {
		t.Errorf("marshal %s, String %s", b, d)
	}
}

func TestDecodeSettingsIsStrictAndAtomic(t *testing.T) {
	type set struct {
		N       int      `json:"n"`
		Timeout Duration `json:"timeout"`
	}
	// A key spelled with other case is unknown, not matched.
	s := set{N: 1}
	err := (&Config{Settings: map[string]any{"N": 7.0}}).DecodeSettings(&s)
	if e := AsError(err); e == nil || e.Field != "settings.N" || s.N != 1 {
		t.Fatalf("case-mismatched key: %v, target %+v", err, s)
	}
	// A refused configuration leaves the target untouched.
	err = (&Config{Settings: map[string]any{"n": 7.0, "timeout": "soon"}}).DecodeSettings(&s)
	if e := AsError(err); e == nil || e.Field != "settings.timeout" || s.N != 1 {
		t.Fatalf("bad timeout: %v, target %+v", err, s)
	}
	// 2^63 ns does not wrap to a negative duration.
	err = (&Config{Settings: map[string]any{"timeout": 9223372036.854775808}}).DecodeSettings(&s)
	if err == nil || s.Timeout < 0 {
		t.Fatalf("overflowing duration: %v, %v", err, s.Timeout)
	}
}
