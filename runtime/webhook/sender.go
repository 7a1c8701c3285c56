package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Defaults of a Sender.
const (
	DefaultRetries    = 3
	DefaultTimeout    = 10 * time.Second
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
	DefaultQueueSize  = 1024
	DefaultWorkers    = 4
)

// Sender delivers webhooks in the background so that the operation that
// triggered one never waits for it and never fails because of it. Send
// puts a delivery on a bounded queue; a small pool of workers posts it,
// retrying network errors, 429 and 5xx answers with exponential backoff.
// Every failure is logged (a retry at warn, a final failure or a drop at
// error); a success is logged at debug. A Sender is safe for concurrent
// use.
type Sender struct {
	client     *http.Client
	logger     *slog.Logger
	retries    int
	timeout    time.Duration
	backoff    time.Duration
	maxBackoff time.Duration
	queueSize  int
	workers    int

	// Seams for tests: how to wait between attempts, how to jitter a
	// backoff and what time it is.
	wait   func(ctx context.Context, d time.Duration) error
	jitter func(d time.Duration) time.Duration
	now    func() time.Time

	queue  chan *job
	mu     sync.RWMutex // guards closed against Send
	closed bool
	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{} // closed when every worker has returned
}

// Option configures a Sender.
type Option func(*Sender)

// WithHTTPClient sets the client deliveries are posted with. The default
// client does not follow redirects (a 3xx answer is a failure that is not
// retried). The per-attempt timeout applies on top of the client's own.
func WithHTTPClient(c *http.Client) Option {
	return func(s *Sender) {
		if c != nil {
			s.client = c
		}
	}
}

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(s *Sender) {
		if l != nil {
			s.logger = l
		}
	}
}

// WithRetries sets how many times a failed attempt is retried (default 3,
// so at most 4 attempts); 0 disables retries.
func WithRetries(n int) Option {
	return func(s *Sender) {
		if n >= 0 {
			s.retries = n
		}
	}
}

// WithTimeout sets the timeout of each attempt (default 10 s).
func WithTimeout(d time.Duration) Option {
	return func(s *Sender) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithBackoff sets the wait before the first retry (default 500 ms), which
// doubles for each further retry, and its cap (default 30 s). Each wait is
// jittered to between half and all of its value. A Retry-After header on a
// 429 or 5xx answer replaces the computed wait, up to the same cap.
func WithBackoff(base, max time.Duration) Option {
	return func(s *Sender) {
		if base > 0 {
			s.backoff = base
		}
		if max > 0 {
			s.maxBackoff = max
		}
	}
}

// WithQueueSize sets how many deliveries may wait for a worker (default
// 1024); when the queue is full, Send drops the delivery and logs it.
func WithQueueSize(n int) Option {
	return func(s *Sender) {
		if n > 0 {
			s.queueSize = n
		}
	}
}

// WithWorkers sets how many deliveries are posted at once (default 4).
func WithWorkers(n int) Option {
	return func(s *Sender) {
		if n > 0 {
			s.workers = n
		}
	}
}

// NewSender returns a running Sender. Call Close to drain it.
func NewSender(opts ...Option) *Sender {
	s := &Sender{
		client: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		logger:     slog.Default(),
		retries:    DefaultRetries,
		timeout:    DefaultTimeout,
		backoff:    DefaultBackoff,
		maxBackoff: DefaultMaxBackoff,
		queueSize:  DefaultQueueSize,
		workers:    DefaultWorkers,
		wait:       sleep,
		jitter:     equalJitter,
		now:        time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	if s.maxBackoff < s.backoff {
		s.maxBackoff = s.backoff
	}
	s.queue = make(chan *job, s.queueSize)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.done = make(chan struct{})
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range s.queue {
				s.deliver(j)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(s.done)
	}()
	return s
}

// Send queues d and returns at once; it reports whether d was queued. An
// invalid URL, a payload that cannot be encoded, a full queue or a closed
// Sender drop the delivery with an error log.
func (s *Sender) Send(d Delivery) bool {
	j, err := prepare(d, s.now())
	if err != nil {
		s.logger.Error("webhook delivery dropped", "event", d.Event, "model", d.Model, "id", d.RecordID, "error", err)
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.logger.Error("webhook delivery dropped: sender is closed", j.attrs()...)
		return false
	}
	select {
	case s.queue <- j:
		return true
	default:
		s.logger.Error("webhook delivery dropped: queue is full", append(j.attrs(), "queue_size", s.queueSize)...)
		return false
	}
}

// Close stops accepting deliveries and waits until every queued delivery
// has been attempted, retries included. When ctx ends first, the waits and
// requests still running are cancelled (and logged as abandoned) and Close
// returns ctx.Err() once the workers have stopped. Close may be called more
// than once.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.cancel()
		<-s.done
		return ctx.Err()
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// equalJitter returns a random duration between d/2 and d.
func equalJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
