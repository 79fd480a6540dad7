package fake

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
)

// images/edits through the official client: a multipart upload of the
// image (and mask), answered as images/generations answers.
func TestImageEdits(t *testing.T) {
	c, s := client(t, Options{})
	ctx := context.Background()
	src, _ := Picture("src", 256, 256, "png")
	mask, _ := Picture("mask", 256, 256, "png")
	res, err := c.Images.Edit(ctx, openai.ImageEditParams{Model: "dall-e-2", Prompt: "a hat", N: openai.Int(2), Size: "256x256",
		Image:          openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(src), "src.png", "image/png")},
		Mask:           openai.File(bytes.NewReader(mask), "mask.png", "image/png"),
		ResponseFormat: openai.ImageEditParamsResponseFormatB64JSON})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Picture(EditSeed("a hat", src, 1), 256, 256, "png")
	got, _ := base64.StdEncoding.DecodeString(res.Data[1].B64JSON)
	if len(res.Data) != 2 || !bytes.Equal(got, want) {
		t.Fatalf("%d images; the second is not the edit of the source", len(res.Data))
	}
	rec, _ := s.LastRequest("/v1/images/edits")
	if rec.FileName != "src.png" || !bytes.Equal(rec.FileData, src) || rec.Form["prompt"][0] != "a hat" {
		t.Fatalf("recorded %q %v", rec.FileName, rec.Form)
	}
	// dall-e-2 answers a URL by default; the GPT image models base64.
	res, err = c.Images.Edit(ctx, openai.ImageEditParams{Model: "dall-e-2", Prompt: "a hat", Size: "256x256",
		Image: openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(src), "src.png", "image/png")}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(res.Data[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatal("the URL does not serve the image")
	}
	// Refusals as the API words them: a mask of another size, a model
	// edits do not take, a non-square dall-e-2 image.
	small, _ := Picture("m", 64, 64, "png")
	wide, _ := Picture("w", 300, 200, "png")
	for _, p := range []openai.ImageEditParams{
		{Model: "dall-e-2", Prompt: "x", Image: openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(src), "a.png", "image/png")},
			Mask: openai.File(bytes.NewReader(small), "m.png", "image/png")},
		{Model: "dall-e-3", Prompt: "x", Image: openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(src), "a.png", "image/png")}},
		{Model: "dall-e-2", Prompt: "x", Image: openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(wide), "a.png", "image/png")}},
	} {
		_, err := c.Images.Edit(ctx, p)
		apiError(t, err, 400, "")
	}
}
