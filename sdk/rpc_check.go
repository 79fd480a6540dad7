package sdk

import "github.com/roundhouse-ai/roundhouse/internal/rpc"

// internal/rpc mirrors these interfaces (it cannot import sdk). Assignment
// both ways proves the method sets identical, so a method added here and
// not served there fails to compile.
var (
	_ rpc.Plugin          = Plugin(nil)
	_ Plugin              = rpc.Plugin(nil)
	_ rpc.Services        = Services(nil)
	_ Services            = rpc.Services(nil)
	_ rpc.Engine          = Engine(nil)
	_ Engine              = rpc.Engine(nil)
	_ rpc.Models          = Models(nil)
	_ Models              = rpc.Models(nil)
	_ rpc.Providers       = Providers(nil)
	_ Providers           = rpc.Providers(nil)
	_ rpc.ConfigValidator = ConfigValidator(nil)
	_ ConfigValidator     = rpc.ConfigValidator(nil)
	_ rpc.Shutdowner      = Shutdowner(nil)
	_ Shutdowner          = rpc.Shutdowner(nil)
)
