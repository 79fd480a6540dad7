package gguf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Config describes a generated llama-architecture test model. The zero value
// is not useful; start from Tiny or Big.
type Config struct {
	// Name is the file stem: the model is written as <Name>.gguf.
	Name string
	// Seed makes the random weights reproducible; the same Config always
	// yields byte-identical files.
	Seed uint64

	ContextLength     uint32
	EmbeddingLength   uint32 // hidden size; dimension 0 is reserved (see Generate)
	BlockCount        uint32
	FeedForwardLength uint32
	HeadCount         uint32
	HeadCountKV       uint32

	// PeriodBias controls how likely the model is to emit '.' at each step;
	// the model emits </s> right after a '.', so larger means shorter
	// answers. Non-printable tokens are always suppressed.
	PeriodBias float32
	// SpaceBias makes spaces more (or less) frequent, so output looks
	// like words.
	SpaceBias float32
	// NumPredict is written to the Modelfile as PARAMETER num_predict, a cap
	// on answer length (random weights never reliably stop on their own).
	// Zero omits the parameter.
	NumPredict int
	// NumThread is written as PARAMETER num_thread (zero omits it). One
	// thread is the default: these models are far too small to gain from
	// more, and llama.cpp's spinning thread barrier makes multi-threaded
	// decoding collapse (hundreds of times slower) on a loaded CPU.
	NumThread int
}

// Tiny is a ~600 KB model: fast to create, load and run (hundreds of tok/s on CPU).
func Tiny() Config {
	return Config{
		Name:              "tiny",
		Seed:              0x526f756e64686f75, // "Roundhou"
		ContextLength:     4096,
		EmbeddingLength:   64,
		BlockCount:        2,
		FeedForwardLength: 192,
		HeadCount:         4,
		HeadCountKV:       2,
		PeriodBias:        0.1,
		SpaceBias:         0.2,
		NumPredict:        128,
		NumThread:         1,
	}
}

// Big is a ~50 MB model with the same vocabulary as Tiny, meant for
// throttled-pull tests where progress must have many visible steps.
func Big() Config {
	c := Tiny()
	c.Name = "big"
	c.Seed = 0x6269672d6d6f6465 // "big-mode"
	c.EmbeddingLength = 512
	c.BlockCount = 4
	c.FeedForwardLength = 1408
	c.HeadCount = 8
	c.HeadCountKV = 4
	return c
}

// Preset returns Tiny() or Big() by name.
func Preset(name string) (Config, error) {
	switch name {
	case "tiny":
		return Tiny(), nil
	case "big":
		return Big(), nil
	}
	return Config{}, fmt.Errorf("gguf: unknown preset %q (want tiny or big)", name)
}

func (c Config) validate() error {
	switch {
	case c.Name == "" || strings.ContainsAny(c.Name, `/\ `):
		return fmt.Errorf("gguf: bad model name %q", c.Name)
	case c.EmbeddingLength < 8 || c.BlockCount == 0 || c.FeedForwardLength == 0 || c.ContextLength == 0:
		return fmt.Errorf("gguf: sizes must be positive (embedding >= 8)")
	case c.HeadCount == 0 || c.EmbeddingLength%c.HeadCount != 0:
		return fmt.Errorf("gguf: embedding_length %d not divisible by head_count %d", c.EmbeddingLength, c.HeadCount)
	case c.HeadCountKV == 0 || c.HeadCount%c.HeadCountKV != 0:
		return fmt.Errorf("gguf: head_count %d not divisible by head_count_kv %d", c.HeadCount, c.HeadCountKV)
	case (c.EmbeddingLength/c.HeadCount)%2 != 0:
		return fmt.Errorf("gguf: head dimension must be even for RoPE")
	}
	return nil
}

// Vocabulary layout (SentencePiece-style "llama" tokenizer with byte fallback):
//
//	0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF> (byte tokens),
//	259 "▁" (space), 260..353 the printable ASCII characters '!'..'~'.
//
// Any text tokenizes (unknown characters fall back to their UTF-8 bytes) and
// every token the model can emit decodes to printable ASCII or a space.
const (
	TokenUnk       = 0
	TokenBOS       = 1
	TokenEOS       = 2
	firstByteToken = 3
	spaceToken     = firstByteToken + 256
	firstASCII     = spaceToken + 1
	// VocabSize is the number of tokens in the generated vocabulary.
	VocabSize int = firstASCII + int('~'-'!') + 1
)

// Token types as understood by llama.cpp.
const (
	tokenTypeNormal  = 1
	tokenTypeUnknown = 2
	tokenTypeControl = 3
	tokenTypeByte    = 6
)

func vocabulary() (tokens []string, scores []float32, types []int32) {
	tokens = make([]string, 0, VocabSize)
	types = make([]int32, 0, VocabSize)
	tokens = append(tokens, "<unk>", "<s>", "</s>")
	types = append(types, tokenTypeUnknown, tokenTypeControl, tokenTypeControl)
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, tokenTypeByte)
	}
	tokens = append(tokens, "\u2581")
	types = append(types, tokenTypeNormal)
	for ch := '!'; ch <= '~'; ch++ {
		tokens = append(tokens, string(ch))
		types = append(types, tokenTypeNormal)
	}
	scores = make([]float32, len(tokens))
	return tokens, scores, types
}

// ChatTemplate is the Jinja chat template stored in tokenizer.chat_template.
// It mirrors OllamaTemplate (plain text roles, no special tokens).
const ChatTemplate = `{% for message in messages %}` +
	`{% if message['role'] == 'system' %}System: {{ message['content'] }}
{% elif message['role'] == 'user' %}User: {{ message['content'] }}
{% elif message['role'] == 'assistant' %}Assistant: {{ message['content'] }}
{% else %}Tool: {{ message['content'] }}
{% endif %}{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}`

// OllamaTemplate is the Go template written to the Modelfile. Mentioning
// .Tools gives the model Ollama's "tools" capability, so requests carrying
// tools are accepted (the random weights will of course not call them).
const OllamaTemplate = `{{- range .Messages }}
{{- if eq .Role "system" }}System: {{ .Content }}
{{ else if eq .Role "user" }}User: {{ .Content }}
{{ else if eq .Role "assistant" }}Assistant: {{ .Content }}{{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}{{ end }}
{{ else if eq .Role "tool" }}Tool: {{ .Content }}
{{ end }}
{{- end }}
{{- if .Tools }}Tools:{{ range .Tools }} {{ .Function.Name }}{{ end }}
{{ end }}Assistant:`

// Modelfile returns the Modelfile text importing <Name>.gguf from the same directory.
func (c Config) Modelfile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "FROM ./%s.gguf\n", c.Name)
	fmt.Fprintf(&b, "TEMPLATE \"\"\"%s\"\"\"\n", OllamaTemplate)
	b.WriteString("PARAMETER stop \"User:\"\n")
	if c.NumPredict > 0 {
		fmt.Fprintf(&b, "PARAMETER num_predict %d\n", c.NumPredict)
	}
	if c.NumThread > 0 {
		fmt.Fprintf(&b, "PARAMETER num_thread %d\n", c.NumThread)
	}
	return b.String()
}

// KVs returns the GGUF metadata for the model, in file order.
func (c Config) KVs() []KV {
	tokens, scores, types := vocabulary()
	headDim := c.EmbeddingLength / c.HeadCount
	return []KV{
		{"general.architecture", "llama"},
		{"general.name", "roundhouse-" + c.Name},
		{"general.description", "Roundhouse test-bed model: random weights, byte-fallback tokenizer. Not a language model."},
		{"general.file_type", uint32(0)}, // ALL_F32
		{"general.alignment", uint32(DefaultAlignment)},
		{"llama.context_length", c.ContextLength},
		{"llama.embedding_length", c.EmbeddingLength},
		{"llama.block_count", c.BlockCount},
		{"llama.feed_forward_length", c.FeedForwardLength},
		{"llama.attention.head_count", c.HeadCount},
		{"llama.attention.head_count_kv", c.HeadCountKV},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", headDim},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.vocab_size", uint32(VocabSize)},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(TokenBOS)},
		{"tokenizer.ggml.eos_token_id", uint32(TokenEOS)},
		{"tokenizer.ggml.unknown_token_id", uint32(TokenUnk)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
		{"tokenizer.ggml.add_space_prefix", true},
		{"tokenizer.chat_template", ChatTemplate},
	}
}

// rng is splitmix64: tiny, fast and specified here, so weights never change
// with the Go version.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform returns a value in [-1, 1) computed exactly in float32.
func (r *rng) uniform() float32 {
	return float32(r.next()>>40)/float32(1<<23) - 1
}

func (c Config) rngFor(tensor string) *rng {
	h := fnv.New64a()
	h.Write([]byte(tensor))
	return &rng{s: c.Seed ^ h.Sum64()}
}

// sqrt32 is exact (IEEE correctly rounded), hence deterministic everywhere.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// Tensors returns the model tensors. Design, so that random weights still
// behave politely:
//
//   - Hidden dimension 0 is a constant "bias channel": every token embedding
//     has 1.0 there, the norms feeding the blocks zero it, and the rows of
//     attn_output/ffn_down writing to it are zero, so it reaches the output
//     unchanged. Column 0 of output.weight is then a per-token logit bias:
//     large negative for unk/bos/byte tokens, PeriodBias for '.', SpaceBias
//     for the space, 0 for other printable tokens. Answers are printable
//     ASCII.
//   - Block outputs are scaled down, so the last token's embedding
//     dominates the final hidden state (a mostly-bigram model). The </s>
//     row of output.weight is negatively biased but aligned with the
//     embedding of '.', so answers end right after a '.' and almost never
//     anywhere else (in particular, not as the first token: answers are
//     never empty unless the prompt itself ends with '.').
func (c Config) Tensors() []Tensor {
	E := uint64(c.EmbeddingLength)
	F := uint64(c.FeedForwardLength)
	hd := E / uint64(c.HeadCount)
	qDim := hd * uint64(c.HeadCount)
	kvDim := hd * uint64(c.HeadCountKV)
	V := uint64(VocabSize)

	uniform := func(name string, scale float32) func([]float32) {
		return func(dst []float32) {
			r := c.rngFor(name)
			for i := range dst {
				dst[i] = r.uniform() * scale
			}
		}
	}
	// rowsZero0: like uniform, but output feature 0 (the first row of
	// length in) stays zero.
	rowsZero0 := func(name string, in uint64, scale float32) func([]float32) {
		return func(dst []float32) {
			r := c.rngFor(name)
			for i := range dst {
				v := r.uniform() * scale
				if uint64(i) >= in {
					dst[i] = v
				}
			}
		}
	}
	norm := func(zero0 bool) func([]float32) {
		return func(dst []float32) {
			for i := range dst {
				dst[i] = 1
			}
			if zero0 {
				dst[0] = 0
			}
		}
	}
	unit := func(in uint64) float32 { return sqrt32(3 / float32(in)) }

	ts := []Tensor{
		{Name: "token_embd.weight", Dims: []uint64{E, V}, Fill: func(dst []float32) {
			r := c.rngFor("token_embd.weight")
			for i := range dst {
				v := r.uniform() * 0.1
				if uint64(i)%E == 0 {
					v = 1
				}
				dst[i] = v
			}
		}},
	}
	for l := uint64(0); l < uint64(c.BlockCount); l++ {
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			Tensor{Name: p + "attn_norm.weight", Dims: []uint64{E}, Fill: norm(true)},
			Tensor{Name: p + "attn_q.weight", Dims: []uint64{E, qDim}, Fill: uniform(p+"attn_q.weight", unit(E))},
			Tensor{Name: p + "attn_k.weight", Dims: []uint64{E, kvDim}, Fill: uniform(p+"attn_k.weight", unit(E))},
			Tensor{Name: p + "attn_v.weight", Dims: []uint64{E, kvDim}, Fill: uniform(p+"attn_v.weight", unit(E))},
			Tensor{Name: p + "attn_output.weight", Dims: []uint64{qDim, E}, Fill: rowsZero0(p+"attn_output.weight", qDim, 0.02*unit(qDim))},
			Tensor{Name: p + "ffn_norm.weight", Dims: []uint64{E}, Fill: norm(true)},
			Tensor{Name: p + "ffn_gate.weight", Dims: []uint64{E, F}, Fill: uniform(p+"ffn_gate.weight", unit(E))},
			Tensor{Name: p + "ffn_up.weight", Dims: []uint64{E, F}, Fill: uniform(p+"ffn_up.weight", unit(E))},
			Tensor{Name: p + "ffn_down.weight", Dims: []uint64{F, E}, Fill: rowsZero0(p+"ffn_down.weight", F, 0.04*unit(F))},
		)
	}
	outScale := 4 * unit(E-1)
	// The embedding row of '.', used to align the </s> output row with it.
	period := make([]float32, E)
	{
		r := c.rngFor("token_embd.weight")
		periodTok := uint64(firstASCII + '.' - '!')
		for i := uint64(0); i < (periodTok+1)*E; i++ {
			v := r.uniform() * 0.1
			if i >= periodTok*E {
				period[i%E] = v
			}
		}
		period[0] = 0
	}
	var periodNorm2 float32
	for _, v := range period {
		periodNorm2 += v * v
	}
	ts = append(ts,
		Tensor{Name: "output_norm.weight", Dims: []uint64{E}, Fill: norm(false)},
		Tensor{Name: "output.weight", Dims: []uint64{E, V}, Fill: func(dst []float32) {
			r := c.rngFor("output.weight")
			for i := range dst {
				v := r.uniform() * outScale
				tok, col := uint64(i)/E, uint64(i)%E
				switch {
				case tok == TokenEOS && col == 0:
					v = -1
				case tok == TokenEOS:
					v = 3 * period[col] / periodNorm2
				case col != 0:
				case tok == uint64(firstASCII+'.'-'!'):
					v = c.PeriodBias
				case tok == spaceToken:
					v = c.SpaceBias
				case tok > spaceToken:
					v = 0
				default:
					v = -30
				}
				dst[i] = v
			}
		}},
	)
	return ts
}

// Generate writes the model as a GGUF file.
func (c Config) Generate(w io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	return Write(w, c.KVs(), c.Tensors())
}

// GeneratorVersion identifies the generator's output for a given Config. It
// keys the on-disk cache in WriteModel: bump it whenever Generate's bytes
// change (the golden digests in gguf_test.go will tell you).
const GeneratorVersion = 1

// Written describes files produced by WriteModel.
type Written struct {
	Dir       string // output directory
	GGUF      string // <Dir>/<Name>.gguf
	Modelfile string // <Dir>/Modelfile
	Size      int64  // size of the GGUF file in bytes
	SHA256    string // hex sha256 of the GGUF file
}

type stamp struct {
	Generator int    `json:"generator"`
	Config    Config `json:"config"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// WriteModel writes <dir>/<Name>.gguf and <dir>/Modelfile (creating dir).
// Files are written to temporaries and renamed into place. A stamp file
// (<dir>/.<Name>.gguf.stamp) records the generator version, config and
// digest; when it matches and the GGUF on disk still has that digest, the
// model is not regenerated.
func WriteModel(dir string, c Config) (Written, error) {
	if err := c.validate(); err != nil {
		return Written{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Written{}, err
	}
	out := Written{
		Dir:       dir,
		GGUF:      filepath.Join(dir, c.Name+".gguf"),
		Modelfile: filepath.Join(dir, "Modelfile"),
	}
	stampPath := filepath.Join(dir, "."+c.Name+".gguf.stamp")
	want := stamp{Generator: GeneratorVersion, Config: c}

	var have stamp
	if b, err := os.ReadFile(stampPath); err == nil && json.Unmarshal(b, &have) == nil &&
		have.Generator == want.Generator && have.Config == want.Config {
		if st, err := os.Stat(out.GGUF); err == nil && st.Size() == have.Size {
			if sum, err := fileSHA256(out.GGUF); err == nil && sum == have.SHA256 {
				out.Size, out.SHA256 = have.Size, have.SHA256
			}
		}
	}
	if out.SHA256 == "" {
		h := sha256.New()
		cw := &countWriter{w: h}
		if err := writeAtomic(out.GGUF, func(w io.Writer) error {
			return c.Generate(io.MultiWriter(w, cw))
		}); err != nil {
			return Written{}, err
		}
		out.Size = int64(cw.n)
		out.SHA256 = hex.EncodeToString(h.Sum(nil))
		want.Size, want.SHA256 = out.Size, out.SHA256
		b, err := json.MarshalIndent(want, "", "  ")
		if err != nil {
			return Written{}, err
		}
		if err := writeAtomic(stampPath, func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return Written{}, err
		}
	}

	mf := c.Modelfile()
	if old, err := os.ReadFile(out.Modelfile); err != nil || !bytes.Equal(old, []byte(mf)) {
		if err := writeAtomic(out.Modelfile, func(w io.Writer) error {
			_, err := io.WriteString(w, mf)
			return err
		}); err != nil {
			return Written{}, err
		}
	}
	return out, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeAtomic(path string, gen func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := gen(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
