package main

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The model repository holds what `ovms --pull` downloaded, one directory
// per model at <repository>/<source_model> ("OpenVINO/Qwen3-0.6B-int4-ov"),
// each with the graph.pbtxt OVMS wrote for its task
// (src/pull_module/model_downloader.cpp getGraphDirectory).

// Calculators by task, as OVMS writes them into graph.pbtxt
// (src/graph_export/).
var calculatorTasks = map[string]string{
	"HttpLLMCalculator":      "text_generation",
	"EmbeddingsCalculatorOV": "embeddings",
	"RerankCalculatorOV":     "rerank",
	"ImageGenCalculator":     "image_generation",
	"T2sCalculator":          "text2speech",
	"S2tCalculator":          "speech2text",
}

// Roundhouse services by OVMS task.
var taskServices = map[string][]string{
	"text_generation":  {sdk.ServiceChat, sdk.ServiceGenerate},
	"embeddings":       {sdk.ServiceEmbed},
	"rerank":           {sdk.ServiceRerank},
	"image_generation": {sdk.ServiceTextToImage, sdk.ServiceImageToImage},
	"text2speech":      {sdk.ServiceTextToSpeech},
	"speech2text":      {sdk.ServiceSpeechToText},
}

var calcRe = regexp.MustCompile(`calculator:\s*"([A-Za-z0-9_]+)"`)
var deviceRe = regexp.MustCompile(`device:\s*"([^"]+)"`)

// graphInfo reads a model directory's graph.pbtxt: its task and device.
func graphInfo(dir string) (task, device string, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, "graph.pbtxt"))
	if err != nil {
		return "", "", false
	}
	for _, m := range calcRe.FindAllSubmatch(data, -1) {
		if t, found := calculatorTasks[string(m[1])]; found {
			task = t
			break
		}
	}
	if m := deviceRe.FindSubmatch(data); m != nil {
		device = string(m[1])
	}
	return task, device, true
}

// checkName refuses a model name that is not a relative path inside the
// repository ("org/name", no "..", no absolute path, no backslash).
func checkName(name string) error {
	clean := path.Clean(name)
	hidden := false
	for _, el := range strings.Split(name, "/") {
		hidden = hidden || strings.HasPrefix(el, ".")
	}
	if name == "" || clean != name || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) ||
		hidden || strings.Contains(name, ":") {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "model",
			Message: "a model name is a Hugging Face id such as OpenVINO/Qwen3-0.6B-int4-ov (no .., no hidden or absolute path), not " + strings.TrimSpace(name)}
	}
	return nil
}

// modelDir is where name lives in the repository.
func (p *plugin) modelDir(s settings, name string) string {
	return filepath.Join(s.repoDir, filepath.FromSlash(name))
}

// repoModels lists the models of the repository: every directory with a
// graph.pbtxt, named by its path relative to the repository.
func repoModels(repo string) ([]sdk.Model, error) {
	var out []sdk.Model
	err := filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == repo && os.IsNotExist(err) {
				return filepath.SkipAll
			}
			return err
		}
		if !d.IsDir() || p == repo {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") { // .downloads: staging, not models
			return filepath.SkipDir
		}
		task, _, ok := graphInfo(p)
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(repo, p)
		m := sdk.Model{Name: filepath.ToSlash(rel), Format: "openvino", Services: taskServices[task]}
		if fi, err := d.Info(); err == nil {
			m.ModifiedAt = fi.ModTime().Unix()
		}
		m.SizeBytes = dirSize(p)
		out = append(out, m)
		return filepath.SkipDir // a model's subdirectories are its own
	})
	return out, err
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// removeModelDir deletes a model's directory through an os.Root on the
// repository, so no name can reach outside it, then prunes the
// organisation directory when it is left empty.
func removeModelDir(repo, name string) error {
	root, err := os.OpenRoot(repo)
	if err != nil {
		return err
	}
	defer root.Close()
	if _, err := root.Stat(name); err != nil {
		return err
	}
	if err := root.RemoveAll(name); err != nil {
		return err
	}
	_ = root.Remove(name + ".lfswip")
	if parent := path.Dir(name); parent != "." {
		_ = root.Remove(parent) // fails, harmlessly, when not empty
	}
	return nil
}
