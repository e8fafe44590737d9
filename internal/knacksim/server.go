package knacksim

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Options configure a simulator. The zero value is a usable empty app with
// Knack's default limits.
type Options struct {
	// AppID and APIKey default to a fixed-looking 24-hex app id (or the
	// dataset schema's id) and a UUID-shaped key, both derived from Seed.
	AppID, APIKey string
	// Dataset is the initial data; nil is an empty app.
	Dataset *Dataset
	// Users are the accounts POST /v1/applications/{app}/session logs in.
	Users []User

	// RatePerSecond is the per-second request limit: 0 means Knack's 10,
	// negative means unlimited.
	RatePerSecond int
	// DailyQuota is the daily request quota (reset at 00:00 UTC); 0 is
	// unlimited (reported as 100000000).
	DailyQuota int

	// Latency and Jitter delay every answer by Latency plus a uniform
	// random share of Jitter.
	Latency, Jitter time.Duration
	// FailRate is the share of requests answered 500/502/503/504 with an
	// HTML body.
	FailRate float64
	// TimeoutRate is the share of requests that hang until the client gives
	// up, the simulator closes, or TimeoutHang (default 120s) passes, after
	// which they are answered 504.
	TimeoutRate float64
	TimeoutHang time.Duration

	// NotFoundStatus is the status for a well-formed id that does not exist:
	// default 404 with {"errors":[{"message":"Record not found"}]}; 400 gives
	// the text/html "Malformed Record Key: ID" instead.
	NotFoundStatus int
	// CurrentPageAsString echoes current_page as a string ("2") whenever the
	// request carried a page parameter, as Knack did in 2015.
	CurrentPageAsString bool
	// CaseSensitive makes text filter comparisons case-sensitive (Knack's are
	// case-insensitive).
	CaseSensitive bool

	// HookURL, when set, receives a change hint after every create, update
	// and delete made through the HTTP API, with X-Webhook-Secret: HookSecret.
	HookURL, HookSecret string
	// HookDrop is the share of hints dropped instead of sent.
	HookDrop float64

	// Seed makes ids, keys, faults and drops deterministic.
	Seed int64
	// Now is the clock (default time.Now): ids, rate windows, the quota day
	// and relative date filters follow it.
	Now func() time.Time
	// Logger gets the simulator's own log lines (default: discarded).
	Logger *slog.Logger
}

// Server is a running (or ready to run) Knack simulator.
type Server struct {
	appID, apiKey string
	log           *slog.Logger
	now           func() time.Time
	loc           *time.Location
	schema        Schema
	views         map[string]viewRef // "scene_1/view_2"
	opts          Options

	mu      sync.RWMutex // the store: objects and their records
	objects map[string]*objectStore

	idMu    sync.Mutex
	lastSec uint32
	counter uint32
	machine [5]byte

	rngMu sync.Mutex
	rng   *rand.Rand

	lim limiter

	hooks  *hookEmitter
	obs    observer
	users  userStore
	assets assetStore

	handler http.Handler
	base    context.Context
	cancel  context.CancelFunc

	srvMu     sync.Mutex
	srv       *http.Server
	url       string
	closeOnce sync.Once
}

// viewRef is what a view serves.
type viewRef struct {
	scene  *Scene
	object string
}

// New builds a simulator. It serves nothing until Start, or until its
// Handler is mounted elsewhere; Close releases it either way.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = 10
	}
	if opts.TimeoutHang <= 0 {
		opts.TimeoutHang = 120 * time.Second
	}
	if opts.NotFoundStatus == 0 {
		opts.NotFoundStatus = http.StatusNotFound
	}
	s := &Server{
		log:     opts.Logger,
		now:     opts.Now,
		opts:    opts,
		objects: make(map[string]*objectStore),
		views:   make(map[string]viewRef),
		rng:     rand.New(rand.NewPCG(uint64(opts.Seed), uint64(opts.Seed)^0x9e3779b97f4a7c15)),
	}
	if opts.Dataset != nil {
		s.schema = opts.Dataset.Schema
	}
	s.appID = opts.AppID
	if s.appID == "" {
		s.appID = s.schema.ID
	}
	if s.appID == "" {
		// 0x5d796442 is 2019-09-11: an app id looks like an ObjectId made
		// by Knack some years ago.
		s.appID = fmt.Sprintf("5d796442%016x", s.rng.Uint64())
	}
	s.schema.ID = s.appID
	s.apiKey = opts.APIKey
	if s.apiKey == "" {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], s.rng.Uint64())
		binary.BigEndian.PutUint64(b[8:], s.rng.Uint64())
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		s.apiKey = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	binary.BigEndian.PutUint32(s.machine[:4], s.rng.Uint32())
	s.machine[4] = byte(s.rng.Uint32())
	s.counter = s.rng.Uint32N(1 << 22)
	s.loc = appLocation(s.schema.Timezone, s.log)

	// The schema is copied so that a caller's later edits cannot reach the
	// store's field pointers.
	s.schema.Objects = cloneObjects(s.schema.Objects)
	s.schema.Scenes = append([]Scene(nil), s.schema.Scenes...)
	for i := range s.schema.Objects {
		obj := &s.schema.Objects[i]
		if obj.Key == "" {
			return nil, errors.New("knacksim: an object without key")
		}
		if _, dup := s.objects[obj.Key]; dup {
			return nil, fmt.Errorf("knacksim: object %s defined twice", obj.Key)
		}
		s.objects[obj.Key] = newObjectStore(obj)
	}
	for i := range s.schema.Scenes {
		sc := &s.schema.Scenes[i]
		for _, v := range sc.Views {
			if _, ok := s.objects[v.Object]; !ok {
				return nil, fmt.Errorf("knacksim: %s/%s shows unknown object %q", sc.Key, v.Key, v.Object)
			}
			s.views[sc.Key+"/"+v.Key] = viewRef{scene: sc, object: v.Object}
		}
	}
	if opts.Dataset != nil {
		for key := range opts.Dataset.Records {
			if _, ok := s.objects[key]; !ok {
				return nil, fmt.Errorf("knacksim: dataset has records for %s, which the schema lacks", key)
			}
		}
		// Objects are independent: encode them in parallel (seconds at the
		// vespa scale).
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for key, recs := range opts.Dataset.Records {
			o := s.objects[key]
			wg.Go(func() {
				if err := o.load(recs); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("knacksim: %s: %w", key, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	for _, u := range opts.Users {
		s.AddUser(u)
	}
	// The store holds its own encoded copy: keep no reference to the
	// caller's dataset (hundreds of MB of maps at the vespa scale).
	s.opts.Dataset, s.opts.Users = nil, nil
	s.lim = limiter{rate: opts.RatePerSecond, quota: opts.DailyQuota,
		failRate: opts.FailRate, timeoutRate: opts.TimeoutRate,
		latency: opts.Latency, jitter: opts.Jitter}
	s.obs.init()
	s.base, s.cancel = context.WithCancel(context.Background())
	s.hooks = newHookEmitter(s.base, s.log, opts.HookURL, opts.HookSecret, opts.HookDrop, s.float64)
	s.handler = s.routes()
	return s, nil
}

func cloneObjects(in []Object) []Object {
	out := make([]Object, len(in))
	for i, o := range in {
		o.Fields = append([]Field(nil), o.Fields...)
		out[i] = o
	}
	return out
}

// Handler is the simulator's HTTP handler (everything under /v1).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		return errors.New("knacksim: already started")
	}
	if s.base.Err() != nil {
		return errors.New("knacksim: closed")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("knacksim: listen %s: %w", addr, err)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.url = "http://" + ln.Addr().String() + "/v1"
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("knack simulator stopped", "err", err)
		}
	}()
	s.log.Info("knack simulator listening", "url", s.url, "app_id", s.appID)
	return nil
}

// Close stops the simulator at once: requests in flight are cut (hanging
// and delayed ones released first), queued change hints are abandoned. It is
// safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.cancel()
		s.srvMu.Lock()
		srv := s.srv
		s.srvMu.Unlock()
		if srv != nil {
			// Not Shutdown: it waits up to 5 s for connections a client
			// opened but never used, which would slow every test's cleanup.
			err = srv.Close()
		}
		s.hooks.close()
	})
	return err
}

// URL is the base URL, "http://127.0.0.1:PORT/v1", once started.
func (s *Server) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.url
}

// AppID is the application id clients send in X-Knack-Application-Id.
func (s *Server) AppID() string { return s.appID }

// APIKey is the key clients send in X-Knack-REST-API-Key.
func (s *Server) APIKey() string { return s.apiKey }

// Schema is the application's schema (a copy).
func (s *Server) Schema() Schema {
	out := s.schema
	out.Objects = cloneObjects(s.schema.Objects)
	return out
}

// Start starts a simulator on 127.0.0.1:0 for a test and closes it when the
// test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("knacksim.New: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("knacksim: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// float64 draws from the seeded source.
func (s *Server) float64() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

// newID returns a new record id: a 24-hex ObjectId whose first 4 bytes are
// the creation time (from Now), then a per-simulator random part and a
// counter, so that ids increase.
func (s *Server) newID() string {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	sec := uint32(s.now().Unix())
	if sec < s.lastSec {
		sec = s.lastSec
	}
	s.counter = (s.counter + 1) & 0xffffff
	if s.counter == 0 && sec == s.lastSec {
		sec++ // the counter wrapped within a second: keep ids increasing
	}
	s.lastSec = sec
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], sec)
	copy(b[4:9], s.machine[:])
	b[9], b[10], b[11] = byte(s.counter>>16), byte(s.counter>>8), byte(s.counter)
	return hex.EncodeToString(b[:])
}
