package regauth

import (
	"context"
	"errors"
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
