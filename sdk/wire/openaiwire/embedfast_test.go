package openaiwire

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The embeddings answer's fast path must read what encoding/json reads:
// the same vectors (or the same failure to read one), index and usage.

type embedView struct {
	Model string
	Usage *usage
	Data  []embedDataView
}

type embedDataView struct {
	Index int
	Vec   []float32
	Err   string
}

func viewEmbed(r *embeddingResponse) embedView {
	v := embedView{Model: r.Model, Usage: r.Usage}
	for i := range r.Data {
		d := &r.Data[i]
		vec, err := d.vector()
		dv := embedDataView{Index: d.Index, Vec: vec}
		if err != nil {
			dv.Err = err.Error()
		}
		v.Data = append(v.Data, dv)
	}
	return v
}

func checkEmbedFastPath(t *testing.T, data []byte) bool {
	t.Helper()
	var fast embeddingResponse
	took := fast.decodeFast(data)
	if took {
		var slow embeddingResponse
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fast path took %q, encoding/json fails: %v", data, err)
		}
		if f, s := viewEmbed(&fast), viewEmbed(&slow); !reflect.DeepEqual(f, s) {
			t.Fatalf("embeddings answer %q:\nfast %+v\njson %+v", data, f, s)
		}
	}
	return took
}

// openAIEmbeddings is an answer as api.openai.com sends it, n vectors of
// dim floats.
func openAIEmbeddings(n, dim int) []byte {
	var b strings.Builder
	b.WriteString(`{"object":"list","data":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"object":"embedding","index":` + strconv.Itoa(i) + `,"embedding":[`)
		for j := range dim {
			if j > 0 {
				b.WriteString(",")
			}
			f := float32(j%97-48) / 997.0 * float32(i+1)
			b.WriteString(strconv.FormatFloat(float64(f), 'g', -1, 32))
		}
		b.WriteString("]}")
	}
	b.WriteString(`],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}`)
	return []byte(b.String())
}

var embedFastPathCases = []struct {
	data string
	fast bool
}{
	{string(openAIEmbeddings(2, 8)), true},
	{`{"data":[{"index":0,"embedding":[0,-0,1e-50,3.4028235e38,-1.5E+3,0.1,123456789012345678901234567890e-30]}],"model":"m"}`, true},
	{`{"data":[{"index":1,"embedding":[]},{"embedding":"AACAPwAAAEA="}],"usage":null}`, true}, // base64: kept raw
	{`{"data":[{"embedding":"not base64!"},{"embedding":null},{"embedding":{"x":1}},{"embedding":5}]}`, true},
	{` { "data" : [ { "embedding" : [ 1 , 2 ] , "index" : 0 } ] } `, true},
	{`{"data":null,"model":null,"extra":[{"embedding":[1]}]}`, true},
	// Left to encoding/json:
	{`{"data":[{"embedding":[1,null,2]}]}`, false},
	{`{"data":[{"embedding":[1e39]}]}`, false}, // out of float32 range: an error there
	{`{"data":[{"embedding":[1,"2"]}]}`, false},
	{`{"data":[{"embedding":[1,]}]}`, false},
	{`{"data":[{"embedding":[1 2]}]}`, false},
	{`{"data":[{"Embedding":[1]}]}`, false},
	{`{"data":[{"embedding":[1],"embedding":[2]}]}`, false},
	{`{"data":[{"index":1.5,"embedding":[1]}]}`, false},
	{`{"data":[null]}`, false},
	{`{"data":[{"embedding":[1]}]`, false},
}

func TestEmbedFastPathMatchesEncodingJSON(t *testing.T) {
	for _, tc := range embedFastPathCases {
		if took := checkEmbedFastPath(t, []byte(tc.data)); took != tc.fast {
			t.Errorf("fast path took %q: %v, want %v", tc.data, took, tc.fast)
		}
	}
}

func FuzzEmbedFastPath(f *testing.F) {
	for _, tc := range embedFastPathCases {
		f.Add([]byte(tc.data))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkEmbedFastPath(t, b) })
}

// BenchmarkEmbedAnswerDecode reads an answer of 4 vectors of 1536 floats
// (text-embedding-3-small) both ways, vectors included.
func BenchmarkEmbedAnswerDecode(b *testing.B) {
	data := openAIEmbeddings(4, 1536)
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var r embeddingResponse
			if err := json.Unmarshal(data, &r); err != nil {
				b.Fatal(err)
			}
			for i := range r.Data {
				if _, err := decodeVector(r.Data[i].Embedding); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var r embeddingResponse
			if !r.decodeFast(data) {
				b.Fatal("fast path refused")
			}
			for i := range r.Data {
				if _, err := r.Data[i].vector(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
