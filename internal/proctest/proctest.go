// Package proctest has process helpers shared by the project's tests.
package proctest

import (
	"os"
	"strconv"
	"strings"
)

// Alive reports whether pid is a live process on Linux. A zombie (killed,
// not yet reaped by its new parent) counts as dead.
func Alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
