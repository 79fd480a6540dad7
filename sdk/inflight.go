package sdk

import (
	"context"
	"encoding/json"
	"os"
	"path"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// envInflightFile names a file where Serve keeps its call accounting: the
// handler calls running now and the unary calls answered with a nil
// response, per gRPC method. The conformance suite (sdk/sdktest, which
// keeps its own copy of this name) sets it for the plugins it launches, to
// see whether cancelling a call really ended the plugin's handler. Real
// hosts never set it, and then Serve installs nothing.
//
// A file, rather than a gRPC trailer or a reserved Health/Info detail:
// the wire protocol and the types the host sees stay untouched, the
// host-side Conn needs no new API, and the suite can read it while the
// plugin's handlers are wedged.
const envInflightFile = "ROUNDHOUSE_SDK_INFLIGHT_FILE"

// inflightOptions returns the interceptors that keep the accounting, or
// nothing when envInflightFile is unset.
func inflightOptions() []grpc.ServerOption {
	file := os.Getenv(envInflightFile)
	if file == "" {
		return nil
	}
	a := &inflight{file: file, Running: map[string]int{}, NilResponses: map[string]int{}}
	a.write()
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			m := path.Base(info.FullMethod)
			a.add(m, 1, false)
			nilResp := false
			defer func() { a.add(m, -1, nilResp) }()
			resp, err := h(ctx, req)
			if pm, ok := resp.(proto.Message); err == nil && (resp == nil || ok && !pm.ProtoReflect().IsValid()) {
				nilResp = true
			}
			return resp, err
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			m := path.Base(info.FullMethod)
			a.add(m, 1, false)
			defer a.add(m, -1, false)
			return h(srv, ss)
		}),
	}
}

// inflight is the accounting, rewritten whole (write and rename) on every
// change so a reader never sees half a file.
type inflight struct {
	mu           sync.Mutex
	file         string
	Running      map[string]int `json:"running"`
	NilResponses map[string]int `json:"nil_responses"`
}

func (a *inflight) add(method string, d int, nilResp bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Running[method] += d
	if nilResp {
		a.NilResponses[method]++
	}
	a.write()
}

func (a *inflight) write() {
	b, _ := json.Marshal(a)
	tmp := a.file + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, a.file)
	}
}
