package usage

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// Options tune a Store.
type Options struct {
	// Batch is the most records one transaction writes (default 64).
	Batch int
	// FlushInterval is the longest a record waits (default 1s).
	FlushInterval time.Duration
	// Retention prunes older records hourly; 0 keeps them.
	Retention time.Duration
	// Queue is how many records may wait to be written (default 32768);
	// past it records are dropped and counted, never blocking a request.
	Queue int
	Log   *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

// Store is the SQLite usage store.
type Store struct {
	db   *sql.DB
	opt  Options
	log  *slog.Logger
	q    chan Record
	fl   chan chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once

	dropped atomic.Int64
	written atomic.Int64
	stmts   map[int]string // writer goroutine only
}

// migrations are applied in order, each once; schema_migrations keeps
// the versions applied. Append only.
var migrations = []string{
	`CREATE TABLE usage_records (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		ts INTEGER NOT NULL,
		request_id TEXT NOT NULL DEFAULT '',
		app TEXT NOT NULL DEFAULT '',
		service TEXT NOT NULL DEFAULT '',
		model TEXT NOT NULL DEFAULT '',
		requested TEXT NOT NULL DEFAULT '',
		plugin TEXT NOT NULL DEFAULT '',
		provider TEXT NOT NULL DEFAULT '',
		input_tokens INTEGER NOT NULL DEFAULT 0,
		output_tokens INTEGER NOT NULL DEFAULT 0,
		estimated INTEGER NOT NULL DEFAULT 0,
		cost REAL,
		latency_ms REAL NOT NULL DEFAULT 0,
		ttft_ms REAL NOT NULL DEFAULT 0,
		status INTEGER NOT NULL DEFAULT 0,
		code TEXT NOT NULL DEFAULT '',
		cache_hit INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX usage_records_ts ON usage_records(ts);`,
}

// Open opens (creating, 0600) the database at path and starts the writer.
func Open(path string, opt Options) (*Store, error) {
	if opt.Batch <= 0 {
		opt.Batch = 64
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = time.Second
	}
	if opt.Queue <= 0 {
		opt.Queue = 32768
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("usage store: %w", err)
	}
	// Create the file ourselves so it is 0600 from the first byte: usage
	// names apps and models.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("usage store: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("usage store: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("usage store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, opt: opt, log: opt.Log, q: make(chan Record, opt.Queue), fl: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}), stmts: map[int]string{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("usage store %s: %w (move the file away to start afresh)", path, err)
	}
	go s.run()
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this host knows (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			v, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Add queues r for writing. It never blocks: when the queue is full the
// record is dropped and counted (Dropped).
func (s *Store) Add(r Record) {
	select {
	case s.q <- r:
	default:
		if s.dropped.Add(1)%1000 == 1 {
			s.log.Warn("usage records dropped: the writer is behind", "dropped", s.dropped.Load())
		}
	}
}

// Dropped is how many records were dropped because the queue was full.
func (s *Store) Dropped() int64 { return s.dropped.Load() }

// Flush waits until every record queued before it is written.
func (s *Store) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	select {
	case s.fl <- ch:
	case <-s.done:
		return errors.New("usage store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued and closes the database.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	return s.db.Close()
}

func (s *Store) run() {
	defer close(s.done)
	tick := time.NewTicker(s.opt.FlushInterval)
	defer tick.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	s.prune()
	batch := make([]Record, 0, s.opt.Batch)
	write := func() {
		if len(batch) > 0 {
			s.write(batch)
			batch = batch[:0]
		}
	}
	drain := func() {
		for {
			select {
			case r := <-s.q:
				batch = append(batch, r)
				if len(batch) >= s.opt.Batch {
					write()
				}
			default:
				write()
				return
			}
		}
	}
	for {
		select {
		case r := <-s.q:
			batch = append(batch, r)
			if len(batch) >= s.opt.Batch {
				write()
			}
		case <-tick.C:
			write()
		case ch := <-s.fl:
			drain()
			close(ch)
		case <-prune.C:
			s.prune()
		case <-s.stop:
			drain()
			return
		}
	}
}

const insertHead = `INSERT INTO usage_records (ts, request_id, app, service, model, requested, plugin, provider,
	input_tokens, output_tokens, estimated, cost, latency_ms, ttft_ms, status, code, cache_hit) VALUES `

const rowParams = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// insertSQL is one INSERT of n rows: a multi-row statement costs SQLite
// far less than n single-row ones.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(insertHead)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rowParams)
	}
	return b.String()
}

// maxRowsPerInsert keeps one statement under SQLite's parameter limit.
const maxRowsPerInsert = 1500

// write stores one batch in one transaction. A failed batch is logged
// and dropped: usage must never hold up requests.
func (s *Store) write(batch []Record) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	total := int64(len(batch))
	err := func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for len(batch) > 0 {
			n := min(len(batch), maxRowsPerInsert)
			args := make([]any, 0, n*17)
			for i := range batch[:n] {
				r := &batch[i]
				var cost any
				if r.Cost != nil {
					cost = *r.Cost
				}
				args = append(args, r.Time.UnixNano(), r.RequestID, r.App, r.Service, r.Model, r.Requested,
					r.Plugin, r.Provider, r.InputTokens, r.OutputTokens, b2i(r.Estimated), cost, r.LatencyMS, r.TTFTMS,
					r.Status, r.Code, b2i(r.CacheHit))
			}
			if _, err := tx.ExecContext(ctx, s.insert(n), args...); err != nil {
				return err
			}
			batch = batch[n:]
		}
		return tx.Commit()
	}()
	if err != nil {
		s.dropped.Add(total)
		s.log.Error("usage records not written", "records", total, "error", err)
		return
	}
	s.written.Add(total)
}

// insert is the statement text for n rows, built once per n (the
// writer goroutine is its only user).
func (s *Store) insert(n int) string {
	if q, ok := s.stmts[n]; ok {
		return q
	}
	q := insertSQL(n)
	s.stmts[n] = q
	return q
}

func (s *Store) prune() {
	if s.opt.Retention <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cut := s.opt.Now().Add(-s.opt.Retention).UnixNano()
	res, err := s.db.ExecContext(ctx, `DELETE FROM usage_records WHERE ts < ?`, cut)
	if err != nil {
		s.log.Warn("usage records not pruned", "error", err)
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.log.Info("usage records pruned", "records", n, "retention", s.opt.Retention)
	}
}

// Prune deletes records older than the retention now (tests, admin).
func (s *Store) Prune() { s.prune() }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// span turns from/to into a ts range; zero times are open ends.
func span(from, to time.Time) (int64, int64) {
	lo, hi := int64(0), int64(1<<63-1)
	if !from.IsZero() {
		lo = from.UnixNano()
	}
	if !to.IsZero() {
		hi = to.UnixNano()
	}
	return lo, hi
}

// Aggregate sums records with from <= time < to by groupBy.
func (s *Store) Aggregate(ctx context.Context, from, to time.Time, groupBy string) ([]Group, error) {
	var key string
	switch groupBy {
	case ByModel, ByPlugin, ByProvider, ByApp:
		key = groupBy // a fixed column name, never user text
	case ByDay:
		key = `strftime('%Y-%m-%d', ts / 1000000000, 'unixepoch')`
	default:
		return nil, fmt.Errorf("group_by %q: use model, plugin, provider, app or day", groupBy)
	}
	lo, hi := span(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT `+key+` AS k, COUNT(*), SUM(status >= 400), SUM(cache_hit),
		SUM(input_tokens), SUM(output_tokens), SUM(estimated), SUM(cost), SUM(cost IS NULL)
		FROM usage_records WHERE ts >= ? AND ts < ? GROUP BY k ORDER BY k`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		var cost sql.NullFloat64
		if err := rows.Scan(&g.Key, &g.Requests, &g.Errors, &g.CacheHits, &g.InputTokens, &g.OutputTokens,
			&g.EstimatedRequests, &cost, &g.UnpricedRequests); err != nil {
			return nil, err
		}
		if cost.Valid {
			c := cost.Float64
			g.Cost = &c
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Page is one page of records, newest first. NextCursor is "" on the
// last page.
type Page struct {
	Records    []Record `json:"records"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// Records returns up to limit records with from <= time < to, newest
// first, after cursor (a NextCursor of an earlier page).
func (s *Store) Records(ctx context.Context, from, to time.Time, limit int, cursor string) (Page, error) {
	before := int64(1<<63 - 1)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			return Page{}, fmt.Errorf("cursor %q: pass the next_cursor of the previous page", cursor)
		}
		before = n
	}
	lo, hi := span(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT id, ts, request_id, app, service, model, requested, plugin, provider,
		input_tokens, output_tokens, estimated, cost, latency_ms, ttft_ms, status, code, cache_hit
		FROM usage_records WHERE ts >= ? AND ts < ? AND id < ? ORDER BY id DESC LIMIT ?`, lo, hi, before, limit)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	p := Page{Records: []Record{}}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return Page{}, err
		}
		p.Records = append(p.Records, r)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(p.Records) == limit && limit > 0 {
		p.NextCursor = strconv.FormatInt(p.Records[len(p.Records)-1].ID, 10)
	}
	return p, nil
}

func scanRecord(rows *sql.Rows) (Record, error) {
	var r Record
	var ts int64
	var est, hit int
	var cost sql.NullFloat64
	err := rows.Scan(&r.ID, &ts, &r.RequestID, &r.App, &r.Service, &r.Model, &r.Requested, &r.Plugin, &r.Provider,
		&r.InputTokens, &r.OutputTokens, &est, &cost, &r.LatencyMS, &r.TTFTMS, &r.Status, &r.Code, &hit)
	r.Time = time.Unix(0, ts).UTC()
	r.Estimated, r.CacheHit = est != 0, hit != 0
	if cost.Valid {
		c := cost.Float64
		r.Cost = &c
	}
	return r, err
}

// WriteCSV writes the records with from <= time < to as CSV, oldest
// first, streaming them from the database.
func (s *Store) WriteCSV(ctx context.Context, w io.Writer, from, to time.Time) error {
	lo, hi := span(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT id, ts, request_id, app, service, model, requested, plugin, provider,
		input_tokens, output_tokens, estimated, cost, latency_ms, ttft_ms, status, code, cache_hit
		FROM usage_records WHERE ts >= ? AND ts < ? ORDER BY id`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := cw.Write(r.csvRow()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// Total is the usage of one app and model since some time.
type Total struct {
	App, Model, Requested string
	Tokens                int64
	Cost                  float64
}

// TotalsSince sums tokens and cost by app and model since from (budgets
// rebuild their windows from it after a restart). Cache hits cost
// nothing and are left out.
func (s *Store) TotalsSince(ctx context.Context, from time.Time) ([]Total, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT app, model, requested, SUM(input_tokens + output_tokens), COALESCE(SUM(cost), 0)
		FROM usage_records WHERE ts >= ? AND cache_hit = 0 GROUP BY app, model, requested`, from.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Total
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.App, &t.Model, &t.Requested, &t.Tokens, &t.Cost); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
