package gguf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// Golden digests: the generator must be byte-for-byte stable, so cached
// models (and registry blobs derived from them) stay valid across runs.
// If you change the generator on purpose, update these AND bump
// GeneratorVersion (WriteModel's on-disk cache is keyed by it; the seeded
// registry is keyed by these digests).
var golden = []struct {
	cfg    func() Config
	size   int64
	sha256 string
}{
	{Tiny, 585824, "0f65bd9986a00451c41e79fafd72b6f1cec35a78e608859b6694308e2f7217d4"},
	{Big, 48665472, "e8be38b3db39e313319131f51b0e8439fd3859ee516298b9ad5253820fc169b6"},
}

func TestGoldenModels(t *testing.T) {
	for _, g := range golden {
		cfg := g.cfg()
		t.Run(cfg.Name, func(t *testing.T) {
			if testing.Short() && cfg.Name == "big" {
				t.Skip("short mode")
			}
			h := sha256.New()
			cw := &countWriter{w: h}
			if err := cfg.Generate(cw); err != nil {
				t.Fatal(err)
			}
			if int64(cw.n) != g.size {
				t.Errorf("size = %d, want %d", cw.n, g.size)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != g.sha256 {
				t.Errorf("sha256 = %s, want %s", got, g.sha256)
			}
		})
	}
}

func TestTinyParses(t *testing.T) {
	cfg := Tiny()
	var buf bytes.Buffer
	if err := cfg.Generate(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	wantTensors := 3 + 9*int(cfg.BlockCount)
	checks := []struct {
		name      string
		got, want any
	}{
		{"magic", f.Magic, "GGUF"},
		{"version", f.Version, uint32(3)},
		{"tensor count", f.TensorCount, uint64(wantTensors)},
		{"tensor infos", len(f.Tensors), wantTensors},
		{"kv count", f.KVCount, uint64(len(cfg.KVs()))},
		{"architecture", f.KV["general.architecture"], "llama"},
		{"block_count", f.KV["llama.block_count"], cfg.BlockCount},
		{"embedding_length", f.KV["llama.embedding_length"], cfg.EmbeddingLength},
		{"head_count_kv", f.KV["llama.attention.head_count_kv"], cfg.HeadCountKV},
		{"rope dims", f.KV["llama.rope.dimension_count"], cfg.EmbeddingLength / cfg.HeadCount},
		{"tokenizer", f.KV["tokenizer.ggml.model"], "llama"},
		{"eos", f.KV["tokenizer.ggml.eos_token_id"], uint32(TokenEOS)},
		{"vocab", len(f.KV["tokenizer.ggml.tokens"].([]any)), VocabSize},
		{"token types", len(f.KV["tokenizer.ggml.token_type"].([]any)), VocabSize},
		{"newline byte token", f.KV["tokenizer.ggml.tokens"].([]any)[firstByteToken+'\n'], "<0x0A>"},
		{"space token", f.KV["tokenizer.ggml.tokens"].([]any)[spaceToken], "\u2581"},
		{"first tensor", f.Tensors[0].Name, "token_embd.weight"},
		{"data aligned", f.DataOffset % DefaultAlignment, uint64(0)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	// Tensor offsets are aligned, increasing, and the data fits in the file.
	var end uint64
	for i, ti := range f.Tensors {
		if ti.Offset%DefaultAlignment != 0 || ti.Offset < end {
			t.Errorf("tensor %d %s: offset %d (prev end %d)", i, ti.Name, ti.Offset, end)
		}
		n := uint64(4)
		for _, d := range ti.Dims {
			n *= d
		}
		end = ti.Offset + n
	}
	if f.DataOffset+end > uint64(buf.Len()) {
		t.Errorf("tensor data ends at %d, file is %d bytes", f.DataOffset+end, buf.Len())
	}
}

func TestWriteRoundTripTypes(t *testing.T) {
	kvs := []KV{
		{"u8", uint8(7)}, {"i8", int8(-7)}, {"u16", uint16(700)}, {"i16", int16(-700)},
		{"u32", uint32(70000)}, {"i32", int32(-70000)}, {"u64", uint64(1 << 40)}, {"i64", int64(-1 << 40)},
		{"f32", float32(1.5)}, {"f64", 2.25}, {"b", true}, {"s", "héllo"},
		{"as", []string{"a", "", "c"}}, {"af", []float32{1, -2}}, {"ai", []int32{-1, 2}},
		{"au", []uint32{3}}, {"ab", []bool{true, false}},
		{"general.alignment", uint32(64)},
	}
	ts := []Tensor{
		{Name: "a", Dims: []uint64{3}, Fill: func(d []float32) { d[0], d[1], d[2] = 1, 2, 3 }},
		{Name: "b", Dims: []uint64{2, 2}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, kvs, ts); err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		got := f.KV[kv.Key]
		switch want := kv.Value.(type) {
		case []string, []float32, []int32, []uint32, []bool:
			if s := toAny(want); len(s) != len(got.([]any)) {
				t.Errorf("%s: got %v want %v", kv.Key, got, want)
			} else {
				for i := range s {
					if s[i] != got.([]any)[i] {
						t.Errorf("%s[%d]: got %v want %v", kv.Key, i, got.([]any)[i], s[i])
					}
				}
			}
		default:
			if got != want {
				t.Errorf("%s: got %#v want %#v", kv.Key, got, want)
			}
		}
	}
	if f.Tensors[1].Offset != 64 || f.DataOffset%64 != 0 {
		t.Errorf("alignment not honoured: tensor b at %d, data at %d", f.Tensors[1].Offset, f.DataOffset)
	}
	if uint64(buf.Len()) != f.DataOffset+64+64 {
		t.Errorf("file size %d, want %d", buf.Len(), f.DataOffset+128)
	}

	if err := Write(&bytes.Buffer{}, []KV{{"x", 1}, {"x", 2}}, nil); err == nil {
		t.Error("int value and duplicate key accepted")
	}
	if _, err := Read(bytes.NewReader([]byte("GGML\x03\x00\x00\x00"))); err != ErrNotGGUF {
		t.Errorf("bad magic: err = %v", err)
	}
}

func toAny(v any) []any {
	var out []any
	switch s := v.(type) {
	case []string:
		for _, x := range s {
			out = append(out, x)
		}
	case []float32:
		for _, x := range s {
			out = append(out, x)
		}
	case []int32:
		for _, x := range s {
			out = append(out, x)
		}
	case []uint32:
		for _, x := range s {
			out = append(out, x)
		}
	case []bool:
		for _, x := range s {
			out = append(out, x)
		}
	}
	return out
}

func TestWriteModelIdempotent(t *testing.T) {
	dir := t.TempDir()
	w1, err := WriteModel(dir, Tiny())
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(w1.GGUF)
	w2, err := WriteModel(dir, Tiny())
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(w2.GGUF)
	if w1 != w2 || !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second WriteModel rewrote the file: %+v vs %+v", w1, w2)
	}
	if got, _ := fileSHA256(w1.GGUF); got != golden[0].sha256 {
		t.Errorf("on-disk sha256 %s", got)
	}

	// A damaged file is regenerated despite the stamp.
	if err := os.WriteFile(w1.GGUF, make([]byte, w1.Size), 0o644); err != nil {
		t.Fatal(err)
	}
	w3, err := WriteModel(dir, Tiny())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fileSHA256(w3.GGUF); w3 != w1 || got != golden[0].sha256 {
		t.Errorf("damaged file not regenerated: %+v, sha256 %s", w3, got)
	}
	// A different config is regenerated too.
	other := Tiny()
	other.Seed++
	w4, err := WriteModel(dir, other)
	if err != nil {
		t.Fatal(err)
	}
	if w4.SHA256 == w1.SHA256 {
		t.Error("config change did not regenerate the model")
	}
	mf, err := os.ReadFile(filepath.Join(dir, "Modelfile"))
	if err != nil || !bytes.HasPrefix(mf, []byte("FROM ./tiny.gguf\n")) {
		t.Errorf("Modelfile: %q, %v", mf, err)
	}
}
