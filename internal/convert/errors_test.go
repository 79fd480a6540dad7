package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

// convertAllCodes lists every Code constant of errors.go with the gRPC code
// it travels under. TestConvertErrorCodesComplete keeps it in step with
// codeNames.
var convertAllCodes = []struct {
	code types.Code
	grpc codes.Code
}{
	{types.CodeOK, codes.Unknown},
	{types.CodeUnknown, codes.Unknown},
	{types.CodeInvalidArgument, codes.InvalidArgument},
	{types.CodeNotFound, codes.NotFound},
	{types.CodeAlreadyExists, codes.AlreadyExists},
	{types.CodePermissionDenied, codes.PermissionDenied},
	{types.CodeUnauthenticated, codes.Unauthenticated},
	{types.CodeRateLimited, codes.ResourceExhausted},
	{types.CodeFailedPrecondition, codes.FailedPrecondition},
	{types.CodeCanceled, codes.Canceled},
	{types.CodeTimeout, codes.DeadlineExceeded},
	{types.CodeUnimplemented, codes.Unimplemented},
	{types.CodeInternal, codes.Internal},
	{types.CodeUnavailable, codes.Unavailable},
	{types.CodeQuotaExceeded, codes.ResourceExhausted},
	{types.CodeBudgetExceeded, codes.ResourceExhausted},

	{types.CodePluginNotFound, codes.NotFound},
	{types.CodePluginStartFailed, codes.Unavailable},
	{types.CodePluginCrashed, codes.Unavailable},
	{types.CodePluginNotConfigured, codes.FailedPrecondition},
	{types.CodeManifestInvalid, codes.FailedPrecondition},
	{types.CodePluginUnavailable, codes.Unavailable},

	{types.CodeEngineNotInstalled, codes.FailedPrecondition},
	{types.CodeEngineInstallFailed, codes.Internal},
	{types.CodeEngineStartFailed, codes.Unavailable},
	{types.CodeEngineUnavailable, codes.Unavailable},
	{types.CodeEngineChecksum, codes.Internal},
	{types.CodeEngineNotManaged, codes.PermissionDenied},
	{types.CodeEngineVersionUnknown, codes.Internal},

	{types.CodeModelNotFound, codes.NotFound},
	{types.CodeModelPullFailed, codes.Internal},
	{types.CodeModelInvalidName, codes.InvalidArgument},
	{types.CodeModelLoadFailed, codes.Internal},
	{types.CodeContextTooLong, codes.InvalidArgument},
	{types.CodeModelUnsupported, codes.FailedPrecondition},
	{types.CodeModelDeleteFailed, codes.Internal},

	{types.CodeServiceNotFound, codes.NotFound},
	{types.CodeServiceUnavailable, codes.Unavailable},
	{types.CodeUpstreamError, codes.Unavailable},
	{types.CodeContentFiltered, codes.InvalidArgument},
	{types.CodeUpstreamAuth, codes.FailedPrecondition},
	{types.CodeNoUsableKey, codes.Unavailable},
	{types.CodeUpstreamRateLimited, codes.ResourceExhausted},
	{types.CodeUpstreamQuota, codes.ResourceExhausted},
	{types.CodeUpstreamTimeout, codes.DeadlineExceeded},
}

func TestConvertErrorCodesComplete(t *testing.T) {
	// A code is known when it has a name; codes are below 5000.
	known := func(c types.Code) bool { return !strings.HasPrefix(c.String(), "code_") }
	seen := map[types.Code]bool{}
	for _, c := range convertAllCodes {
		if !known(c.code) {
			t.Errorf("code %d has no name", c.code)
		}
		seen[c.code] = true
	}
	for c := types.Code(0); c < 5000; c++ {
		if known(c) && !seen[c] {
			t.Errorf("code %v (%d) is missing from convertAllCodes", c, int(c))
		}
	}
}

// convertOverWire sends a status error through its wire form, as the gRPC
// transport does.
func convertOverWire(t *testing.T, err error) error {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("%v (%T) is not a status error", err, err)
	}
	p := st.Proto()
	b, merr := proto.Marshal(p)
	if merr != nil {
		t.Fatalf("marshal status: %v", merr)
	}
	p2 := proto.Clone(p)
	proto.Reset(p2)
	if uerr := proto.Unmarshal(b, p2); uerr != nil {
		t.Fatalf("unmarshal status: %v", uerr)
	}
	return status.ErrorProto(convertSameType(p, p2))
}

func convertSameType[M proto.Message](_ M, m proto.Message) M { return m.(M) }

// convertCheckError compares the fields that cross the boundary.
func convertCheckError(t *testing.T, got error, want *types.Error) {
	t.Helper()
	var e *types.Error
	if !errors.As(got, &e) {
		t.Fatalf("got %T %v, want *Error", got, got)
	}
	if e.Code != want.Code || e.Message != want.Message || e.Retryable != want.Retryable ||
		e.RetryAfter != want.RetryAfter || e.Field != want.Field {
		t.Errorf("got  {Code:%v Message:%q Retryable:%v RetryAfter:%v Field:%q}\nwant {Code:%v Message:%q Retryable:%v RetryAfter:%v Field:%q}",
			e.Code, e.Message, e.Retryable, e.RetryAfter, e.Field,
			want.Code, want.Message, want.Retryable, want.RetryAfter, want.Field)
	}
	if e.Error() != want.Error() {
		t.Errorf("Error() = %q, want %q", e.Error(), want.Error())
	}
}

func TestConvertErrorEveryCode(t *testing.T) {
	for i, c := range convertAllCodes {
		t.Run(c.code.String(), func(t *testing.T) {
			in := &types.Error{
				Code:       c.code,
				Message:    fmt.Sprintf("boom %d: rpc error: code = Internal desc = not a prefix", i),
				Retryable:  i%2 == 0,
				RetryAfter: time.Duration(i) * 1500 * time.Millisecond,
				Field:      fmt.Sprintf("messages[%d].role", i),
				Err:        io.ErrUnexpectedEOF,
			}
			serr := ToStatusError(in)
			st, ok := status.FromError(serr)
			if !ok {
				t.Fatalf("ToStatusError gave %T, not a status error", serr)
			}
			if st.Code() != c.grpc {
				t.Errorf("grpc code = %v, want %v", st.Code(), c.grpc)
			}
			if st.Message() != in.Message {
				t.Errorf("status message = %q, want %q", st.Message(), in.Message)
			}
			d := errorDetailOf(st)
			if d == nil {
				t.Fatalf("no ErrorDetail in %v", st.Details())
			}
			if types.Code(d.Code) != in.Code || d.Retryable != in.Retryable || d.Field != in.Field ||
				d.RetryAfterSeconds != in.RetryAfter.Seconds() {
				t.Errorf("detail = %+v", d)
			}

			back := FromStatusError(convertOverWire(t, serr))
			convertCheckError(t, back, in)
			if types.AsError(back).Transport {
				t.Errorf("an error the plugin sent (with ErrorDetail) must not be marked Transport")
			}
			if got := status.Code(back); got != c.grpc {
				t.Errorf("status.Code of the *Error = %v, want %v", got, c.grpc)
			}
			if types.ErrorCode(back) != in.Code {
				t.Errorf("ErrorCode = %v, want %v", types.ErrorCode(back), in.Code)
			}
		})
	}
}

func TestConvertErrorToStatus(t *testing.T) {
	tests := []struct {
		name     string
		in       error
		wantGRPC codes.Code
		want     *types.Error // what the host gets back
	}{
		{"context.Canceled", context.Canceled, codes.Canceled,
			&types.Error{Code: types.CodeCanceled, Message: "context canceled"}},
		{"context.DeadlineExceeded", context.DeadlineExceeded, codes.DeadlineExceeded,
			&types.Error{Code: types.CodeTimeout, Message: "context deadline exceeded"}},
		{"wrapped deadline", fmt.Errorf("calling ollama: %w", context.DeadlineExceeded), codes.DeadlineExceeded,
			&types.Error{Code: types.CodeTimeout, Message: "calling ollama: context deadline exceeded"}},
		{"cancel cause", convertCanceledCtxErr(), codes.Canceled,
			&types.Error{Code: types.CodeCanceled, Message: "context canceled"}},
		{"plain error", errors.New("disk full"), codes.Unknown,
			&types.Error{Code: types.CodeUnknown, Message: "disk full"}},
		{"plain error with status-looking text", errors.New("rpc error: code = NotFound desc = x"), codes.Unknown,
			&types.Error{Code: types.CodeUnknown, Message: "rpc error: code = NotFound desc = x"}},
		{"wrapped *Error keeps its code and message", fmt.Errorf("outer: %w", types.Errorf(types.CodeModelNotFound, "no %s", "llama")),
			codes.NotFound, &types.Error{Code: types.CodeModelNotFound, Message: "no llama"}},
		{"FieldError", types.FieldError("messages[0].role", "bad role %q", "robot"), codes.InvalidArgument,
			&types.Error{Code: types.CodeInvalidArgument, Field: "messages[0].role", Message: `bad role "robot"`}},
		{"WrapError", types.WrapError(types.CodeEngineStartFailed, io.EOF, "starting"), codes.Unavailable,
			&types.Error{Code: types.CodeEngineStartFailed, Message: "starting: EOF"}},
		{"empty message", &types.Error{Code: types.CodeInternal}, codes.Internal, &types.Error{Code: types.CodeInternal}},
		{"unknown code number", &types.Error{Code: types.Code(5555), Message: "m"}, codes.Unknown,
			&types.Error{Code: types.Code(5555), Message: "m"}},
		{"code beyond int32 is clamped", &types.Error{Code: types.Code(math.MaxInt64), Message: "m"}, codes.Unknown,
			&types.Error{Code: types.Code(math.MaxInt32), Message: "m"}},
		{"typed nil *Error", (*types.Error)(nil), codes.Unknown, &types.Error{Code: types.CodeUnknown, Message: "unknown error"}},
		{"relayed status without detail keeps its gRPC code", status.Error(codes.Aborted, "conflict"), codes.Aborted,
			&types.Error{Code: types.CodeUnavailable, Message: "conflict", Retryable: true}},
		{"wrapped relayed status keeps its own message", fmt.Errorf("relay: %w", status.Error(codes.NotFound, "gone")),
			codes.NotFound, &types.Error{Code: types.CodeNotFound, Message: "gone"}},
		{"relayed status with detail is kept", ToStatusError(&types.Error{Code: types.CodeUpstreamQuota, Message: "q", Retryable: true, RetryAfter: time.Minute, Field: "f"}),
			codes.ResourceExhausted, &types.Error{Code: types.CodeUpstreamQuota, Message: "q", Retryable: true, RetryAfter: time.Minute, Field: "f"}},
		{"converted *Error from a previous hop", FromStatusError(ToStatusError(types.Errorf(types.CodeNoUsableKey, "all keys dead"))),
			codes.Unavailable, &types.Error{Code: types.CodeNoUsableKey, Message: "all keys dead"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serr := ToStatusError(tt.in)
			st, ok := status.FromError(serr)
			if !ok {
				t.Fatalf("ToStatusError gave %T %v, not a status error", serr, serr)
			}
			if st.Code() != tt.wantGRPC {
				t.Errorf("grpc code = %v, want %v", st.Code(), tt.wantGRPC)
			}
			if errorDetailOf(st) == nil {
				t.Errorf("no ErrorDetail")
			}
			convertCheckError(t, FromStatusError(convertOverWire(t, serr)), tt.want)
		})
	}
	if ToStatusError(nil) != nil {
		t.Errorf("ToStatusError(nil) != nil")
	}
}

func convertCanceledCtxErr() error {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("client went away"))
	return ctx.Err()
}

func TestConvertErrorFromStatusWithoutDetail(t *testing.T) {
	tests := []struct {
		grpc      codes.Code
		want      types.Code
		retryable bool
	}{
		{codes.Canceled, types.CodeCanceled, false},
		{codes.Unknown, types.CodeUnknown, false},
		{codes.InvalidArgument, types.CodeInvalidArgument, false},
		{codes.DeadlineExceeded, types.CodeTimeout, false},
		{codes.NotFound, types.CodeNotFound, false},
		{codes.AlreadyExists, types.CodeAlreadyExists, false},
		{codes.PermissionDenied, types.CodePermissionDenied, false},
		{codes.ResourceExhausted, types.CodeRateLimited, true},
		{codes.FailedPrecondition, types.CodeFailedPrecondition, false},
		{codes.Aborted, types.CodeUnavailable, true},
		{codes.OutOfRange, types.CodeInvalidArgument, false},
		{codes.Unimplemented, types.CodeUnimplemented, false},
		{codes.Internal, types.CodeInternal, false},
		{codes.Unavailable, types.CodeUnavailable, true},
		{codes.DataLoss, types.CodeInternal, false},
		{codes.Unauthenticated, types.CodeUnauthenticated, false},
		{codes.Code(99), types.CodeUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.grpc.String(), func(t *testing.T) {
			in := status.Error(tt.grpc, "msg for "+tt.grpc.String())
			got := FromStatusError(in)
			convertCheckError(t, got, &types.Error{Code: tt.want, Message: "msg for " + tt.grpc.String(), Retryable: tt.retryable})
			if !errors.Is(got, in) {
				t.Errorf("the *Error does not wrap the status error")
			}
			if e := types.AsError(got); !e.Transport {
				t.Errorf("a status without ErrorDetail must be marked Transport")
			}
		})
	}
}

func TestConvertErrorFromNonStatus(t *testing.T) {
	sdkErr := types.Errorf(types.CodeNotFound, "x")
	plain := errors.New("plain")
	tests := []struct {
		name string
		in   error
	}{
		{"io.EOF", io.EOF},
		{"plain", plain},
		{"context.Canceled", context.Canceled},
		{"already *Error", sdkErr},
		{"wrapped *Error", fmt.Errorf("w: %w", sdkErr)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromStatusError(tt.in); got != tt.in {
				t.Errorf("FromStatusError(%v) = %v (%T), want it unchanged", tt.in, got, got)
			}
		})
	}
	if FromStatusError(nil) != nil {
		t.Errorf("FromStatusError(nil) != nil")
	}
}

func TestConvertRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want time.Duration
	}{
		{"zero", 0, 0},
		{"negative", -3, 0},
		{"NaN", math.NaN(), 0},
		{"+Inf", math.Inf(1), time.Duration(math.MaxInt64)},
		{"huge", 1e300, time.Duration(math.MaxInt64)},
		{"fraction", 1.5, 1500 * time.Millisecond},
		{"nanoseconds", 1.234567891, 1234567891 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := durationFromSeconds(tt.in); got != tt.want {
				t.Errorf("durationFromSeconds(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	for _, d := range []time.Duration{time.Nanosecond, 1234567891, 90 * 24 * time.Hour} {
		if got := durationFromSeconds(secondsFromDuration(d)); got != d {
			t.Errorf("round trip of %v gave %v", d, got)
		}
	}
	if got := secondsFromDuration(-time.Second); got != 0 {
		t.Errorf("secondsFromDuration(-1s) = %v, want 0", got)
	}
}

// convertHealthServer answers Health with whatever error is queued.
type convertHealthServer struct {
	pb.UnimplementedPluginServiceServer
	mu  sync.Mutex
	err error
}

func (s *convertHealthServer) Health(context.Context, *pb.HealthRequest) (*pb.HealthResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return nil, ToStatusError(s.err)
}

// TestConvertErrorOverGRPC sends every code through a real gRPC connection:
// the message arrives without any "rpc error" prefix and with its detail.
func TestConvertErrorOverGRPC(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	hs := &convertHealthServer{}
	pb.RegisterPluginServiceServer(srv, hs)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewPluginServiceClient(conn)

	cases := []*types.Error{}
	for i, c := range convertAllCodes {
		cases = append(cases, &types.Error{Code: c.code, Message: "über " + c.code.String(), Retryable: i%3 == 0,
			RetryAfter: time.Duration(i) * time.Second, Field: "f" + c.code.String()})
	}
	for _, want := range cases {
		hs.mu.Lock()
		hs.err = want
		hs.mu.Unlock()
		_, err := client.Health(context.Background(), &pb.HealthRequest{})
		convertCheckError(t, FromStatusError(err), want)
	}

	// The caller's own deadline: gRPC makes a DeadlineExceeded status
	// without detail, which becomes CodeTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, err = client.Health(ctx, &pb.HealthRequest{})
	if got := types.ErrorCode(FromStatusError(err)); got != types.CodeTimeout {
		t.Errorf("expired deadline: code %v (%v), want timeout", got, err)
	}
}
