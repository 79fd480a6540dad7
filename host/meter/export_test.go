package meter

import "github.com/roundhouse-ai/roundhouse/host/usage"

func usageRecorderDiscard(m *Meter) *usage.Recorder { return usage.NewRecorder(discard{}, m.Prices) }
