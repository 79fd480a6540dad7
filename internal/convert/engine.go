package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the EngineService messages, and of
// Progress. See helpers.go for the shared rules.

func ToProtoProgress(p *types.Progress) *pb.Progress {
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

func FromProtoProgress(p *pb.Progress) *types.Progress {
	if p == nil {
		return nil
	}
	return &types.Progress{
		Status:    p.GetStatus(),
		Digest:    p.GetDigest(),
		Total:     p.GetTotal(),
		Completed: p.GetCompleted(),
		Message:   p.GetMessage(),
	}
}

// ToProtoEngineStatus clamps PID and Restarts to int32.
func ToProtoEngineStatus(s *types.EngineStatus) *pb.EngineStatusResponse {
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

func FromProtoEngineStatus(s *pb.EngineStatusResponse) *types.EngineStatus {
	if s == nil {
		return nil
	}
	return &types.EngineStatus{
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

func ToProtoInstallEngineRequest(r *types.InstallEngineRequest) *pb.InstallEngineRequest {
	if r == nil {
		return nil
	}
	return &pb.InstallEngineRequest{Version: r.Version, Url: r.URL, Sha256: r.SHA256}
}

func FromProtoInstallEngineRequest(r *pb.InstallEngineRequest) *types.InstallEngineRequest {
	if r == nil {
		return nil
	}
	return &types.InstallEngineRequest{Version: r.GetVersion(), URL: r.GetUrl(), SHA256: r.GetSha256()}
}

// ToProtoUpgradeEngineRequest converts the request of UpgradeEngine, which
// the SDK shares with InstallEngine.
func ToProtoUpgradeEngineRequest(r *types.InstallEngineRequest) *pb.UpgradeEngineRequest {
	if r == nil {
		return nil
	}
	return &pb.UpgradeEngineRequest{Version: r.Version, Url: r.URL, Sha256: r.SHA256}
}

func FromProtoUpgradeEngineRequest(r *pb.UpgradeEngineRequest) *types.InstallEngineRequest {
	if r == nil {
		return nil
	}
	return &types.InstallEngineRequest{Version: r.GetVersion(), URL: r.GetUrl(), SHA256: r.GetSha256()}
}
