package manifest_test

import (
	"fmt"

	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// A manifest declares what the plugin offers and which binary runs it.
func ExampleParse() {
	m, err := manifest.Parse([]byte(`
version: "1"
provider: {name: shout, version: 1.0.0, type: local}
services:
  - service_name: chat
    default_model: shout-1
    capabilities: {support_streaming: true}
platforms:
  linux_amd64: {executable: roundhouse-plugin-shout}
`), "yaml")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.ListServiceNames(), m.Validate("linux", "amd64"))
	// Output: [chat] <nil>
}
