package convert

import (
	"slices"

	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the PluginService messages. See helpers.go for the
// shared rules.

// ---- info ------------------------------------------------------------------

func ToProtoInfo(i *types.Info) *pb.GetInfoResponse {
	if i == nil {
		return nil
	}
	out := &pb.GetInfoResponse{
		Name:       i.Name,
		Version:    i.Version,
		Type:       i.Type,
		SdkVersion: i.SDKVersion,
		EngineMode: i.EngineMode,
		EngineHost: i.EngineHost,
		Compute:    ToProtoCompute(i.Compute),
		Details:    cloneMapOrNil(i.Details),
	}
	if i.Implemented != nil {
		out.Implemented = &pb.ImplementedServices{Names: slices.Clone(i.Implemented)}
	}
	if len(i.Services) > 0 {
		out.Services = make(map[string]*pb.ServiceCapabilities, len(i.Services))
		for name, c := range i.Services {
			out.Services[name] = ToProtoCapabilities(&c)
		}
	}
	return out
}

// FromProtoInfo converts GetInfo's answer; a nil capabilities entry in the
// services map becomes zero Capabilities (the service is still listed).
func FromProtoInfo(i *pb.GetInfoResponse) *types.Info {
	if i == nil {
		return nil
	}
	out := &types.Info{
		Name:       i.GetName(),
		Version:    i.GetVersion(),
		Type:       i.GetType(),
		SDKVersion: i.GetSdkVersion(),
		EngineMode: i.GetEngineMode(),
		EngineHost: i.GetEngineHost(),
		Compute:    FromProtoCompute(i.GetCompute()),
		Details:    cloneMapOrNil(i.GetDetails()),
	}
	if im := i.GetImplemented(); im != nil {
		out.Implemented = append([]string{}, im.GetNames()...)
	}
	if svcs := i.GetServices(); len(svcs) > 0 {
		out.Services = make(map[string]types.Capabilities, len(svcs))
		for name, c := range svcs {
			var v types.Capabilities
			if p := FromProtoCapabilities(c); p != nil {
				v = *p
			}
			out.Services[name] = v
		}
	}
	return out
}

func ToProtoCompute(c *types.Compute) *pb.Compute {
	if c == nil {
		return nil
	}
	return &pb.Compute{
		Kind:           c.Kind,
		GpuType:        string(c.GPUType),
		VramUsedBytes:  c.VRAMUsedBytes,
		VramTotalBytes: c.VRAMTotalBytes,
	}
}

func FromProtoCompute(c *pb.Compute) *types.Compute {
	if c == nil {
		return nil
	}
	return &types.Compute{
		Kind:           c.GetKind(),
		GPUType:        types.GPUType(c.GetGpuType()),
		VRAMUsedBytes:  c.GetVramUsedBytes(),
		VRAMTotalBytes: c.GetVramTotalBytes(),
	}
}

func ToProtoCapabilities(c *types.Capabilities) *pb.ServiceCapabilities {
	if c == nil {
		return nil
	}
	return &pb.ServiceCapabilities{
		SupportStreaming:     c.SupportStreaming,
		SupportBidirectional: c.SupportBidirectional,
	}
}

func FromProtoCapabilities(c *pb.ServiceCapabilities) *types.Capabilities {
	if c == nil {
		return nil
	}
	return &types.Capabilities{
		SupportStreaming:     c.GetSupportStreaming(),
		SupportBidirectional: c.GetSupportBidirectional(),
	}
}

// ---- health ----------------------------------------------------------------

// ToProtoHealth maps the state to the wire enum. It fails closed: a state
// other than serving, starting or not_serving (including "") is sent as
// STATUS_NOT_SERVING, so that a plugin reporting nonsense gets no traffic.
// The message travels unchanged.
func ToProtoHealth(h *types.Health) *pb.HealthResponse {
	if h == nil {
		return nil
	}
	return &pb.HealthResponse{Status: ToProtoHealthState(h.State), Message: h.Message}
}

// FromProtoHealth maps the wire enum back. It fails closed too:
// STATUS_UNSPECIFIED (a peer that did not set it) and enum values this SDK
// does not know (a newer peer) become HealthNotServing.
func FromProtoHealth(h *pb.HealthResponse) *types.Health {
	if h == nil {
		return nil
	}
	return &types.Health{State: FromProtoHealthState(h.GetStatus()), Message: h.GetMessage()}
}

func ToProtoHealthState(s types.HealthState) pb.HealthResponse_Status {
	switch s {
	case types.HealthServing:
		return pb.HealthResponse_STATUS_SERVING
	case types.HealthStarting:
		return pb.HealthResponse_STATUS_STARTING
	default:
		return pb.HealthResponse_STATUS_NOT_SERVING
	}
}

func FromProtoHealthState(s pb.HealthResponse_Status) types.HealthState {
	switch s {
	case pb.HealthResponse_STATUS_SERVING:
		return types.HealthServing
	case pb.HealthResponse_STATUS_STARTING:
		return types.HealthStarting
	default:
		return types.HealthNotServing
	}
}

// ---- configure -------------------------------------------------------------

// ToProtoConfig converts the Configure request. Settings go through
// ToProtoStruct, with its losses (numbers become float64...).
func ToProtoConfig(c *types.Config) *pb.ConfigureRequest {
	if c == nil {
		return nil
	}
	return &pb.ConfigureRequest{
		Settings:  ToProtoStruct(c.Settings),
		Providers: ToProtoProviderConfigs(c.Providers),
		DataDir:   c.DataDir,
	}
}

func FromProtoConfig(c *pb.ConfigureRequest) *types.Config {
	if c == nil {
		return nil
	}
	return &types.Config{
		Settings:  FromProtoStruct(c.GetSettings()),
		Providers: FromProtoProviderConfigs(c.GetProviders()),
		DataDir:   c.GetDataDir(),
	}
}

func ToProtoProviderConfig(p *types.ProviderConfig) *pb.ProviderConfig {
	if p == nil {
		return nil
	}
	return &pb.ProviderConfig{
		Name:           p.Name,
		BaseUrl:        p.BaseURL,
		ApiKeys:        ToProtoAPIKeys(p.APIKeys),
		Models:         nilIfEmpty(p.Models),
		Headers:        cloneMapOrNil(p.Headers),
		TimeoutSeconds: p.Timeout,
		KeyStrategy:    p.KeyStrategy,
		AuthType:       p.AuthType,
		Format:         p.Format,
	}
}

func FromProtoProviderConfig(p *pb.ProviderConfig) *types.ProviderConfig {
	if p == nil {
		return nil
	}
	return &types.ProviderConfig{
		Name:        p.GetName(),
		BaseURL:     p.GetBaseUrl(),
		APIKeys:     FromProtoAPIKeys(p.GetApiKeys()),
		Models:      nilIfEmpty(p.GetModels()),
		Headers:     cloneMapOrNil(p.GetHeaders()),
		Timeout:     p.GetTimeoutSeconds(),
		KeyStrategy: p.GetKeyStrategy(),
		AuthType:    p.GetAuthType(),
		Format:      p.GetFormat(),
	}
}

func ToProtoProviderConfigs(ps []types.ProviderConfig) []*pb.ProviderConfig {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*pb.ProviderConfig, len(ps))
	for i := range ps {
		out[i] = ToProtoProviderConfig(&ps[i])
	}
	return out
}

func FromProtoProviderConfigs(ps []*pb.ProviderConfig) []types.ProviderConfig {
	if len(ps) == 0 {
		return nil
	}
	out := make([]types.ProviderConfig, len(ps))
	for i, p := range ps {
		if v := FromProtoProviderConfig(p); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ToProtoAPIKey converts a credential (the secret travels in clear: this is
// the Configure path) and clamps Weight, Priority, RPM and RPD to int32.
func ToProtoAPIKey(k *types.APIKey) *pb.ApiKey {
	if k == nil {
		return nil
	}
	return &pb.ApiKey{
		Value:    k.Value,
		Weight:   clampToInt32(k.Weight),
		Priority: clampToInt32(k.Priority),
		RpmLimit: clampToInt32(k.RPM),
		RpdLimit: clampToInt32(k.RPD),
		Label:    k.Label,
	}
}

func FromProtoAPIKey(k *pb.ApiKey) *types.APIKey {
	if k == nil {
		return nil
	}
	return &types.APIKey{
		Value:    k.GetValue(),
		Weight:   int(k.GetWeight()),
		Priority: int(k.GetPriority()),
		RPM:      int(k.GetRpmLimit()),
		RPD:      int(k.GetRpdLimit()),
		Label:    k.GetLabel(),
	}
}

func ToProtoAPIKeys(ks []types.APIKey) []*pb.ApiKey {
	if len(ks) == 0 {
		return nil
	}
	out := make([]*pb.ApiKey, len(ks))
	for i := range ks {
		out[i] = ToProtoAPIKey(&ks[i])
	}
	return out
}

func FromProtoAPIKeys(ks []*pb.ApiKey) []types.APIKey {
	if len(ks) == 0 {
		return nil
	}
	out := make([]types.APIKey, len(ks))
	for i, k := range ks {
		if v := FromProtoAPIKey(k); v != nil {
			out[i] = *v
		}
	}
	return out
}
