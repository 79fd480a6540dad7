package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Live speech-to-text: audio frames in over a WebSocket, partial and final
// transcripts out, through the plugin's bidirectional gRPC stream.
func TestLiveSpeechToText(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(h.URL, "http", "ws", 1)+"/v1/services/speech-to-text/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"language":"en"}`)); err != nil {
		t.Fatal(err)
	}
	var got []sdk.LiveSpeechOutput
	read := func() sdk.LiveSpeechOutput {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var o sdk.LiveSpeechOutput
		if err := json.Unmarshal(data, &o); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		got = append(got, o)
		return o
	}
	for _, n := range []int{100, 250} {
		if err := ws.Write(ctx, websocket.MessageBinary, make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		read() // a partial per frame, while audio still flows
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"end":true}`)); err != nil {
		t.Fatal(err)
	}
	final := read()
	if got[0].Text != "100" || got[1].Text != "350" || got[0].IsFinal || !final.IsFinal || final.Text != "en:350 bytes" {
		t.Fatalf("transcripts: %+v", got)
	}
	if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("close: %v", err)
	}
}

func TestLiveSpeechToTextBadConfig(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(h.URL, "http", "ws", 1)+"/v1/services/speech-to-text/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"language": 5}`))
	_, data, err := ws.Read(ctx)
	if err != nil || !strings.Contains(string(data), `"field":"config"`) {
		t.Fatalf("error frame: %s %v", data, err)
	}
	if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusInternalError {
		t.Fatalf("close: %v", err)
	}
}

// When the plugin dies mid-session, a client that stopped sending and
// waits for transcripts gets an error frame (or the close) at once; the
// host does not wait for the client's next frame.
func TestLiveEndsWhenThePluginDies(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(h.URL, "http", "ws", 1)+"/v1/services/speech-to-text/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"language":"en"}`)); err != nil {
		t.Fatal(err)
	}
	if err := ws.Write(ctx, websocket.MessageBinary, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.Read(ctx); err != nil {
		t.Fatalf("first transcript: %v", err)
	}
	_, pid := restarts(t, h.URL)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	defer rcancel()
	_, d, err := ws.Read(rctx)
	if rctx.Err() != nil {
		t.Fatalf("no frame and no close within 5 s after the plugin died (read %q, %v)", d, err)
	}
	if err == nil && !strings.Contains(string(d), "error") {
		t.Fatalf("after the plugin died: %s", d)
	}
}
