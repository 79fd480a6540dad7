package engine

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// helperEnv makes the test binary act as a tiny engine.
const helperEnv = "ENGINE_TEST_HELPER"

// helperMain is the tiny engine. Arguments: <mode> <dir> [addr].
//
//	serve   listens at addr (GET /ready answers 200), starts a "child" in
//	        its process group and records both pids in dir; on SIGTERM it
//	        exits, leaving the child behind (like a crash would)
//	stubborn  like serve, but ignores SIGTERM
//	crash   prints a line and exits 3 at once
//	child   sleeps
func helperMain(args []string) int {
	if len(args) < 2 {
		return 2
	}
	mode, dir := args[0], args[1]
	switch mode {
	case "child":
		time.Sleep(time.Hour)
		return 0
	case "crash":
		fmt.Fprintln(os.Stderr, "helper: fatal: out of widgets")
		n, _ := os.ReadFile(filepath.Join(dir, "crashes"))
		os.WriteFile(filepath.Join(dir, "crashes"), append(n, 'x'), 0o644)
		return 3
	case "serve", "stubborn":
	default:
		return 2
	}
	if len(args) < 3 {
		return 2
	}
	self, _ := os.Executable()
	child := exec.Command(self, "child", dir)
	child.Env = os.Environ()
	if err := child.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start child:", err)
		return 1
	}
	os.WriteFile(filepath.Join(dir, "child.pid"), []byte(strconv.Itoa(child.Process.Pid)), 0o644)
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM)
	}
	l, err := net.Listen("tcp", args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 1
	}
	fmt.Println("helper: listening on", args[2])
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	return 0
}
