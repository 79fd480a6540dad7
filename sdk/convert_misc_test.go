package sdk

import (
	"math"
	"reflect"
	"testing"

	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
)

func TestConvertClampInt32(t *testing.T) {
	tests := []struct {
		in   int
		want int32
	}{
		{0, 0},
		{1, 1},
		{-1, -1},
		{math.MaxInt32, math.MaxInt32},
		{math.MinInt32, math.MinInt32},
		{math.MaxInt32 + 1, math.MaxInt32},
		{math.MinInt32 - 1, math.MinInt32},
		{math.MaxInt, math.MaxInt32},
		{math.MinInt, math.MinInt32},
	}
	for _, tt := range tests {
		if got := clampToInt32(tt.in); got != tt.want {
			t.Errorf("clampToInt32(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestConvertClampFields: every int field that travels as int32 saturates
// instead of wrapping around.
func TestConvertClampFields(t *testing.T) {
	const big, small = math.MaxInt, math.MinInt
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Options", fromProtoOptions(toProtoOptions(&Options{TopK: convPtr(big), MaxTokens: convPtr(small), NumCtx: convPtr(big)})),
			&Options{TopK: convPtr(math.MaxInt32), MaxTokens: convPtr(math.MinInt32), NumCtx: convPtr(math.MaxInt32)}},
		{"Usage", fromProtoUsage(toProtoUsage(&Usage{PromptTokens: big, CompletionTokens: small, TotalTokens: 5})),
			&Usage{PromptTokens: math.MaxInt32, CompletionTokens: math.MinInt32, TotalTokens: 5}},
		{"ToolCall", fromProtoToolCall(toProtoToolCall(&ToolCall{Index: big})), &ToolCall{Index: math.MaxInt32}},
		{"EmbedRequest", fromProtoEmbedRequest(toProtoEmbedRequest(&EmbedRequest{Dimensions: big})),
			&EmbedRequest{Dimensions: math.MaxInt32}},
		{"RerankRequest", fromProtoRerankRequest(toProtoRerankRequest(&RerankRequest{TopN: small})),
			&RerankRequest{TopN: math.MinInt32}},
		{"RerankResult", fromProtoRerankResult(toProtoRerankResult(&RerankResult{Index: big})),
			&RerankResult{Index: math.MaxInt32}},
		{"TextToImageRequest", fromProtoTextToImageRequest(toProtoTextToImageRequest(&TextToImageRequest{N: big})),
			&TextToImageRequest{N: math.MaxInt32}},
		{"EngineStatus", fromProtoEngineStatus(toProtoEngineStatus(&EngineStatus{PID: big, Restarts: small})),
			&EngineStatus{PID: math.MaxInt32, Restarts: math.MinInt32}},
		{"Model", fromProtoModel(toProtoModel(&Model{ContextLength: big, SizeBytes: math.MaxInt64})),
			&Model{ContextLength: math.MaxInt32, SizeBytes: math.MaxInt64}},
		{"APIKey", fromProtoAPIKey(toProtoAPIKey(&APIKey{Weight: big, Priority: small, RPM: big, RPD: big})),
			&APIKey{Weight: math.MaxInt32, Priority: math.MinInt32, RPM: math.MaxInt32, RPD: math.MaxInt32}},
		{"KeyStatus", fromProtoKeyStatus(toProtoKeyStatus(&KeyStatus{CurrentRPM: big, Requests: math.MaxInt64})),
			&KeyStatus{CurrentRPM: math.MaxInt32, Requests: math.MaxInt64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %+v, want %+v: %v", tt.got, tt.want, convertDiff(tt.got, tt.want))
			}
		})
	}
}

func TestConvertHealthStates(t *testing.T) {
	tests := []struct {
		name  string
		state HealthState
		wire  pb.HealthResponse_Status
		back  HealthState
	}{
		{"serving", HealthServing, pb.HealthResponse_STATUS_SERVING, HealthServing},
		{"starting", HealthStarting, pb.HealthResponse_STATUS_STARTING, HealthStarting},
		{"not serving", HealthNotServing, pb.HealthResponse_STATUS_NOT_SERVING, HealthNotServing},
		{"empty fails closed", "", pb.HealthResponse_STATUS_NOT_SERVING, HealthNotServing},
		{"unknown fails closed", "degraded", pb.HealthResponse_STATUS_NOT_SERVING, HealthNotServing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := toProtoHealth(&Health{State: tt.state, Message: "m"})
			if p.Status != tt.wire || p.Message != "m" {
				t.Errorf("toProtoHealth = %v, want status %v", p, tt.wire)
			}
			if got := fromProtoHealth(p); got.State != tt.back || got.Message != "m" {
				t.Errorf("back = %+v, want state %q", got, tt.back)
			}
		})
	}
	for _, s := range []pb.HealthResponse_Status{pb.HealthResponse_STATUS_UNSPECIFIED, pb.HealthResponse_Status(42)} {
		if got := fromProtoHealth(&pb.HealthResponse{Status: s}); got.State != HealthNotServing {
			t.Errorf("fromProtoHealth(%v) state = %q, want not_serving", s, got.State)
		}
	}
}

func TestConvertEmbeddings(t *testing.T) {
	tests := []struct {
		name string
		in   [][]float32
		want [][]float32
	}{
		{"nil", nil, nil},
		{"empty", [][]float32{}, nil},
		{"order and empty vectors kept", [][]float32{{1, 2}, {}, nil, {float32(math.Inf(1)), -0.5}},
			[][]float32{{1, 2}, nil, nil, {float32(math.Inf(1)), -0.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := toProtoEmbeddings(tt.in)
			if len(p) != len(tt.want) {
				t.Fatalf("%d embeddings, want %d", len(p), len(tt.want))
			}
			if got := fromProtoEmbeddings(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// A nil entry (not possible over the wire) reads as an empty vector.
	if got := fromProtoEmbeddings([]*pb.Embedding{nil, {Values: []float32{1}}}); !reflect.DeepEqual(got, [][]float32{nil, {1}}) {
		t.Errorf("got %v", got)
	}
}

func TestConvertSliceHelpers(t *testing.T) {
	models := []Model{*convFullModel(), {Name: "b"}}
	if got := fromProtoModels(toProtoModels(models)); !reflect.DeepEqual(got, models) {
		t.Errorf("models: %v", convertDiff(got, models))
	}
	if toProtoModels(nil) != nil || fromProtoModels(nil) != nil {
		t.Errorf("nil model lists must stay nil")
	}
	if got := fromProtoModels([]*pb.Model{nil, {Name: "x"}}); !reflect.DeepEqual(got, []Model{{}, {Name: "x"}}) {
		t.Errorf("nil element: %+v", got)
	}

	provs := []ProviderStatus{*convFullProviderStatus(), {Name: "other"}}
	if got := fromProtoProviderStatuses(toProtoProviderStatuses(provs)); !reflect.DeepEqual(got, provs) {
		t.Errorf("providers: %v", convertDiff(got, provs))
	}
	if toProtoProviderStatuses([]ProviderStatus{}) != nil || fromProtoProviderStatuses(nil) != nil {
		t.Errorf("empty provider lists must be nil")
	}
	if got := fromProtoProviderStatuses([]*pb.ProviderStatus{nil}); !reflect.DeepEqual(got, []ProviderStatus{{}}) {
		t.Errorf("nil element: %+v", got)
	}

	// A nil capabilities entry still lists the service.
	info := fromProtoInfo(&pb.GetInfoResponse{Services: map[string]*pb.ServiceCapabilities{"chat": nil}})
	if c, ok := info.Services["chat"]; !ok || c != (Capabilities{}) {
		t.Errorf("services = %+v", info.Services)
	}
	// A nil message in a response reads as a zero Message.
	if got := fromProtoChatResponse(&pb.ChatResponse{Model: "m"}); !reflect.DeepEqual(got, &ChatResponse{Model: "m"}) {
		t.Errorf("got %+v", got)
	}
	if got := fromProtoMessages([]*pb.Message{nil}); !reflect.DeepEqual(got, []Message{{}}) {
		t.Errorf("got %+v", got)
	}
}

// TestConvertMapsAndPointersAreCopied: maps and optional scalars do not
// alias between the SDK value and its proto form.
func TestConvertMapsAndPointersAreCopied(t *testing.T) {
	in := convFullModelDetails()
	p := toProtoModelDetails(in)
	p.Details["family"] = "changed"
	if in.Details["family"] != "llama" {
		t.Errorf("proto map aliases the SDK map")
	}
	req := &LoadRequest{Model: "m", KeepAlive: convPtr(5.0)}
	lp := toProtoLoadRequest(req)
	*lp.KeepAliveSeconds = 9
	if *req.KeepAlive != 5 {
		t.Errorf("proto optional aliases the SDK pointer")
	}
	cfg := convFullConfig()
	back := fromProtoConfig(toProtoConfig(cfg))
	back.Providers[0].Headers["X"] = "y"
	if _, ok := cfg.Providers[0].Headers["X"]; ok {
		t.Errorf("headers alias")
	}
}
