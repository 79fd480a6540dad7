package regauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

func TestCheck(t *testing.T) {
	for _, bearer := range []bool{false, true} {
		g := newRegistry(t, bearer)
		ok := types.RegistryAuth{Username: user, Password: pass}
		if err := Check(context.Background(), CheckOptions{Host: g.host(), Auth: ok, Insecure: true}); err != nil {
			t.Fatalf("bearer=%v: right credentials: %v", bearer, err)
		}
		bad := types.RegistryAuth{Username: user, Password: "nope-nope-nope"}
		err := Check(context.Background(), CheckOptions{Host: g.host(), Auth: bad, Insecure: true})
		var e *types.Error
		if !errors.As(err, &e) || e.Code != types.CodeUnauthenticated || !strings.Contains(e.Message, "roundhouse registry login") {
			t.Fatalf("bearer=%v: wrong credentials: %v", bearer, err)
		}
	}
	// A registry that speaks HTTP, checked over HTTPS, says to use --insecure.
	g := newRegistry(t, false)
	err := Check(context.Background(), CheckOptions{Host: g.host(), Auth: types.RegistryAuth{Username: user, Password: pass}})
	var e *types.Error
	if !errors.As(err, &e) || e.Code != types.CodeUnavailable || !strings.Contains(e.Message, "--insecure") {
		t.Fatalf("http registry checked over https: %v", err)
	}
	// Not a registry at all.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	err = Check(context.Background(), CheckOptions{Host: strings.TrimPrefix(other.URL, "http://"), Auth: types.RegistryAuth{Token: "t"}, Insecure: true})
	if !errors.As(err, &e) || e.Code != types.CodeUnavailable || !strings.Contains(e.Message, "--no-verify") {
		t.Fatalf("not a registry: %v", err)
	}
}

// A registry's challenge to GET /v2/ names no scope (the distribution
// spec's base check; Docker's registry and Harbor answer so). A token
// service that refuses (403), or a token the registry still refuses,
// must be a typed error, not a panic while naming the repository.
func TestCheckScopelessChallengeRefused(t *testing.T) {
	for _, tokenStatus := range []int{http.StatusOK, http.StatusForbidden} {
		t.Run(fmt.Sprint(tokenStatus), func(t *testing.T) {
			tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tokenStatus != http.StatusOK {
					w.WriteHeader(tokenStatus)
					return
				}
				io.WriteString(w, `{"token":"no-rights","expires_in":300}`)
			}))
			defer tokens.Close()
			reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="reg"`, tokens.URL+"/token"))
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer reg.Close()
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Check panicked: %v", p)
					}
				}()
				err = Check(context.Background(), CheckOptions{Host: strings.TrimPrefix(reg.URL, "http://"),
					Auth: types.RegistryAuth{Username: user, Password: pass}, Insecure: true})
			}()
			var e *types.Error
			if !errors.As(err, &e) || e.Code != types.CodePermissionDenied || !strings.Contains(e.Message, "roundhouse registry login") {
				t.Fatalf("Check = %v, want permission denied saying what to do", err)
			}
		})
	}
}
