package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestImageToImage(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	src, err := fake.Picture("source", 256, 256, "png")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		model string
		n     int
		side  int
	}{{"gpt-image-1", 1, 1024}, {"dall-e-2", 2, 256}} {
		model := c.model
		size := fmt.Sprintf("%dx%d", c.side, c.side)
		resp, err := p.ImageToImage(ctx, &sdk.ImageToImageRequest{Model: model, Prompt: "add a hat", Image: src, N: c.n, Size: size})
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if resp.Model != model || len(resp.Images) != c.n {
			t.Fatalf("%s: %+v", model, resp)
		}
		for i, img := range resp.Images {
			want, _ := fake.Picture(fake.EditSeed("add a hat", src, i), c.side, c.side, "png")
			if !bytes.Equal(img.Data, want) || img.MIMEType != "image/png" {
				t.Fatalf("%s: image %d is not the edit of the source (%d bytes, %s)", model, i, len(img.Data), img.MIMEType)
			}
		}
		got, _ := srv.LastRequest("/v1/images/edits")
		rf := got.Form["response_format"]
		if got.FileName != "image.png" || !bytes.Equal(got.FileData, src) || got.Form["prompt"][0] != "add a hat" ||
			(model == "dall-e-2") != (len(rf) == 1 && rf[0] == "b64_json") {
			t.Fatalf("%s: upload %q form %v", model, got.FileName, got.Form)
		}
	}
	// A mask of another size is refused by the API, naming the field.
	mask, _ := fake.Picture("mask", 64, 64, "png")
	_, err = p.ImageToImage(ctx, &sdk.ImageToImageRequest{Model: "dall-e-2", Prompt: "x", Image: src, Mask: mask})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "mask" {
		t.Fatalf("field %q (%s)", e.Field, e.Message)
	}
	_, err = p.ImageToImage(ctx, &sdk.ImageToImageRequest{Model: "dall-e-2", Prompt: "x"})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "image" {
		t.Fatalf("field %q", e.Field)
	}
}
