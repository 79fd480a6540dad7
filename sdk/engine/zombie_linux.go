package engine

import (
	"os"
	"strconv"
	"strings"
)

// isZombie reports whether pid has exited but is not reaped yet (a leftover
// engine's parent is init or a subreaper, which reaps in its own time).
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}
