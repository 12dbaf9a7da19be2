package httpctx_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// panickingValuer is a LogValuer whose LogValue panics.
type panickingValuer struct{ Password string }

func (panickingValuer) LogValue() slog.Value { panic("LogValue failed") }

// selfValuer is a LogValuer that returns itself.
type selfValuer struct{ Password string }

func (v selfValuer) LogValue() slog.Value { return slog.AnyValue(v) }

// lockedHolder holds a mutex that stays locked while it is logged.
type lockedHolder struct {
	Mu       *sync.Mutex
	Password string `json:"password"`
}

// cyclicNode points to itself.
type cyclicNode struct {
	Password string `json:"password"`
	Next     *cyclicNode
}

func hostilePanicValues() map[string]any {
	mu := new(sync.Mutex)
	mu.Lock()
	cycle := &cyclicNode{Password: "hunter2"}
	cycle.Next = cycle
	return map[string]any{
		"LogValuer that panics":       panickingValuer{"hunter2"},
		"LogValuer that returns self": selfValuer{"hunter2"},
		"locked mutex":                lockedHolder{Mu: mu, Password: "hunter2"},
		"cycle":                       cycle,
		"1 MiB value":                 map[string]string{"password": "hunter2", "pad": strings.Repeat("x", 1<<20)},
		"channel":                     make(chan int),
	}
}

// TestPanicValueHostile: whatever the handler panics with, the request
// kept by the panic is replayed through the sampling buffer and redaction
// into the sink: the client gets its 500, both records are written, no
// secret is, and nothing panics or hangs below.
func TestPanicValueHostile(t *testing.T) {
	leakcheck.Check(t)
	for name, value := range hostilePanicValues() {
		t.Run(name, func(t *testing.T) {
			var sink logtest.Buffer
			logger := slog.New(sampling.NewHandler(
				scope.NewHandler(redact.NewHandler(sink.JSONHandler(slog.LevelDebug), redact.DefaultOptions()), scope.HandlerOptions{}),
				sampling.DefaultOptions()))
			opts := recovering(logger)
			opts.Policy = sampling.Policy{Rate: 0}
			mw, stats := withStats(t, opts)
			h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(value) }))
			rec, reraised := serveRecovered(h, httptest.NewRequest("GET", "/", nil))
			if reraised != nil || rec.Code != http.StatusInternalServerError {
				t.Fatalf("response %d, re-raised %v; want a 500 and the panic recovered", rec.Code, reraised)
			}
			assertNoSecret(t, sink.String())
			recs := sink.Lines(t)
			if len(recs) != 2 || recs[0]["msg"] != "panic serving request" || recs[1]["msg"] != "request completed" {
				t.Errorf("records %v, want the panic and the access record", recs)
			}
			if s := stats(); s.Panics != 1 || s.LogPanics != 0 || s.Kept != 1 {
				t.Errorf("Panics %d, LogPanics %d, Kept %d; want 1, 0, 1", s.Panics, s.LogPanics, s.Kept)
			}
		})
	}
}
