package regauth

import (
	"fmt"

	"github.com/roundhouse-ai/roundhouse/types"
)

// refused is the error of credentials the registry did not accept.
func refused(host, user, why string) error {
	who := "the saved credentials"
	if user != "" {
		who = "the saved credentials of " + user
	}
	return &types.Error{Code: types.CodeUnauthenticated,
		Message: fmt.Sprintf("registry %s refused %s (%s): run `roundhouse registry login %s` to save working ones", host, who, why, host)}
}

// denied is the error of credentials the registry accepted but that may
// not do what was asked (push to a repository the account cannot write).
func denied(host, user, repo, action string) error {
	who := "the account"
	if user != "" {
		who = user
	}
	return &types.Error{Code: types.CodePermissionDenied,
		Message: fmt.Sprintf("registry %s denied %s %s access to %s: check the account's rights there, or run `roundhouse registry login %s` with another account", host, who, action, repo, host)}
}
