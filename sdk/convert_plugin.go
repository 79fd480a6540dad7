package sdk

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
)

// Conversions of the PluginService messages. See convert_helpers.go for the
// shared rules.

// ---- info ------------------------------------------------------------------

func toProtoInfo(i *Info) *pb.GetInfoResponse {
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
		Compute:    toProtoCompute(i.Compute),
		Details:    cloneMapOrNil(i.Details),
	}
	if len(i.Services) > 0 {
		out.Services = make(map[string]*pb.ServiceCapabilities, len(i.Services))
		for name, c := range i.Services {
			out.Services[name] = toProtoCapabilities(&c)
		}
	}
	return out
}

// fromProtoInfo converts GetInfo's answer; a nil capabilities entry in the
// services map becomes zero Capabilities (the service is still listed).
func fromProtoInfo(i *pb.GetInfoResponse) *Info {
	if i == nil {
		return nil
	}
	out := &Info{
		Name:       i.GetName(),
		Version:    i.GetVersion(),
		Type:       i.GetType(),
		SDKVersion: i.GetSdkVersion(),
		EngineMode: i.GetEngineMode(),
		EngineHost: i.GetEngineHost(),
		Compute:    fromProtoCompute(i.GetCompute()),
		Details:    cloneMapOrNil(i.GetDetails()),
	}
	if svcs := i.GetServices(); len(svcs) > 0 {
		out.Services = make(map[string]Capabilities, len(svcs))
		for name, c := range svcs {
			var v Capabilities
			if p := fromProtoCapabilities(c); p != nil {
				v = *p
			}
			out.Services[name] = v
		}
	}
	return out
}

func toProtoCompute(c *Compute) *pb.Compute {
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

func fromProtoCompute(c *pb.Compute) *Compute {
	if c == nil {
		return nil
	}
	return &Compute{
		Kind:           c.GetKind(),
		GPUType:        GPUType(c.GetGpuType()),
		VRAMUsedBytes:  c.GetVramUsedBytes(),
		VRAMTotalBytes: c.GetVramTotalBytes(),
	}
}

func toProtoCapabilities(c *Capabilities) *pb.ServiceCapabilities {
	if c == nil {
		return nil
	}
	return &pb.ServiceCapabilities{
		SupportStreaming:     c.SupportStreaming,
		SupportBidirectional: c.SupportBidirectional,
	}
}

func fromProtoCapabilities(c *pb.ServiceCapabilities) *Capabilities {
	if c == nil {
		return nil
	}
	return &Capabilities{
		SupportStreaming:     c.GetSupportStreaming(),
		SupportBidirectional: c.GetSupportBidirectional(),
	}
}

// ---- health ----------------------------------------------------------------

// toProtoHealth maps the state to the wire enum. It fails closed: a state
// other than serving, starting or not_serving (including "") is sent as
// STATUS_NOT_SERVING, so that a plugin reporting nonsense gets no traffic.
// The message travels unchanged.
func toProtoHealth(h *Health) *pb.HealthResponse {
	if h == nil {
		return nil
	}
	return &pb.HealthResponse{Status: toProtoHealthState(h.State), Message: h.Message}
}

// fromProtoHealth maps the wire enum back. It fails closed too:
// STATUS_UNSPECIFIED (a peer that did not set it) and enum values this SDK
// does not know (a newer peer) become HealthNotServing.
func fromProtoHealth(h *pb.HealthResponse) *Health {
	if h == nil {
		return nil
	}
	return &Health{State: fromProtoHealthState(h.GetStatus()), Message: h.GetMessage()}
}

func toProtoHealthState(s HealthState) pb.HealthResponse_Status {
	switch s {
	case HealthServing:
		return pb.HealthResponse_STATUS_SERVING
	case HealthStarting:
		return pb.HealthResponse_STATUS_STARTING
	default:
		return pb.HealthResponse_STATUS_NOT_SERVING
	}
}

func fromProtoHealthState(s pb.HealthResponse_Status) HealthState {
	switch s {
	case pb.HealthResponse_STATUS_SERVING:
		return HealthServing
	case pb.HealthResponse_STATUS_STARTING:
		return HealthStarting
	default:
		return HealthNotServing
	}
}

// ---- configure -------------------------------------------------------------

// toProtoConfig converts the Configure request. Settings go through
// toProtoStruct, with its losses (numbers become float64...).
func toProtoConfig(c *Config) *pb.ConfigureRequest {
	if c == nil {
		return nil
	}
	return &pb.ConfigureRequest{
		Settings:  toProtoStruct(c.Settings),
		Providers: toProtoProviderConfigs(c.Providers),
		DataDir:   c.DataDir,
	}
}

func fromProtoConfig(c *pb.ConfigureRequest) *Config {
	if c == nil {
		return nil
	}
	return &Config{
		Settings:  fromProtoStruct(c.GetSettings()),
		Providers: fromProtoProviderConfigs(c.GetProviders()),
		DataDir:   c.GetDataDir(),
	}
}

func toProtoProviderConfig(p *ProviderConfig) *pb.ProviderConfig {
	if p == nil {
		return nil
	}
	return &pb.ProviderConfig{
		Name:           p.Name,
		BaseUrl:        p.BaseURL,
		ApiKeys:        toProtoAPIKeys(p.APIKeys),
		Models:         nilIfEmpty(p.Models),
		Headers:        cloneMapOrNil(p.Headers),
		TimeoutSeconds: p.Timeout,
		KeyStrategy:    p.KeyStrategy,
		AuthType:       p.AuthType,
	}
}

func fromProtoProviderConfig(p *pb.ProviderConfig) *ProviderConfig {
	if p == nil {
		return nil
	}
	return &ProviderConfig{
		Name:        p.GetName(),
		BaseURL:     p.GetBaseUrl(),
		APIKeys:     fromProtoAPIKeys(p.GetApiKeys()),
		Models:      nilIfEmpty(p.GetModels()),
		Headers:     cloneMapOrNil(p.GetHeaders()),
		Timeout:     p.GetTimeoutSeconds(),
		KeyStrategy: p.GetKeyStrategy(),
		AuthType:    p.GetAuthType(),
	}
}

func toProtoProviderConfigs(ps []ProviderConfig) []*pb.ProviderConfig {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*pb.ProviderConfig, len(ps))
	for i := range ps {
		out[i] = toProtoProviderConfig(&ps[i])
	}
	return out
}

func fromProtoProviderConfigs(ps []*pb.ProviderConfig) []ProviderConfig {
	if len(ps) == 0 {
		return nil
	}
	out := make([]ProviderConfig, len(ps))
	for i, p := range ps {
		if v := fromProtoProviderConfig(p); v != nil {
			out[i] = *v
		}
	}
	return out
}

// toProtoAPIKey converts a credential (the secret travels in clear: this is
// the Configure path) and clamps Weight, Priority, RPM and RPD to int32.
func toProtoAPIKey(k *APIKey) *pb.ApiKey {
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

func fromProtoAPIKey(k *pb.ApiKey) *APIKey {
	if k == nil {
		return nil
	}
	return &APIKey{
		Value:    k.GetValue(),
		Weight:   int(k.GetWeight()),
		Priority: int(k.GetPriority()),
		RPM:      int(k.GetRpmLimit()),
		RPD:      int(k.GetRpdLimit()),
		Label:    k.GetLabel(),
	}
}

func toProtoAPIKeys(ks []APIKey) []*pb.ApiKey {
	if len(ks) == 0 {
		return nil
	}
	out := make([]*pb.ApiKey, len(ks))
	for i := range ks {
		out[i] = toProtoAPIKey(&ks[i])
	}
	return out
}

func fromProtoAPIKeys(ks []*pb.ApiKey) []APIKey {
	if len(ks) == 0 {
		return nil
	}
	out := make([]APIKey, len(ks))
	for i, k := range ks {
		if v := fromProtoAPIKey(k); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ---- providers -------------------------------------------------------------

func toProtoProviderStatus(p *ProviderStatus) *pb.ProviderStatus {
	if p == nil {
		return nil
	}
	return &pb.ProviderStatus{
		Name:        p.Name,
		BaseUrl:     p.BaseURL,
		Models:      nilIfEmpty(p.Models),
		KeyStrategy: p.KeyStrategy,
		Keys:        toProtoKeyStatuses(p.Keys),
	}
}

func fromProtoProviderStatus(p *pb.ProviderStatus) *ProviderStatus {
	if p == nil {
		return nil
	}
	return &ProviderStatus{
		Name:        p.GetName(),
		BaseURL:     p.GetBaseUrl(),
		Models:      nilIfEmpty(p.GetModels()),
		KeyStrategy: p.GetKeyStrategy(),
		Keys:        fromProtoKeyStatuses(p.GetKeys()),
	}
}

// toProtoProviderStatuses converts ListProviders' answer; empty gives nil.
func toProtoProviderStatuses(ps []ProviderStatus) []*pb.ProviderStatus {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*pb.ProviderStatus, len(ps))
	for i := range ps {
		out[i] = toProtoProviderStatus(&ps[i])
	}
	return out
}

// fromProtoProviderStatuses converts ListProviders' answer; empty gives nil
// and a nil element becomes a zero ProviderStatus.
func fromProtoProviderStatuses(ps []*pb.ProviderStatus) []ProviderStatus {
	if len(ps) == 0 {
		return nil
	}
	out := make([]ProviderStatus, len(ps))
	for i, p := range ps {
		if v := fromProtoProviderStatus(p); v != nil {
			out[i] = *v
		}
	}
	return out
}

// toProtoKeyStatus clamps CurrentRPM to int32.
func toProtoKeyStatus(k *KeyStatus) *pb.KeyStatus {
	if k == nil {
		return nil
	}
	return &pb.KeyStatus{
		Masked:            k.Masked,
		Label:             k.Label,
		State:             k.State,
		Reason:            k.Reason,
		Requests:          k.Requests,
		Failures:          k.Failures,
		LastError:         k.LastError,
		CurrentRpm:        clampToInt32(k.CurrentRPM),
		CooldownUntilUnix: k.CooldownUntil,
	}
}

func fromProtoKeyStatus(k *pb.KeyStatus) *KeyStatus {
	if k == nil {
		return nil
	}
	return &KeyStatus{
		Masked:        k.GetMasked(),
		Label:         k.GetLabel(),
		State:         k.GetState(),
		Reason:        k.GetReason(),
		Requests:      k.GetRequests(),
		Failures:      k.GetFailures(),
		LastError:     k.GetLastError(),
		CurrentRPM:    int(k.GetCurrentRpm()),
		CooldownUntil: k.GetCooldownUntilUnix(),
	}
}

func toProtoKeyStatuses(ks []KeyStatus) []*pb.KeyStatus {
	if len(ks) == 0 {
		return nil
	}
	out := make([]*pb.KeyStatus, len(ks))
	for i := range ks {
		out[i] = toProtoKeyStatus(&ks[i])
	}
	return out
}

func fromProtoKeyStatuses(ks []*pb.KeyStatus) []KeyStatus {
	if len(ks) == 0 {
		return nil
	}
	out := make([]KeyStatus, len(ks))
	for i, k := range ks {
		if v := fromProtoKeyStatus(k); v != nil {
			out[i] = *v
		}
	}
	return out
}

func toProtoProviderTest(t *ProviderTest) *pb.TestProviderResponse {
	if t == nil {
		return nil
	}
	return &pb.TestProviderResponse{
		Ok:             t.OK,
		Message:        t.Message,
		LatencySeconds: t.Latency,
		Models:         nilIfEmpty(t.Models),
	}
}

func fromProtoProviderTest(t *pb.TestProviderResponse) *ProviderTest {
	if t == nil {
		return nil
	}
	return &ProviderTest{
		OK:      t.GetOk(),
		Message: t.GetMessage(),
		Latency: t.GetLatencySeconds(),
		Models:  nilIfEmpty(t.GetModels()),
	}
}
