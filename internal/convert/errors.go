package convert

import (
	"errors"
	"math"
	"time"

	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors cross the plugin boundary as gRPC status errors. The status code
// is the coarse class (what generic gRPC tooling understands), the status
// message is Error.Message verbatim, and a *pb.ErrorDetail detail carries
// the precise Roundhouse code, the retry hints and the field.
//
// What does not cross: Error.Err (the cause stays in the plugin process),
// and RetryAfter below one nanosecond of precision (it travels as float64
// seconds, exact for any duration under about 104 days).

// grpcStatuser is implemented by the errors of package status.
type grpcStatuser interface{ GRPCStatus() *status.Status }

// ToStatusError converts an error returned by plugin code into the gRPC
// status error the server answers with. nil gives nil.
//
//   - An *Error anywhere in the chain is sent with its code, message,
//     retry hints and field (the outer wrapping text is dropped, as AsError
//     does).
//   - An error that already carries a gRPC status (a plugin relaying
//     another gRPC call) keeps its gRPC code and message; if it has no
//     ErrorDetail, one is added with the code FromStatusError would derive.
//   - context.Canceled gives codes.Canceled with CodeCanceled,
//     context.DeadlineExceeded gives codes.DeadlineExceeded with CodeTimeout
//     (also when wrapped; the message is the full err.Error()).
//   - Any other error gives codes.Unknown with CodeUnknown and err.Error().
func ToStatusError(err error) error {
	if err == nil {
		return nil
	}
	var e *types.Error
	if errors.As(err, &e) {
		if e == nil { // a typed nil *Error
			e = &types.Error{Code: types.CodeUnknown, Message: "unknown error"}
		}
		return newStatusError(grpcCodeOf(e.Code), e)
	}
	if st, ok := statusOf(err); ok {
		if errorDetailOf(st) != nil {
			return st.Err()
		}
		return newStatusError(st.Code(), errorFromStatus(st, err))
	}
	e = types.AsError(err)
	return newStatusError(grpcCodeOf(e.Code), e)
}

// FromStatusError converts an error from a gRPC call back into an *Error on
// the host (client) side. nil gives nil; errors without a gRPC status
// (io.EOF at the end of a stream, an *Error already converted) are returned
// as they are.
//
// With an ErrorDetail, code, retry hints and field come from it. Without
// one (the plugin is not a Roundhouse SDK plugin, or the failure happened in
// the transport: connection refused, deadline), the code is derived from the
// gRPC code (see codeOfGRPC) and Retryable is set for codes.Unavailable,
// codes.ResourceExhausted and codes.Aborted.
//
// Message is the status message verbatim (no "rpc error: code = ..."
// prefix). Err is set to err, so status.Code and status.FromError still see
// the gRPC status through the *Error.
func FromStatusError(err error) error {
	if err == nil {
		return nil
	}
	var e *types.Error
	if errors.As(err, &e) {
		return err
	}
	st, ok := statusOf(err)
	if !ok {
		return err
	}
	return errorFromStatus(st, err)
}

// statusOf finds the gRPC status in err's chain. Unlike status.FromError it
// keeps the status's own message when the status error is wrapped.
func statusOf(err error) (*status.Status, bool) {
	var gs grpcStatuser
	if !errors.As(err, &gs) {
		return nil, false
	}
	st := gs.GRPCStatus()
	if st == nil || st.Code() == codes.OK {
		return nil, false
	}
	return st, true
}

// errorDetailOf returns the first ErrorDetail of st, or nil.
func errorDetailOf(st *status.Status) *pb.ErrorDetail {
	for _, d := range st.Details() {
		if ed, ok := d.(*pb.ErrorDetail); ok {
			return ed
		}
	}
	return nil
}

// errorFromStatus builds the *Error for st; cause becomes Error.Err.
func errorFromStatus(st *status.Status, cause error) *types.Error {
	out := &types.Error{Message: st.Message(), Err: cause}
	if d := errorDetailOf(st); d != nil {
		out.Code = types.Code(d.GetCode())
		out.Retryable = d.GetRetryable()
		out.RetryAfter = durationFromSeconds(d.GetRetryAfterSeconds())
		out.Field = d.GetField()
		return out
	}
	out.Code = codeOfGRPC(st.Code())
	// No project detail: the status was made by gRPC itself (the
	// transport) or by a non-SDK server, not by plugin code.
	out.Transport = true
	switch st.Code() {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		out.Retryable = true
	}
	return out
}

// newStatusError makes the status error for e with gRPC code c.
func newStatusError(c codes.Code, e *types.Error) error {
	if c == codes.OK { // an OK status is no error at all; never send one
		c = codes.Unknown
	}
	st := status.New(c, e.Message)
	withDetail, err := st.WithDetails(&pb.ErrorDetail{
		Code:              clampToInt32(int(e.Code)),
		Retryable:         e.Retryable,
		RetryAfterSeconds: secondsFromDuration(e.RetryAfter),
		Field:             e.Field,
	})
	if err != nil { // cannot happen with a non-OK code; keep the message
		return st.Err()
	}
	return withDetail.Err()
}

// grpcCodeOf maps a Roundhouse code to the gRPC code class it travels
// under. The mapping follows the HTTP statuses of Code.HTTPStatus and
// gRPC's own HTTP mapping (502/503/504 -> Unavailable). CodeOK, which no
// error should carry, and codes this SDK does not know travel as
// codes.Unknown (the ErrorDetail still carries the exact number).
func grpcCodeOf(c types.Code) codes.Code {
	switch c {
	case types.CodeUnknown:
		return codes.Unknown
	case types.CodeInvalidArgument, types.CodeModelInvalidName, types.CodeContextTooLong, types.CodeContentFiltered:
		return codes.InvalidArgument
	case types.CodeNotFound, types.CodePluginNotFound, types.CodeModelNotFound, types.CodeServiceNotFound:
		return codes.NotFound
	case types.CodeAlreadyExists:
		return codes.AlreadyExists
	case types.CodePermissionDenied, types.CodeEngineNotManaged:
		return codes.PermissionDenied
	case types.CodeUnauthenticated:
		return codes.Unauthenticated
	case types.CodeRateLimited, types.CodeQuotaExceeded, types.CodeBudgetExceeded, types.CodeUpstreamRateLimited, types.CodeUpstreamQuota:
		return codes.ResourceExhausted
	case types.CodeFailedPrecondition, types.CodeEngineNotInstalled, types.CodePluginNotConfigured,
		types.CodeModelUnsupported, types.CodeManifestInvalid, types.CodeUpstreamAuth:
		return codes.FailedPrecondition
	case types.CodeCanceled:
		return codes.Canceled
	case types.CodeTimeout, types.CodeUpstreamTimeout:
		return codes.DeadlineExceeded
	case types.CodeUnimplemented:
		return codes.Unimplemented
	case types.CodeInternal, types.CodeEngineInstallFailed, types.CodeEngineChecksum, types.CodeEngineVersionUnknown,
		types.CodeModelPullFailed, types.CodeModelLoadFailed, types.CodeModelDeleteFailed:
		return codes.Internal
	case types.CodeUnavailable, types.CodeServiceUnavailable, types.CodeEngineUnavailable, types.CodePluginCrashed,
		types.CodePluginStartFailed, types.CodeEngineStartFailed, types.CodeUpstreamError, types.CodeNoUsableKey, types.CodePluginUnavailable:
		return codes.Unavailable
	default:
		return codes.Unknown
	}
}

// codeOfGRPC derives a Roundhouse code from a gRPC code, for statuses
// without an ErrorDetail.
func codeOfGRPC(c codes.Code) types.Code {
	switch c {
	case codes.OK:
		return types.CodeOK
	case codes.Canceled:
		return types.CodeCanceled
	case codes.InvalidArgument, codes.OutOfRange:
		return types.CodeInvalidArgument
	case codes.DeadlineExceeded:
		return types.CodeTimeout
	case codes.NotFound:
		return types.CodeNotFound
	case codes.AlreadyExists:
		return types.CodeAlreadyExists
	case codes.PermissionDenied:
		return types.CodePermissionDenied
	case codes.Unauthenticated:
		return types.CodeUnauthenticated
	case codes.ResourceExhausted:
		return types.CodeRateLimited
	case codes.FailedPrecondition:
		return types.CodeFailedPrecondition
	case codes.Aborted, codes.Unavailable:
		return types.CodeUnavailable
	case codes.Unimplemented:
		return types.CodeUnimplemented
	case codes.Internal, codes.DataLoss:
		return types.CodeInternal
	default:
		return types.CodeUnknown
	}
}

// secondsFromDuration gives d in seconds; 0 for d <= 0.
func secondsFromDuration(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return d.Seconds()
}

// durationFromSeconds is the inverse of secondsFromDuration, rounded to the
// nanosecond: 0 for NaN and s <= 0, the largest Duration for s too large.
func durationFromSeconds(s float64) time.Duration {
	if math.IsNaN(s) || s <= 0 {
		return 0
	}
	ns := math.Round(s * float64(time.Second))
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}
