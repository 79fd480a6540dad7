package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseModelfile(t *testing.T) {
	mf, err := parseModelfile(`# a comment
FROM ./tiny.gguf
template """User: {{ .Prompt }}
Assistant:"""
SYSTEM "You are \"terse\"."
PARAMETER temperature 0.2
PARAMETER	num_ctx	2048
PARAMETER stop "User:"
PARAMETER stop </s>
PARAMETER penalize_newline true
PARAMETER mirostat_tau abc
`)
	if err != nil {
		t.Fatal(err)
	}
	want := &modelfile{From: "./tiny.gguf", Template: "User: {{ .Prompt }}\nAssistant:", System: `You are "terse".`,
		Parameters: map[string]any{"temperature": 0.2, "num_ctx": int64(2048), "stop": []string{"User:", "</s>"},
			"penalize_newline": true, "mirostat_tau": "abc"}}
	if !reflect.DeepEqual(mf, want) {
		t.Fatalf("got  %#v\nwant %#v", mf, want)
	}
	for _, bad := range []struct{ text, msg string }{
		{"SYSTEM hi", "no FROM"},
		{"FROM a\nFROM b", "second FROM"},
		{"FROM a\nADAPTER ./x.gguf", "ADAPTER is not supported"},
		{"FROM a\nMESSAGE user hi", "MESSAGE is not supported"},
		{"FROM a\nPARAMETER temperature", "PARAMETER needs"},
		{"FROM a\nTEMPLATE \"\"\"open", "unterminated"},
		{"FROM", "FROM needs"},
	} {
		if _, err := parseModelfile(bad.text); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: %v, want %q", bad.text, err, bad.msg)
		}
	}
}

func TestReadModelfileResolvesFrom(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.gguf"), []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(text string) string {
		p := filepath.Join(dir, "Modelfile")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A file relative to the Modelfile is uploaded.
	mf, err := readModelfile(write("FROM m.gguf\n"))
	if err != nil || mf.FromFile != filepath.Join(dir, "m.gguf") || mf.From != "" {
		t.Fatalf("file: %+v %v", mf, err)
	}
	// A name is a base model.
	mf, err = readModelfile(write("FROM llama3.2:1b\n"))
	if err != nil || mf.From != "llama3.2:1b" || mf.FromFile != "" {
		t.Fatalf("name: %+v %v", mf, err)
	}
	// A path that does not exist is an error, not a model name.
	if _, err := readModelfile(write("FROM ./missing.gguf\n")); err == nil {
		t.Fatal("a missing FROM file was taken as a model name")
	}
}
