package config

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileError is a problem in a config file, at a key and line.
type FileError struct {
	File string
	// Line is 1-based; 0 when the problem is not in the file (an
	// environment override, a missing key).
	Line int
	// Key is the dotted path of the key ("plugins.openai.providers[0].base_url").
	Key string
	Msg string
}

func (e *FileError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Key + ": " + e.Msg
}

// yamlLine matches the position yaml.v3 puts in its errors.
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// Validate checks a config file exactly as the host would load it (the
// embedded default underneath, environment overrides on top) and returns
// a *FileError naming the key and line of the first problem, or nil.
func Validate(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &FileError{File: path, Msg: err.Error()}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return yamlError(path, err)
	}
	if _, err := Load(path); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return yamlError(path, te)
		}
		msg := strings.TrimPrefix(err.Error(), path+": ")
		key, rest, ok := strings.Cut(msg, ": ")
		if !ok || (strings.Contains(key, " ") && !strings.Contains(key, `"`)) {
			return &FileError{File: path, Msg: msg}
		}
		return &FileError{File: path, Key: key, Line: lineOf(&root, key), Msg: rest}
	}
	return nil
}

func yamlError(path string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		fe := &FileError{File: path, Line: n, Msg: m[2]}
		// "field foo not found in type config.Config" → key foo
		if f, ok := strings.CutPrefix(m[2], "field "); ok {
			if name, _, ok := strings.Cut(f, " not found"); ok {
				fe.Key, fe.Msg = name, "unknown key (docs/config.md lists every key)"
			}
		}
		return fe
	}
	return &FileError{File: path, Msg: msg}
}

// keyPart matches one step of a dotted key: a name, a quoted name or an
// index.
var keyPart = regexp.MustCompile(`"[^"]*"|\[\d+\]|[^.\[\]"]+`)

// lineOf finds the line of a dotted key in a YAML document; the line of
// the deepest part found when the whole key is absent, 0 when none is.
func lineOf(doc *yaml.Node, key string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range keyPart.FindAllString(key, -1) {
		var next *yaml.Node
		switch {
		case strings.HasPrefix(part, "["):
			i, _ := strconv.Atoi(strings.Trim(part, "[]"))
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				next = n.Content[i]
			}
		default:
			name := strings.Trim(part, `"`)
			if n.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(n.Content); j += 2 {
					if n.Content[j].Value == name {
						line = n.Content[j].Line
						next = n.Content[j+1]
						break
					}
				}
			}
		}
		if next == nil {
			return line
		}
		if next.Line > 0 && strings.HasPrefix(part, "[") {
			line = next.Line
		}
		n = next
	}
	return line
}
