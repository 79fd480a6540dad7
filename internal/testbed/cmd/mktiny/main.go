// Command mktiny writes a deterministic random-weight llama GGUF model and a
// Modelfile for Roundhouse's real test bed:
//
//	go run ./internal/testbed/cmd/mktiny -out .cache/models            # tiny.gguf (~600 KB)
//	go run ./internal/testbed/cmd/mktiny -out .cache/models/big -size big  # big.gguf (~50 MB)
//
// Then: cd <out> && ollama create tiny -f Modelfile
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/roundhouse-ai/roundhouse/internal/testbed/gguf"
)

func main() {
	out := flag.String("out", ".", "output directory (gets <name>.gguf and Modelfile)")
	size := flag.String("size", "tiny", "preset: tiny (~600 KB) or big (~50 MB)")
	name := flag.String("name", "", "file stem (default: the preset name)")
	seed := flag.Uint64("seed", 0, "override the preset's random seed (0 keeps it)")
	periodBias := flag.Float64("period-bias", 0, "override the preset's '.' logit bias (0 keeps it; larger = shorter answers, which end after a '.')")
	numPredict := flag.Int("num-predict", 0, "override the Modelfile's num_predict cap (0 keeps it, -1 omits it)")
	flag.Parse()

	cfg, err := gguf.Preset(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mktiny:", err)
		os.Exit(2)
	}
	if *name != "" {
		cfg.Name = *name
	}
	if *seed != 0 {
		cfg.Seed = *seed
	}
	if *periodBias != 0 {
		cfg.PeriodBias = float32(*periodBias)
	}
	if *numPredict != 0 {
		cfg.NumPredict = max(*numPredict, 0)
	}
	w, err := gguf.WriteModel(*out, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mktiny:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\t%d bytes\tsha256:%s\n%s\n", w.GGUF, w.Size, w.SHA256, w.Modelfile)
}
