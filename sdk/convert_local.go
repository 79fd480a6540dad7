package sdk

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
)

// Conversions of the EngineService and ModelService messages, and of
// Progress. See convert_helpers.go for the shared rules.

func toProtoProgress(p *Progress) *pb.Progress {
	if p == nil {
		return nil
	}
	return &pb.Progress{
		Status:    p.Status,
		Digest:    p.Digest,
		Total:     p.Total,
		Completed: p.Completed,
		Message:   p.Message,
	}
}

func fromProtoProgress(p *pb.Progress) *Progress {
	if p == nil {
		return nil
	}
	return &Progress{
		Status:    p.GetStatus(),
		Digest:    p.GetDigest(),
		Total:     p.GetTotal(),
		Completed: p.GetCompleted(),
		Message:   p.GetMessage(),
	}
}

// ---- engine ----------------------------------------------------------------

// toProtoEngineStatus clamps PID and Restarts to int32.
func toProtoEngineStatus(s *EngineStatus) *pb.EngineStatusResponse {
	if s == nil {
		return nil
	}
	return &pb.EngineStatusResponse{
		Installed:  s.Installed,
		Running:    s.Running,
		Version:    s.Version,
		Mode:       s.Mode,
		Host:       s.Host,
		Executable: s.Executable,
		Pid:        clampToInt32(s.PID),
		Restarts:   clampToInt32(s.Restarts),
		LastError:  s.LastError,
	}
}

func fromProtoEngineStatus(s *pb.EngineStatusResponse) *EngineStatus {
	if s == nil {
		return nil
	}
	return &EngineStatus{
		Installed:  s.GetInstalled(),
		Running:    s.GetRunning(),
		Version:    s.GetVersion(),
		Mode:       s.GetMode(),
		Host:       s.GetHost(),
		Executable: s.GetExecutable(),
		PID:        int(s.GetPid()),
		Restarts:   int(s.GetRestarts()),
		LastError:  s.GetLastError(),
	}
}

func toProtoInstallEngineRequest(r *InstallEngineRequest) *pb.InstallEngineRequest {
	if r == nil {
		return nil
	}
	return &pb.InstallEngineRequest{Version: r.Version, Url: r.URL, Sha256: r.SHA256}
}

func fromProtoInstallEngineRequest(r *pb.InstallEngineRequest) *InstallEngineRequest {
	if r == nil {
		return nil
	}
	return &InstallEngineRequest{Version: r.GetVersion(), URL: r.GetUrl(), SHA256: r.GetSha256()}
}

// toProtoUpgradeEngineRequest converts the request of UpgradeEngine, which
// the SDK shares with InstallEngine.
func toProtoUpgradeEngineRequest(r *InstallEngineRequest) *pb.UpgradeEngineRequest {
	if r == nil {
		return nil
	}
	return &pb.UpgradeEngineRequest{Version: r.Version, Url: r.URL, Sha256: r.SHA256}
}

func fromProtoUpgradeEngineRequest(r *pb.UpgradeEngineRequest) *InstallEngineRequest {
	if r == nil {
		return nil
	}
	return &InstallEngineRequest{Version: r.GetVersion(), URL: r.GetUrl(), SHA256: r.GetSha256()}
}

// ---- models ----------------------------------------------------------------

func toProtoPullRequest(r *PullRequest) *pb.PullModelRequest {
	if r == nil {
		return nil
	}
	return &pb.PullModelRequest{Model: r.Model, Insecure: r.Insecure}
}

func fromProtoPullRequest(r *pb.PullModelRequest) *PullRequest {
	if r == nil {
		return nil
	}
	return &PullRequest{Model: r.GetModel(), Insecure: r.GetInsecure()}
}

func toProtoLoadRequest(r *LoadRequest) *pb.LoadModelRequest {
	if r == nil {
		return nil
	}
	return &pb.LoadModelRequest{Model: r.Model, KeepAliveSeconds: float64PtrCopy(r.KeepAlive)}
}

func fromProtoLoadRequest(r *pb.LoadModelRequest) *LoadRequest {
	if r == nil {
		return nil
	}
	return &LoadRequest{Model: r.GetModel(), KeepAlive: float64PtrCopy(r.KeepAliveSeconds)}
}

// toProtoModel clamps ContextLength to int32.
func toProtoModel(m *Model) *pb.Model {
	if m == nil {
		return nil
	}
	return &pb.Model{
		Name:           m.Name,
		SizeBytes:      m.SizeBytes,
		Digest:         m.Digest,
		ModifiedAtUnix: m.ModifiedAt,
		Family:         m.Family,
		ParameterSize:  m.ParameterSize,
		Quantization:   m.Quantization,
		Format:         m.Format,
		SizeVramBytes:  m.SizeVRAMBytes,
		ExpiresAtUnix:  m.ExpiresAt,
		ContextLength:  clampToInt32(m.ContextLength),
		Services:       nilIfEmpty(m.Services),
	}
}

func fromProtoModel(m *pb.Model) *Model {
	if m == nil {
		return nil
	}
	return &Model{
		Name:          m.GetName(),
		SizeBytes:     m.GetSizeBytes(),
		Digest:        m.GetDigest(),
		ModifiedAt:    m.GetModifiedAtUnix(),
		Family:        m.GetFamily(),
		ParameterSize: m.GetParameterSize(),
		Quantization:  m.GetQuantization(),
		Format:        m.GetFormat(),
		SizeVRAMBytes: m.GetSizeVramBytes(),
		ExpiresAt:     m.GetExpiresAtUnix(),
		ContextLength: int(m.GetContextLength()),
		Services:      nilIfEmpty(m.GetServices()),
	}
}

// toProtoModels converts a model list; empty gives nil.
func toProtoModels(ms []Model) []*pb.Model {
	if len(ms) == 0 {
		return nil
	}
	out := make([]*pb.Model, len(ms))
	for i := range ms {
		out[i] = toProtoModel(&ms[i])
	}
	return out
}

// fromProtoModels converts a model list; empty gives nil and a nil element
// becomes a zero Model.
func fromProtoModels(ms []*pb.Model) []Model {
	if len(ms) == 0 {
		return nil
	}
	out := make([]Model, len(ms))
	for i, m := range ms {
		if v := fromProtoModel(m); v != nil {
			out[i] = *v
		}
	}
	return out
}

func toProtoModelDetails(d *ModelDetails) *pb.ShowModelResponse {
	if d == nil {
		return nil
	}
	return &pb.ShowModelResponse{
		Model:      toProtoModel(&d.Model),
		Template:   d.Template,
		Parameters: d.Parameters,
		License:    d.License,
		Details:    cloneMapOrNil(d.Details),
	}
}

func fromProtoModelDetails(d *pb.ShowModelResponse) *ModelDetails {
	if d == nil {
		return nil
	}
	out := &ModelDetails{
		Template:   d.GetTemplate(),
		Parameters: d.GetParameters(),
		License:    d.GetLicense(),
		Details:    cloneMapOrNil(d.GetDetails()),
	}
	if m := fromProtoModel(d.GetModel()); m != nil {
		out.Model = *m
	}
	return out
}
