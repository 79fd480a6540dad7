package pluginhost

import "github.com/roundhouse-ai/roundhouse/sdk"

// serviceMethods names the SDK methods that serve each service, as a
// plugin that has none of them is told.
var serviceMethods = map[string]string{
	sdk.ServiceChat:         "neither Chat nor ChatStream",
	sdk.ServiceGenerate:     "neither Generate nor GenerateStream",
	sdk.ServiceEmbed:        "no Embed",
	sdk.ServiceRerank:       "no Rerank",
	sdk.ServiceTextToImage:  "no TextToImage",
	sdk.ServiceTextToSpeech: "neither TextToSpeech nor TextToSpeechStream",
	sdk.ServiceSpeechToText: "neither SpeechToText nor SpeechToTextLive",
	sdk.ServiceImageToImage: "no ImageToImage",
}

// MissingMethods says which SDK methods a plugin lacks when it declares
// service but implements none of its methods ("neither Chat nor
// ChatStream"), for the host's start check and the conformance suite.
func MissingMethods(service string) string {
	if m, ok := serviceMethods[service]; ok {
		return m
	}
	return "no method for " + service
}
