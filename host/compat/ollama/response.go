package ollama

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// now is a variable so tests can pin it.
var now = time.Now

// DoneReason maps an sdk finish reason onto Ollama's done_reason: "stop"
// (tool calls included) or "length".
func DoneReason(reason string) string {
	if reason == "length" {
		return "length"
	}
	return "stop"
}

// ToolCallsToOllama renders tool calls with their arguments as JSON
// objects. Arguments that are not a JSON object (a model that wrote
// garbage) become {}.
func ToolCallsToOllama(in []sdk.ToolCall) []ToolCall {
	if len(in) == 0 {
		return nil
	}
	out := make([]ToolCall, len(in))
	for i, tc := range in {
		out[i] = ToolCall{ID: tc.ID, Function: ToolCallFunction{Index: i, Name: tc.Name, Arguments: argumentsObject(tc.Arguments)}}
	}
	return out
}

func argumentsObject(s string) json.RawMessage {
	b := bytes.TrimSpace([]byte(s))
	if len(b) > 0 && b[0] == '{' && json.Valid(b) {
		return b
	}
	return json.RawMessage("{}")
}

// timing measures a request for the duration fields.
type timing struct {
	start, first time.Time
}

func (t *timing) token() {
	if t.first.IsZero() {
		t.first = now()
	}
}

// metrics fills Ollama's counters from usage and measured time: the total
// is the engine's when it says, else wall time; the prompt phase lasts
// until the first token, the eval phase from there to the end.
func (t *timing) metrics(u *sdk.Usage, engineTotal int64) Metrics {
	end := now()
	m := Metrics{TotalDuration: engineTotal}
	if m.TotalDuration <= 0 {
		m.TotalDuration = max(end.Sub(t.start).Nanoseconds(), 1)
	}
	if !t.first.IsZero() {
		m.PromptEvalDuration = max(t.first.Sub(t.start).Nanoseconds(), 1)
		m.EvalDuration = max(end.Sub(t.first).Nanoseconds(), 1)
	} else {
		m.EvalDuration = m.TotalDuration
	}
	if u != nil {
		m.PromptEvalCount, m.EvalCount = u.PromptTokens, u.CompletionTokens
	}
	return m
}

// ChatResponseToOllama translates a whole chat answer (stream:false).
func ChatResponseToOllama(resp *sdk.ChatResponse, model string, t *timing) *ChatResponse {
	if resp.Model != "" {
		model = resp.Model
	}
	return &ChatResponse{
		Model: model, CreatedAt: now().UTC(),
		Message: Message{Role: "assistant", Content: resp.Message.Content, Thinking: resp.Message.Thinking,
			ToolCalls: ToolCallsToOllama(resp.Message.ToolCalls)},
		Done: true, DoneReason: DoneReason(resp.FinishReason),
		Metrics: t.metrics(resp.Usage, resp.TotalDurationNS),
	}
}

// GenerateResponseToOllama translates a whole completion (stream:false).
func GenerateResponseToOllama(resp *sdk.GenerateResponse, model string, t *timing) *GenerateResponse {
	if resp.Model != "" {
		model = resp.Model
	}
	return &GenerateResponse{
		Model: model, CreatedAt: now().UTC(), Response: resp.Text, Thinking: resp.Thinking,
		Done: true, DoneReason: DoneReason(resp.FinishReason),
		Metrics: t.metrics(resp.Usage, resp.TotalDurationNS),
	}
}

func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	for sec > 1e11 { // milliseconds or finer
		sec /= 1000
	}
	return time.Unix(sec, 0).UTC()
}

func details(m sdk.Model) ModelDetails {
	d := ModelDetails{Format: m.Format, Family: m.Family, ParameterSize: m.ParameterSize, QuantizationLevel: m.Quantization}
	if m.Family != "" {
		d.Families = []string{m.Family}
	}
	return d
}

func digest(d string) string { return strings.TrimPrefix(d, "sha256:") }

// ListToOllama translates a model listing into /api/tags.
func ListToOllama(ms []backend.ModelInfo) *ListResponse {
	out := &ListResponse{Models: make([]ListModel, 0, len(ms))}
	for _, m := range ms {
		out.Models = append(out.Models, ListModel{Name: m.Name, Model: m.Name, ModifiedAt: unixTime(m.ModifiedAt),
			Size: m.SizeBytes, Digest: digest(m.Digest), Details: details(m.Model)})
	}
	return out
}

// PsToOllama translates running models into /api/ps.
func PsToOllama(ms []backend.ModelInfo) *ProcessResponse {
	out := &ProcessResponse{Models: make([]ProcessModel, 0, len(ms))}
	for _, m := range ms {
		out.Models = append(out.Models, ProcessModel{Name: m.Name, Model: m.Name, Size: m.SizeBytes,
			Digest: digest(m.Digest), Details: details(m.Model), ExpiresAt: unixTime(m.ExpiresAt),
			SizeVRAM: m.SizeVRAMBytes, ContextLength: m.ContextLength})
	}
	return out
}

// capabilities maps Roundhouse service names onto Ollama's capability
// vocabulary.
var capabilities = map[string]string{
	"chat": "completion", "generate": "completion", "completion": "completion",
	"embed": "embedding", "embedding": "embedding", "embeddings": "embedding",
	"tools": "tools", "vision": "vision", "thinking": "thinking", "insert": "insert",
	"text_to_image": "image", "image": "image",
}

// ShowToOllama translates model details into /api/show.
func ShowToOllama(d *sdk.ModelDetails) *ShowResponse {
	out := &ShowResponse{License: d.License, Parameters: d.Parameters, Template: d.Template, System: d.System,
		Modelfile: d.Modelfile, Details: details(d.Model), ModelInfo: map[string]any{}}
	if out.System == "" {
		out.System = d.Details["system"]
	}
	if pm := d.Details["parent_model"]; pm != "" {
		out.Details.ParentModel = pm
	}
	if fs := d.Details["families"]; fs != "" {
		out.Details.Families = strings.Split(fs, ",")
	}
	if len(d.ModelInfo) > 0 {
		// The engine's own metadata, as it reported it.
		for k, v := range d.ModelInfo {
			out.ModelInfo[k] = v
		}
	} else {
		if d.Model.Family != "" {
			out.ModelInfo["general.architecture"] = d.Model.Family
		}
		if d.Model.ContextLength > 0 && d.Model.Family != "" {
			out.ModelInfo[d.Model.Family+".context_length"] = d.Model.ContextLength
		}
		for k, v := range d.Details {
			if k == "system" || k == "families" || k == "parent_model" || k == "capabilities" {
				continue // they have their own fields
			}
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out.ModelInfo[k] = n
			} else {
				out.ModelInfo[k] = v
			}
		}
	}
	seen := map[string]bool{}
	names := d.Capabilities
	if len(names) == 0 {
		names = d.Model.Services
	}
	for _, s := range names {
		c, ok := capabilities[s]
		if !ok && len(d.Capabilities) > 0 {
			c, ok = s, true // the engine's own name
		}
		if ok && !seen[c] {
			seen[c] = true
			out.Capabilities = append(out.Capabilities, c)
		}
	}
	if t := unixTime(d.Model.ModifiedAt); !t.IsZero() {
		out.ModifiedAt = &t
	}
	if out.Modelfile == "" {
		var mf strings.Builder
		mf.WriteString("# Modelfile generated by Roundhouse\nFROM " + d.Model.Name + "\n")
		if d.Template != "" {
			mf.WriteString("TEMPLATE \"\"\"" + d.Template + "\"\"\"\n")
		}
		if out.System != "" {
			mf.WriteString("SYSTEM \"\"\"" + out.System + "\"\"\"\n")
		}
		for _, line := range strings.Split(d.Parameters, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				mf.WriteString("PARAMETER " + line + "\n")
			}
		}
		if d.License != "" {
			mf.WriteString("LICENSE \"\"\"" + d.License + "\"\"\"\n")
		}
		out.Modelfile = mf.String()
	}
	return out
}

// ProgressToOllama translates one pull step. A byte-counting step
// ("downloading" or nameless, with a digest) reads "pulling <short
// digest>" as Ollama prints it.
func ProgressToOllama(p *sdk.Progress) ProgressResponse {
	status := p.Status
	if p.Digest != "" {
		short := digest(p.Digest)
		if len(short) > 12 {
			short = short[:12]
		}
		switch status {
		case "", "downloading", "pulling":
			status = "pulling " + short
		case "uploading", "pushing":
			status = "pushing " + short
		}
	}
	return ProgressResponse{Status: status, Digest: p.Digest, Total: p.Total, Completed: p.Completed}
}
