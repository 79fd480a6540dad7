package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the provider messages (PluginService.ListProviders,
// TestProvider) and of provider configuration.

func ToProtoProviderStatus(p *types.ProviderStatus) *pb.ProviderStatus {
	if p == nil {
		return nil
	}
	return &pb.ProviderStatus{
		Name:        p.Name,
		BaseUrl:     p.BaseURL,
		Models:      nilIfEmpty(p.Models),
		KeyStrategy: p.KeyStrategy,
		Keys:        ToProtoKeyStatuses(p.Keys),
	}
}

func FromProtoProviderStatus(p *pb.ProviderStatus) *types.ProviderStatus {
	if p == nil {
		return nil
	}
	return &types.ProviderStatus{
		Name:        p.GetName(),
		BaseURL:     p.GetBaseUrl(),
		Models:      nilIfEmpty(p.GetModels()),
		KeyStrategy: p.GetKeyStrategy(),
		Keys:        FromProtoKeyStatuses(p.GetKeys()),
	}
}

// ToProtoProviderStatuses converts ListProviders' answer; empty gives nil.
func ToProtoProviderStatuses(ps []types.ProviderStatus) []*pb.ProviderStatus {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*pb.ProviderStatus, len(ps))
	for i := range ps {
		out[i] = ToProtoProviderStatus(&ps[i])
	}
	return out
}

// FromProtoProviderStatuses converts ListProviders' answer; empty gives nil
// and a nil element becomes a zero ProviderStatus.
func FromProtoProviderStatuses(ps []*pb.ProviderStatus) []types.ProviderStatus {
	if len(ps) == 0 {
		return nil
	}
	out := make([]types.ProviderStatus, len(ps))
	for i, p := range ps {
		if v := FromProtoProviderStatus(p); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ToProtoKeyStatus clamps CurrentRPM to int32.
func ToProtoKeyStatus(k *types.KeyStatus) *pb.KeyStatus {
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

func FromProtoKeyStatus(k *pb.KeyStatus) *types.KeyStatus {
	if k == nil {
		return nil
	}
	return &types.KeyStatus{
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

func ToProtoKeyStatuses(ks []types.KeyStatus) []*pb.KeyStatus {
	if len(ks) == 0 {
		return nil
	}
	out := make([]*pb.KeyStatus, len(ks))
	for i := range ks {
		out[i] = ToProtoKeyStatus(&ks[i])
	}
	return out
}

func FromProtoKeyStatuses(ks []*pb.KeyStatus) []types.KeyStatus {
	if len(ks) == 0 {
		return nil
	}
	out := make([]types.KeyStatus, len(ks))
	for i, k := range ks {
		if v := FromProtoKeyStatus(k); v != nil {
			out[i] = *v
		}
	}
	return out
}

func ToProtoProviderTest(t *types.ProviderTest) *pb.TestProviderResponse {
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

func FromProtoProviderTest(t *pb.TestProviderResponse) *types.ProviderTest {
	if t == nil {
		return nil
	}
	return &types.ProviderTest{
		OK:      t.GetOk(),
		Message: t.GetMessage(),
		Latency: t.GetLatencySeconds(),
		Models:  nilIfEmpty(t.GetModels()),
	}
}
