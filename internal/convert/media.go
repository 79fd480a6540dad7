package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the media messages: text to image, text to speech,
// speech to text (unary and live).

// ---- text to image -----------------------------------------------------------

// ToProtoTextToImageRequest clamps N to int32.
func ToProtoTextToImageRequest(r *types.TextToImageRequest) *pb.TextToImageRequest {
	if r == nil {
		return nil
	}
	return &pb.TextToImageRequest{
		Model:          r.Model,
		Prompt:         r.Prompt,
		NegativePrompt: r.NegativePrompt,
		N:              clampToInt32(r.N),
		Size:           r.Size,
		Quality:        r.Quality,
		Style:          r.Style,
		Seed:           int64PtrCopy(r.Seed),
		Extra:          ToProtoStruct(r.Extra),
		Provider:       r.Provider,
	}
}

func FromProtoTextToImageRequest(r *pb.TextToImageRequest) *types.TextToImageRequest {
	if r == nil {
		return nil
	}
	return &types.TextToImageRequest{
		Model:          r.GetModel(),
		Prompt:         r.GetPrompt(),
		NegativePrompt: r.GetNegativePrompt(),
		N:              int(r.GetN()),
		Size:           r.GetSize(),
		Quality:        r.GetQuality(),
		Style:          r.GetStyle(),
		Seed:           int64PtrCopy(r.Seed),
		Extra:          FromProtoStruct(r.GetExtra()),
		Provider:       r.GetProvider(),
	}
}

func ToProtoTextToImageResponse(r *types.TextToImageResponse) *pb.TextToImageResponse {
	if r == nil {
		return nil
	}
	return &pb.TextToImageResponse{
		Model:  r.Model,
		Images: ToProtoImages(r.Images),
	}
}

func FromProtoTextToImageResponse(r *pb.TextToImageResponse) *types.TextToImageResponse {
	if r == nil {
		return nil
	}
	return &types.TextToImageResponse{
		Model:  r.GetModel(),
		Images: FromProtoImages(r.GetImages()),
	}
}

func ToProtoImage(i *types.Image) *pb.Image {
	if i == nil {
		return nil
	}
	return &pb.Image{
		Data:          nilIfEmpty(i.Data),
		MimeType:      i.MIMEType,
		Url:           i.URL,
		RevisedPrompt: i.RevisedPrompt,
	}
}

func FromProtoImage(i *pb.Image) *types.Image {
	if i == nil {
		return nil
	}
	return &types.Image{
		Data:          nilIfEmpty(i.GetData()),
		MIMEType:      i.GetMimeType(),
		URL:           i.GetUrl(),
		RevisedPrompt: i.GetRevisedPrompt(),
	}
}

func ToProtoImages(is []types.Image) []*pb.Image {
	if len(is) == 0 {
		return nil
	}
	out := make([]*pb.Image, len(is))
	for i := range is {
		out[i] = ToProtoImage(&is[i])
	}
	return out
}

func FromProtoImages(is []*pb.Image) []types.Image {
	if len(is) == 0 {
		return nil
	}
	out := make([]types.Image, len(is))
	for i, im := range is {
		if v := FromProtoImage(im); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ---- text to speech ----------------------------------------------------------

func ToProtoTextToSpeechRequest(r *types.TextToSpeechRequest) *pb.TextToSpeechRequest {
	if r == nil {
		return nil
	}
	return &pb.TextToSpeechRequest{
		Model:        r.Model,
		Input:        r.Input,
		Voice:        r.Voice,
		Format:       r.Format,
		Speed:        r.Speed,
		Instructions: r.Instructions,
		Extra:        ToProtoStruct(r.Extra),
		Provider:     r.Provider,
	}
}

func FromProtoTextToSpeechRequest(r *pb.TextToSpeechRequest) *types.TextToSpeechRequest {
	if r == nil {
		return nil
	}
	return &types.TextToSpeechRequest{
		Model:        r.GetModel(),
		Input:        r.GetInput(),
		Voice:        r.GetVoice(),
		Format:       r.GetFormat(),
		Speed:        r.GetSpeed(),
		Instructions: r.GetInstructions(),
		Extra:        FromProtoStruct(r.GetExtra()),
		Provider:     r.GetProvider(),
	}
}

func ToProtoTextToSpeechResponse(r *types.TextToSpeechResponse) *pb.TextToSpeechResponse {
	if r == nil {
		return nil
	}
	return &pb.TextToSpeechResponse{
		Model:    r.Model,
		Audio:    nilIfEmpty(r.Audio),
		MimeType: r.MIMEType,
	}
}

func FromProtoTextToSpeechResponse(r *pb.TextToSpeechResponse) *types.TextToSpeechResponse {
	if r == nil {
		return nil
	}
	return &types.TextToSpeechResponse{
		Model:    r.GetModel(),
		Audio:    nilIfEmpty(r.GetAudio()),
		MIMEType: r.GetMimeType(),
	}
}

func ToProtoAudioChunk(c *types.AudioChunk) *pb.AudioChunk {
	if c == nil {
		return nil
	}
	return &pb.AudioChunk{
		Data:     nilIfEmpty(c.Data),
		MimeType: c.MIMEType,
		Done:     c.Done,
	}
}

func FromProtoAudioChunk(c *pb.AudioChunk) *types.AudioChunk {
	if c == nil {
		return nil
	}
	return &types.AudioChunk{
		Data:     nilIfEmpty(c.GetData()),
		MIMEType: c.GetMimeType(),
		Done:     c.GetDone(),
	}
}

// ---- speech to text ----------------------------------------------------------

func ToProtoSpeechToTextRequest(r *types.SpeechToTextRequest) *pb.SpeechToTextRequest {
	if r == nil {
		return nil
	}
	return &pb.SpeechToTextRequest{
		Model:       r.Model,
		Audio:       nilIfEmpty(r.Audio),
		Filename:    r.Filename,
		MimeType:    r.MIMEType,
		Language:    r.Language,
		Prompt:      r.Prompt,
		Temperature: float64PtrCopy(r.Temperature),
		Extra:       ToProtoStruct(r.Extra),
		Provider:    r.Provider,
	}
}

func FromProtoSpeechToTextRequest(r *pb.SpeechToTextRequest) *types.SpeechToTextRequest {
	if r == nil {
		return nil
	}
	return &types.SpeechToTextRequest{
		Model:       r.GetModel(),
		Audio:       nilIfEmpty(r.GetAudio()),
		Filename:    r.GetFilename(),
		MIMEType:    r.GetMimeType(),
		Language:    r.GetLanguage(),
		Prompt:      r.GetPrompt(),
		Temperature: float64PtrCopy(r.Temperature),
		Extra:       FromProtoStruct(r.GetExtra()),
		Provider:    r.GetProvider(),
	}
}

func ToProtoSpeechToTextResponse(r *types.SpeechToTextResponse) *pb.SpeechToTextResponse {
	if r == nil {
		return nil
	}
	return &pb.SpeechToTextResponse{
		Model:           r.Model,
		Text:            r.Text,
		Language:        r.Language,
		DurationSeconds: r.Duration,
		Segments:        ToProtoTranscriptSegments(r.Segments),
	}
}

func FromProtoSpeechToTextResponse(r *pb.SpeechToTextResponse) *types.SpeechToTextResponse {
	if r == nil {
		return nil
	}
	return &types.SpeechToTextResponse{
		Model:    r.GetModel(),
		Text:     r.GetText(),
		Language: r.GetLanguage(),
		Duration: r.GetDurationSeconds(),
		Segments: FromProtoTranscriptSegments(r.GetSegments()),
	}
}

func ToProtoTranscriptSegment(s *types.TranscriptSegment) *pb.TranscriptSegment {
	if s == nil {
		return nil
	}
	return &pb.TranscriptSegment{
		StartSeconds: s.Start,
		EndSeconds:   s.End,
		Text:         s.Text,
	}
}

func FromProtoTranscriptSegment(s *pb.TranscriptSegment) *types.TranscriptSegment {
	if s == nil {
		return nil
	}
	return &types.TranscriptSegment{
		Start: s.GetStartSeconds(),
		End:   s.GetEndSeconds(),
		Text:  s.GetText(),
	}
}

func ToProtoTranscriptSegments(ss []types.TranscriptSegment) []*pb.TranscriptSegment {
	if len(ss) == 0 {
		return nil
	}
	out := make([]*pb.TranscriptSegment, len(ss))
	for i := range ss {
		out[i] = ToProtoTranscriptSegment(&ss[i])
	}
	return out
}

func FromProtoTranscriptSegments(ss []*pb.TranscriptSegment) []types.TranscriptSegment {
	if len(ss) == 0 {
		return nil
	}
	out := make([]types.TranscriptSegment, len(ss))
	for i, s := range ss {
		if v := FromProtoTranscriptSegment(s); v != nil {
			out[i] = *v
		}
	}
	return out
}

func ToProtoLiveSpeechInput(in *types.LiveSpeechInput) *pb.LiveSpeechInput {
	if in == nil {
		return nil
	}
	return &pb.LiveSpeechInput{
		Config: ToProtoSpeechToTextRequest(in.Config),
		Audio:  nilIfEmpty(in.Audio),
		End:    in.End,
	}
}

func FromProtoLiveSpeechInput(in *pb.LiveSpeechInput) *types.LiveSpeechInput {
	if in == nil {
		return nil
	}
	return &types.LiveSpeechInput{
		Config: FromProtoSpeechToTextRequest(in.GetConfig()),
		Audio:  nilIfEmpty(in.GetAudio()),
		End:    in.GetEnd(),
	}
}

func ToProtoLiveSpeechOutput(o *types.LiveSpeechOutput) *pb.LiveSpeechOutput {
	if o == nil {
		return nil
	}
	return &pb.LiveSpeechOutput{
		Text:         o.Text,
		IsFinal:      o.IsFinal,
		StartSeconds: o.Start,
		EndSeconds:   o.End,
	}
}

func FromProtoLiveSpeechOutput(o *pb.LiveSpeechOutput) *types.LiveSpeechOutput {
	if o == nil {
		return nil
	}
	return &types.LiveSpeechOutput{
		Text:    o.GetText(),
		IsFinal: o.GetIsFinal(),
		Start:   o.GetStartSeconds(),
		End:     o.GetEndSeconds(),
	}
}
