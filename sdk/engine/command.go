package engine

import (
	"context"
	"os/exec"
	"time"
)

// Command is exec.CommandContext for a one-shot engine child (a model
// download or conversion the engine's CLI runs, say): it runs in its own
// process group, and when ctx ends the whole group is killed, not just
// the leader, so helpers it forked do not linger. Wait returns at most
// two seconds after that even if something still holds its output pipes.
// On Linux it also gets the parent-death signal, best effort: unlike
// Supervisor, Command does not pin the starting thread.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}
