package convert

import (
	"math"
	"reflect"
	"testing"

	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
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
		{"Options", FromProtoOptions(ToProtoOptions(&types.Options{TopK: convPtr(big), MaxTokens: convPtr(small), NumCtx: convPtr(big)})),
			&types.Options{TopK: convPtr(math.MaxInt32), MaxTokens: convPtr(math.MinInt32), NumCtx: convPtr(math.MaxInt32)}},
		{"Usage", FromProtoUsage(ToProtoUsage(&types.Usage{PromptTokens: big, CompletionTokens: small, TotalTokens: 5})),
			&types.Usage{PromptTokens: math.MaxInt32, CompletionTokens: math.MinInt32, TotalTokens: 5}},
		{"ToolCall", FromProtoToolCall(ToProtoToolCall(&types.ToolCall{Index: big})), &types.ToolCall{Index: math.MaxInt32}},
		{"EmbedRequest", FromProtoEmbedRequest(ToProtoEmbedRequest(&types.EmbedRequest{Dimensions: big})),
			&types.EmbedRequest{Dimensions: math.MaxInt32}},
		{"RerankRequest", FromProtoRerankRequest(ToProtoRerankRequest(&types.RerankRequest{TopN: small})),
			&types.RerankRequest{TopN: math.MinInt32}},
		{"RerankResult", FromProtoRerankResult(ToProtoRerankResult(&types.RerankResult{Index: big})),
			&types.RerankResult{Index: math.MaxInt32}},
		{"TextToImageRequest", FromProtoTextToImageRequest(ToProtoTextToImageRequest(&types.TextToImageRequest{N: big})),
			&types.TextToImageRequest{N: math.MaxInt32}},
		{"EngineStatus", FromProtoEngineStatus(ToProtoEngineStatus(&types.EngineStatus{PID: big, Restarts: small})),
			&types.EngineStatus{PID: math.MaxInt32, Restarts: math.MinInt32}},
		{"Model", FromProtoModel(ToProtoModel(&types.Model{ContextLength: big, SizeBytes: math.MaxInt64})),
			&types.Model{ContextLength: math.MaxInt32, SizeBytes: math.MaxInt64}},
		{"APIKey", FromProtoAPIKey(ToProtoAPIKey(&types.APIKey{Weight: big, Priority: small, RPM: big, RPD: big})),
			&types.APIKey{Weight: math.MaxInt32, Priority: math.MinInt32, RPM: math.MaxInt32, RPD: math.MaxInt32}},
		{"KeyStatus", FromProtoKeyStatus(ToProtoKeyStatus(&types.KeyStatus{CurrentRPM: big, Requests: math.MaxInt64})),
			&types.KeyStatus{CurrentRPM: math.MaxInt32, Requests: math.MaxInt64}},
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
		state types.HealthState
		wire  pb.HealthResponse_Status
		back  types.HealthState
	}{
		{"serving", types.HealthServing, pb.HealthResponse_STATUS_SERVING, types.HealthServing},
		{"starting", types.HealthStarting, pb.HealthResponse_STATUS_STARTING, types.HealthStarting},
		{"not serving", types.HealthNotServing, pb.HealthResponse_STATUS_NOT_SERVING, types.HealthNotServing},
		{"empty fails closed", "", pb.HealthResponse_STATUS_NOT_SERVING, types.HealthNotServing},
		{"unknown fails closed", "degraded", pb.HealthResponse_STATUS_NOT_SERVING, types.HealthNotServing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ToProtoHealth(&types.Health{State: tt.state, Message: "m"})
			if p.Status != tt.wire || p.Message != "m" {
				t.Errorf("ToProtoHealth = %v, want status %v", p, tt.wire)
			}
			if got := FromProtoHealth(p); got.State != tt.back || got.Message != "m" {
				t.Errorf("back = %+v, want state %q", got, tt.back)
			}
		})
	}
	for _, s := range []pb.HealthResponse_Status{pb.HealthResponse_STATUS_UNSPECIFIED, pb.HealthResponse_Status(42)} {
		if got := FromProtoHealth(&pb.HealthResponse{Status: s}); got.State != types.HealthNotServing {
			t.Errorf("FromProtoHealth(%v) state = %q, want not_serving", s, got.State)
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
			p := ToProtoEmbeddings(tt.in)
			if len(p) != len(tt.want) {
				t.Fatalf("%d embeddings, want %d", len(p), len(tt.want))
			}
			if got := FromProtoEmbeddings(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// A nil entry (not possible over the wire) reads as an empty vector.
	if got := FromProtoEmbeddings([]*pb.Embedding{nil, {Values: []float32{1}}}); !reflect.DeepEqual(got, [][]float32{nil, {1}}) {
		t.Errorf("got %v", got)
	}
}

func TestConvertSliceHelpers(t *testing.T) {
	models := []types.Model{*convFullModel(), {Name: "b"}}
	if got := FromProtoModels(ToProtoModels(models)); !reflect.DeepEqual(got, models) {
		t.Errorf("models: %v", convertDiff(got, models))
	}
	if ToProtoModels(nil) != nil || FromProtoModels(nil) != nil {
		t.Errorf("nil model lists must stay nil")
	}
	if got := FromProtoModels([]*pb.Model{nil, {Name: "x"}}); !reflect.DeepEqual(got, []types.Model{{}, {Name: "x"}}) {
		t.Errorf("nil element: %+v", got)
	}

	provs := []types.ProviderStatus{*convFullProviderStatus(), {Name: "other"}}
	if got := FromProtoProviderStatuses(ToProtoProviderStatuses(provs)); !reflect.DeepEqual(got, provs) {
		t.Errorf("providers: %v", convertDiff(got, provs))
	}
	if ToProtoProviderStatuses([]types.ProviderStatus{}) != nil || FromProtoProviderStatuses(nil) != nil {
		t.Errorf("empty provider lists must be nil")
	}
	if got := FromProtoProviderStatuses([]*pb.ProviderStatus{nil}); !reflect.DeepEqual(got, []types.ProviderStatus{{}}) {
		t.Errorf("nil element: %+v", got)
	}

	// A nil capabilities entry still lists the service.
	info := FromProtoInfo(&pb.GetInfoResponse{Services: map[string]*pb.ServiceCapabilities{"chat": nil}})
	if c, ok := info.Services["chat"]; !ok || c != (types.Capabilities{}) {
		t.Errorf("services = %+v", info.Services)
	}
	// A nil message in a response reads as a zero Message.
	if got := FromProtoChatResponse(&pb.ChatResponse{Model: "m"}); !reflect.DeepEqual(got, &types.ChatResponse{Model: "m"}) {
		t.Errorf("got %+v", got)
	}
	if got := FromProtoMessages([]*pb.Message{nil}); !reflect.DeepEqual(got, []types.Message{{}}) {
		t.Errorf("got %+v", got)
	}
}

// TestConvertMapsAndPointersAreCopied: maps and optional scalars do not
// alias between the SDK value and its proto form.
func TestConvertMapsAndPointersAreCopied(t *testing.T) {
	in := convFullModelDetails()
	p := ToProtoModelDetails(in)
	p.Details["family"] = "changed"
	if in.Details["family"] != "llama" {
		t.Errorf("proto map aliases the SDK map")
	}
	req := &types.LoadRequest{Model: "m", KeepAlive: convPtr(5.0)}
	lp := ToProtoLoadRequest(req)
	*lp.KeepAliveSeconds = 9
	if *req.KeepAlive != 5 {
		t.Errorf("proto optional aliases the SDK pointer")
	}
	cfg := convFullConfig()
	back := FromProtoConfig(ToProtoConfig(cfg))
	back.Providers[0].Headers["X"] = "y"
	if _, ok := cfg.Providers[0].Headers["X"]; ok {
		t.Errorf("headers alias")
	}
}
