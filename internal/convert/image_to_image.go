package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the image-to-image messages (an edit or a variation of
// a source image). The answer's images are those of text to image.

// ToProtoImageToImageRequest clamps N to int32.
func ToProtoImageToImageRequest(r *types.ImageToImageRequest) *pb.ImageToImageRequest {
	if r == nil {
		return nil
	}
	return &pb.ImageToImageRequest{
		Model:          r.Model,
		Prompt:         r.Prompt,
		NegativePrompt: r.NegativePrompt,
		Image:          nilIfEmpty(r.Image),
		ImageMimeType:  r.ImageMIMEType,
		Mask:           nilIfEmpty(r.Mask),
		N:              clampToInt32(r.N),
		Size:           r.Size,
		Quality:        r.Quality,
		Strength:       float64PtrCopy(r.Strength),
		Seed:           int64PtrCopy(r.Seed),
		Extra:          ToProtoStruct(r.Extra),
		Provider:       r.Provider,
	}
}

func FromProtoImageToImageRequest(r *pb.ImageToImageRequest) *types.ImageToImageRequest {
	if r == nil {
		return nil
	}
	return &types.ImageToImageRequest{
		Model:          r.GetModel(),
		Prompt:         r.GetPrompt(),
		NegativePrompt: r.GetNegativePrompt(),
		Image:          nilIfEmpty(r.GetImage()),
		ImageMIMEType:  r.GetImageMimeType(),
		Mask:           nilIfEmpty(r.GetMask()),
		N:              int(r.GetN()),
		Size:           r.GetSize(),
		Quality:        r.GetQuality(),
		Strength:       float64PtrCopy(r.Strength),
		Seed:           int64PtrCopy(r.Seed),
		Extra:          FromProtoStruct(r.GetExtra()),
		Provider:       r.GetProvider(),
	}
}

func ToProtoImageToImageResponse(r *types.ImageToImageResponse) *pb.ImageToImageResponse {
	if r == nil {
		return nil
	}
	return &pb.ImageToImageResponse{Model: r.Model, Images: ToProtoImages(r.Images)}
}

func FromProtoImageToImageResponse(r *pb.ImageToImageResponse) *types.ImageToImageResponse {
	if r == nil {
		return nil
	}
	return &types.ImageToImageResponse{Model: r.GetModel(), Images: FromProtoImages(r.GetImages())}
}
