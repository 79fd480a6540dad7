package pluginhost

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// hostPlugin is go-plugin's view of the host side: it turns the plugin's
// gRPC connection into a *Conn. The plugin side is sdk.Serve.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("pluginhost: the host side serves no plugin")
}

func (hostPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return newConn(cc), nil
}
