package backend

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The checks every surface applies to a request before it goes upstream,
// in one place so that the native, Ollama-, OpenAI- and Anthropic-shaped
// routes cannot drift apart. A value out of range is the client's mistake:
// it must be answered 400 naming the field here, not passed to an engine
// that clamps it silently, crashes on it, or answers 500.
//
// The validators name fields by the JSON of the sdk types (the native API):
// "options.temperature", "prompt", "input[2]". A surface whose dialect
// spells a field differently renames it with InDialect.

// Ranges of the generation options. Temperature allows [0, 2], the widest
// range of the APIs Roundhouse forwards to (OpenAI's); a surface with a
// narrower dialect range (Anthropic's [0, 1]) checks that itself.
const (
	maxTemperature = 2
	maxPenalty     = 2
)

// ValidateOptions checks the generation options; nil is valid.
func ValidateOptions(o *sdk.Options) error {
	if o == nil {
		return nil
	}
	// Written as !(in range) so that NaN, which compares false with
	// everything, is rejected too.
	if t := o.Temperature; t != nil && !(*t >= 0 && *t <= maxTemperature) {
		return sdk.FieldError("options.temperature", "must be between 0 and %d, got %g", maxTemperature, *t)
	}
	if p := o.TopP; p != nil && !(*p >= 0 && *p <= 1) {
		return sdk.FieldError("options.top_p", "must be between 0 and 1, got %g", *p)
	}
	if k := o.TopK; k != nil && *k < 0 {
		return sdk.FieldError("options.top_k", "must not be negative, got %d (leave it out for the engine's default)", *k)
	}
	if n := o.MaxTokens; n != nil && *n < 1 {
		return sdk.FieldError("options.max_tokens", "must be at least 1, got %d (leave it out for no limit)", *n)
	}
	if n := o.NumCtx; n != nil && *n < 0 {
		return sdk.FieldError("options.num_ctx", "must not be negative, got %d (leave it out for the model's default)", *n)
	}
	if p := o.PresencePenalty; p != nil && !(*p >= -maxPenalty && *p <= maxPenalty) {
		return sdk.FieldError("options.presence_penalty", "must be between -2 and 2, got %g", *p)
	}
	if p := o.FrequencyPenalty; p != nil && !(*p >= -maxPenalty && *p <= maxPenalty) {
		return sdk.FieldError("options.frequency_penalty", "must be between -2 and 2, got %g", *p)
	}
	return nil
}

// ValidateChat checks a chat request: at least one message, known roles,
// options in range.
func ValidateChat(req *sdk.ChatRequest) error {
	if len(req.Messages) == 0 {
		return sdk.FieldError("messages", "required: at least one message")
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant", "tool":
		default:
			return sdk.FieldError(fmt.Sprintf("messages[%d].role", i), "unknown role %q (want system, user, assistant or tool)", m.Role)
		}
	}
	return ValidateOptions(req.Options)
}

// ValidateGenerate checks a generate request: a prompt (or images to
// describe), options in range.
func ValidateGenerate(req *sdk.GenerateRequest) error {
	if req.Prompt == "" && len(req.Images) == 0 {
		return sdk.FieldError("prompt", "required: the text to continue")
	}
	return ValidateOptions(req.Options)
}

// ValidateEmbed checks an embed request: at least one text, none empty.
func ValidateEmbed(req *sdk.EmbedRequest) error {
	if len(req.Input) == 0 {
		return sdk.FieldError("input", "required: one or more texts to embed")
	}
	for i, s := range req.Input {
		if s == "" {
			return sdk.FieldError(fmt.Sprintf("input[%d]", i), "must not be empty: remove it or put text in it")
		}
	}
	if req.Dimensions < 0 {
		return sdk.FieldError("dimensions", "must not be negative, got %d (leave it out for the model's size)", req.Dimensions)
	}
	return nil
}

// ValidateImageToImage checks an image-to-image request: a prompt, a
// source image, and a count that is not negative.
func ValidateImageToImage(req *sdk.ImageToImageRequest) error {
	switch {
	case strings.TrimSpace(req.Prompt) == "":
		return sdk.FieldError("prompt", "required: what to make of the image")
	case len(req.Image) == 0:
		return sdk.FieldError("image", "required: the source image (PNG, JPEG or WebP)")
	case req.N < 0:
		return sdk.FieldError("n", "must not be negative, got %d (leave it out for one image)", req.N)
	case req.Strength != nil && (*req.Strength < 0 || *req.Strength > 1):
		return sdk.FieldError("strength", "must be between 0 and 1, got %g", *req.Strength)
	}
	return nil
}

// InDialect renames the field of an error from its sdk JSON name to the
// name a surface's client sent (names maps one to the other); the field of
// any other error, and fields not in names, stay as they are. A key
// matches whole path elements at the start of the field ("input" renames
// "input[3]" to "prompt[3]" with "input" → "prompt", but not "inputs"),
// and "[*]" in a key matches any index, which "[*]" in its value repeats:
// "messages[*].tool_calls[*].arguments" → "messages[*].tool_calls[*].
// function.arguments" renames "messages[2].tool_calls[0].arguments". The
// longest matching key wins.
func InDialect(err error, names map[string]string) error {
	if err == nil || len(names) == 0 {
		return err // before e: it escapes, an allocation on every call
	}
	var e *sdk.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	keys := slices.SortedFunc(maps.Keys(names), func(a, b string) int { return len(b) - len(a) })
	for _, from := range keys {
		if field, ok := renameField(e.Field, from, names[from]); ok {
			out := *e
			out.Field = field
			return &out
		}
	}
	return err
}

// renameField applies one InDialect rule to field.
func renameField(field, from, to string) (string, bool) {
	var idx []string
	// Walk from and field together: literal text must match, "[*]" takes
	// one "[digits]".
	rest, pat := field, from
	for {
		lit, after, wild := strings.Cut(pat, "[*]")
		if !strings.HasPrefix(rest, lit) {
			return "", false
		}
		rest = rest[len(lit):]
		if !wild {
			break
		}
		n := 0
		if strings.HasPrefix(rest, "[") {
			for n = 1; n < len(rest) && rest[n] >= '0' && rest[n] <= '9'; n++ {
			}
		}
		if n < 2 || n >= len(rest) || rest[n] != ']' {
			return "", false
		}
		idx = append(idx, rest[:n+1])
		rest, pat = rest[n+1:], after
	}
	if rest != "" && rest[0] != '[' && rest[0] != '.' {
		return "", false
	}
	var b strings.Builder
	for i, part := range strings.Split(to, "[*]") {
		if i > 0 && i-1 < len(idx) {
			b.WriteString(idx[i-1])
		}
		b.WriteString(part)
	}
	return b.String() + rest, true
}

// ValidateModelName rejects names that could escape a models directory or
// confuse an engine, before any plugin sees them. Every surface that
// pulls, loads or deletes by name calls it before answering anything, so a
// hostile name never gets a 200 and a started stream.
func ValidateModelName(model string) error {
	bad := func(why string) error {
		return &sdk.Error{Code: sdk.CodeModelInvalidName, Field: "model", Message: fmt.Sprintf("invalid model name %q: %s", model, why)}
	}
	switch {
	case model == "":
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "model", Message: "required"}
	case !utf8.ValidString(model):
		// Checked before the others: %q would echo the bad bytes, and a
		// plugin could not be sent the name at all (protobuf strings are
		// UTF-8).
		return &sdk.Error{Code: sdk.CodeModelInvalidName, Field: "model",
			Message: "invalid model name: contains invalid UTF-8; send the name as UTF-8 (percent-encoded in a URL path)"}
	case len(model) > 512:
		return bad("longer than 512 characters")
	case strings.HasPrefix(model, "/"):
		return bad("must not start with '/'")
	case strings.Contains(model, ".."):
		return bad("must not contain '..'")
	case strings.ContainsAny(model, "\\ \t"):
		return bad("must not contain backslashes or spaces")
	}
	for _, c := range model {
		if c < 0x20 || c == 0x7f {
			return bad("must not contain control characters")
		}
	}
	return nil
}
