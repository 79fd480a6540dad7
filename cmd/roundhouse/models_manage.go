package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/roundhouse-ai/roundhouse/client"
)

// copyModel is `roundhouse models cp SRC DST`.
func (c *cli) copyModel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("models cp", flag.ContinueOnError)
	plugin := fs.String("plugin", "", "local plugin that has SRC")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("usage: roundhouse models cp SRC DST [--plugin P]")
	}
	if err := c.c.CopyModel(ctx, &client.CopyRequest{Source: pos[0], Destination: pos[1], Plugin: *plugin}); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "copied %s to %s\n", pos[0], pos[1])
	return nil
}

// push is `roundhouse models push NAME [--insecure]`.
func (c *cli) push(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("models push", flag.ContinueOnError)
	insecure := fs.Bool("insecure", false, "allow plain-HTTP registries")
	plugin := fs.String("plugin", "", "local plugin that has the model")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: roundhouse models push NAME [--insecure] [--plugin P]")
	}
	bar := newProgressBar(c.out, isTerminal(c.out))
	bar.verb = "pushing"
	err = c.c.PushModel(ctx, &client.PushRequest{Model: pos[0], Insecure: *insecure, Plugin: *plugin}, func(ev client.ProgressEvent) error {
		bar.update(ev)
		return nil
	})
	bar.finish(err)
	return err
}

// createModel is `roundhouse models create NAME --from FILE | --modelfile
// FILE`: a model file on this machine is uploaded as a blob (with a
// progress bar; one the host has already is not sent again), then the
// model is created from it.
func (c *cli) createModel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("models create", flag.ContinueOnError)
	from := fs.String("from", "", "model file (GGUF) to import")
	modelfile := fs.String("modelfile", "", "Modelfile: FROM (a file or a model name), TEMPLATE, SYSTEM, PARAMETER")
	quantize := fs.String("quantize", "", "quantize to this type (q4_K_M, q8_0...)")
	plugin := fs.String("plugin", "", "local plugin to create with")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*from == "") == (*modelfile == "") {
		return fmt.Errorf("usage: roundhouse models create NAME --from FILE.gguf | --modelfile FILE [--quantize Q] [--plugin P]")
	}
	req := &client.CreateRequest{Model: pos[0], Quantize: *quantize, Plugin: *plugin}
	file := *from
	if *modelfile != "" {
		mf, err := readModelfile(*modelfile)
		if err != nil {
			return err
		}
		req.Template, req.System, req.Parameters = mf.Template, mf.System, mf.Parameters
		if mf.FromFile != "" {
			file = mf.FromFile
		} else {
			req.From = mf.From
		}
	}
	if file != "" {
		st, err := os.Stat(file)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return fmt.Errorf("%s is a directory: only a single model file (GGUF) can be imported", file)
		}
		bar := newProgressBar(c.out, isTerminal(c.out))
		up, err := c.c.UploadBlob(ctx, file, func(ev client.ProgressEvent) error {
			bar.update(ev)
			return nil
		})
		if bar.drawn && bar.tty {
			fmt.Fprintln(c.out)
		}
		if err != nil {
			return fmt.Errorf("uploading %s: %w", file, err)
		}
		req.Files = map[string]string{filepath.Base(file): up.Digest}
	}
	bar := newProgressBar(c.out, isTerminal(c.out))
	bar.verb = "creating"
	err = c.c.CreateModel(ctx, req, func(ev client.ProgressEvent) error {
		bar.update(ev)
		return nil
	})
	bar.finish(err)
	return err
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// modelfile is what `models create --modelfile` reads from a Modelfile.
type modelfile struct {
	// From is a base model name; FromFile a model file on this machine
	// (resolved against the Modelfile's directory). One is set.
	From       string
	FromFile   string
	Template   string
	System     string
	Parameters map[string]any
}

func readModelfile(path string) (*modelfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mf, err := parseModelfile(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// FROM names a file when it is a path that exists (relative to the
	// Modelfile), as Ollama reads it; otherwise it is a model name.
	if mf.From != "" {
		cand := mf.From
		if strings.HasPrefix(cand, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				cand = filepath.Join(home, cand[2:])
			}
		}
		if !filepath.IsAbs(cand) {
			cand = filepath.Join(filepath.Dir(path), cand)
		}
		if _, err := os.Stat(cand); err == nil {
			mf.FromFile, mf.From = cand, ""
		} else if looksLikePath(mf.From) {
			return nil, fmt.Errorf("%s: FROM %s: %w", path, mf.From, err)
		}
	}
	return mf, nil
}

// looksLikePath says whether a FROM value can only be meant as a file.
func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "~/") || strings.HasSuffix(strings.ToLower(s), ".gguf")
}

// parseModelfile reads the Modelfile instructions Roundhouse carries:
// FROM, TEMPLATE, SYSTEM and PARAMETER (case-insensitive; values may be
// "quoted" or """triple-quoted""" over several lines; # starts a comment
// line). A repeated PARAMETER stop adds a stop sequence; other parameters
// are numbers or booleans when they read as one. Any other instruction
// (ADAPTER, LICENSE, MESSAGE...) is refused rather than dropped.
func parseModelfile(text string) (*modelfile, error) {
	mf := &modelfile{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cmd, rest := splitWord(l)
		start := line
		// A triple-quoted value runs until the closing """.
		if strings.HasPrefix(rest, `"""`) {
			body := rest[3:]
			for !strings.Contains(body, `"""`) {
				if !sc.Scan() {
					return nil, fmt.Errorf("line %d: unterminated \"\"\"", start)
				}
				line++
				body += "\n" + sc.Text()
			}
			end := strings.Index(body, `"""`)
			if strings.TrimSpace(body[end+3:]) != "" {
				return nil, fmt.Errorf("line %d: text after the closing \"\"\"", line)
			}
			rest = body[:end]
		} else if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
			if u, err := strconv.Unquote(rest); err == nil {
				rest = u
			} else {
				rest = rest[1 : len(rest)-1]
			}
		}
		switch strings.ToUpper(cmd) {
		case "FROM":
			if rest == "" {
				return nil, fmt.Errorf("line %d: FROM needs a model name or file", start)
			}
			if mf.From != "" {
				return nil, fmt.Errorf("line %d: a second FROM", start)
			}
			mf.From = rest
		case "TEMPLATE":
			mf.Template = rest
		case "SYSTEM":
			mf.System = rest
		case "PARAMETER":
			key, val := splitWord(rest)
			key = strings.ToLower(key)
			if key == "" || val == "" {
				return nil, fmt.Errorf("line %d: PARAMETER needs a name and a value", start)
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				if u, err := strconv.Unquote(val); err == nil {
					val = u
				}
			}
			if mf.Parameters == nil {
				mf.Parameters = map[string]any{}
			}
			if key == "stop" {
				stops, _ := mf.Parameters["stop"].([]string)
				mf.Parameters["stop"] = append(stops, val)
				continue
			}
			mf.Parameters[key] = parameterValue(val)
		default:
			return nil, fmt.Errorf("line %d: %s is not supported by `roundhouse models create` (FROM, TEMPLATE, SYSTEM and PARAMETER are)", start, cmd)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if mf.From == "" {
		return nil, fmt.Errorf("no FROM line: name a model file or a base model")
	}
	return mf, nil
}

// splitWord splits s at its first run of white space.
func splitWord(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// parameterValue reads a PARAMETER value as an integer, a number or a
// boolean when it is one, else keeps the text.
func parameterValue(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	return v
}
