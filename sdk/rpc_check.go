package sdk

import "github.com/roundhouse-ai/roundhouse/internal/rpc"

// internal/rpc mirrors these interfaces (it cannot import sdk). Assignment
// both ways proves the method sets identical, so a method added here and
// not served there fails to compile.
var (
	_ rpc.Plugin              = Plugin(nil)
	_ Plugin                  = rpc.Plugin(nil)
	_ rpc.ChatService         = ChatService(nil)
	_ ChatService             = rpc.ChatService(nil)
	_ rpc.GenerateService     = GenerateService(nil)
	_ GenerateService         = rpc.GenerateService(nil)
	_ rpc.EmbedService        = EmbedService(nil)
	_ EmbedService            = rpc.EmbedService(nil)
	_ rpc.RerankService       = RerankService(nil)
	_ RerankService           = rpc.RerankService(nil)
	_ rpc.TextToImageService  = TextToImageService(nil)
	_ TextToImageService      = rpc.TextToImageService(nil)
	_ rpc.TextToSpeechService = TextToSpeechService(nil)
	_ TextToSpeechService     = rpc.TextToSpeechService(nil)
	_ rpc.SpeechToTextService = SpeechToTextService(nil)
	_ SpeechToTextService     = rpc.SpeechToTextService(nil)
	_ rpc.ModelLister         = ModelLister(nil)
	_ ModelLister             = rpc.ModelLister(nil)
	_ rpc.Engine              = Engine(nil)
	_ Engine                  = rpc.Engine(nil)
	_ rpc.Models              = Models(nil)
	_ Models                  = rpc.Models(nil)
	_ rpc.Providers           = Providers(nil)
	_ Providers               = rpc.Providers(nil)
	_ rpc.ConfigValidator     = ConfigValidator(nil)
	_ ConfigValidator         = rpc.ConfigValidator(nil)
	_ rpc.Shutdowner          = Shutdowner(nil)
	_ Shutdowner              = rpc.Shutdowner(nil)
)
