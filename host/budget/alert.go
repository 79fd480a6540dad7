package budget

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// Alert is a budget crossing a threshold, as the webhook receives it.
type Alert struct {
	Event       string    `json:"event"` // "budget.threshold"
	Budget      string    `json:"budget"`
	App         string    `json:"app,omitempty"`
	Model       string    `json:"model,omitempty"`
	Window      string    `json:"window"`
	Threshold   float64   `json:"threshold"`
	Ratio       float64   `json:"ratio"`
	TokensUsed  int64     `json:"tokens_used"`
	TokensLimit int64     `json:"tokens_limit,omitempty"`
	CostUsed    float64   `json:"cost_used"`
	CostLimit   float64   `json:"cost_limit,omitempty"`
	ResetsAt    time.Time `json:"resets_at"`
	Time        time.Time `json:"time"`
}

// Notifier delivers alerts: a log event always, the hooks (the metrics
// counter), and the webhook when one is configured. Delivery is off the
// request path.
type Notifier struct {
	log   *slog.Logger
	hooks []func(Alert)
	mu    sync.Mutex // hook and http: SetWebhook replaces them on a reload
	hook  config.Webhook
	http  *http.Client
	wg    sync.WaitGroup
	ctx   context.Context
	stop  context.CancelFunc
}

// NewNotifier builds a notifier; w.URL "" means no webhook.
func NewNotifier(log *slog.Logger, w config.Webhook) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	n := &Notifier{log: log, ctx: ctx, stop: stop}
	n.SetWebhook(w)
	return n
}

// SetWebhook replaces the webhook (a config reload); deliveries already
// under way finish with the old one.
func (n *Notifier) SetWebhook(w config.Webhook) {
	if w.Timeout <= 0 {
		w.Timeout = 5 * time.Second
	}
	n.mu.Lock()
	n.hook, n.http = w, &http.Client{Timeout: w.Timeout}
	n.mu.Unlock()
}

// OnAlert adds a hook called for each alert (before the webhook).
func (n *Notifier) OnAlert(f func(Alert)) { n.hooks = append(n.hooks, f) }

func (n *Notifier) notify(a Alert) {
	n.log.Warn("budget threshold reached", "budget", a.Budget, "app", a.App, "window", a.Window,
		"threshold", a.Threshold, "ratio", a.Ratio, "tokens_used", a.TokensUsed, "cost_used", a.CostUsed,
		"resets_at", a.ResetsAt)
	for _, h := range n.hooks {
		h(a)
	}
	n.mu.Lock()
	hook, client := n.hook, n.http
	n.mu.Unlock()
	if hook.URL == "" {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.post(a, hook, client); err != nil {
			n.log.Error("budget alert webhook failed", "url", hook.URL, "budget", a.Budget, "error", err)
		}
	}()
}

// post sends a to the webhook, retrying network errors and 5xx/429 with
// jittered exponential backoff; other 4xx answers are final.
func (n *Notifier) post(a Alert, hook config.Webhook, client *http.Client) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 200 * time.Millisecond
	bo.MaxInterval = 5 * time.Second
	_, err = backoff.Retry(n.ctx, func() (struct{}, error) {
		req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
		if err != nil {
			return struct{}{}, backoff.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "roundhouse-budget-alert")
		resp, err := client.Do(req)
		if err != nil {
			return struct{}{}, err
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return struct{}{}, nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return struct{}{}, fmt.Errorf("webhook answered %s", resp.Status)
		}
		return struct{}{}, backoff.Permanent(fmt.Errorf("webhook answered %s", resp.Status))
	}, backoff.WithBackOff(bo), backoff.WithMaxTries(uint(hook.Retries)+1), backoff.WithMaxElapsedTime(time.Minute))
	return err
}

// Close stops retries in flight and waits for deliveries to end.
func (n *Notifier) Close() {
	n.stop()
	n.wg.Wait()
}

// Wait waits for the deliveries in flight (tests).
func (n *Notifier) Wait() { n.wg.Wait() }
