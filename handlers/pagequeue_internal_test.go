package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestPageQueue: no more than n page reads run at once, the others wait
// their turn in arrival order; writes pass; a reader who leaves while
// queued takes no place; a streaming response can give its place up.
func TestPageQueue(t *testing.T) {
	const n = 2
	e := echo.New()
	var mu sync.Mutex
	running, most := 0, 0
	var order []string
	// Each read holds its place until its own gate opens.
	gates := map[string]chan struct{}{}
	gate := func(i string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if gates[i] == nil {
			gates[i] = make(chan struct{})
		}
		return gates[i]
	}
	hold := func(c echo.Context) error {
		mu.Lock()
		running++
		most = max(most, running)
		order = append(order, c.QueryParam("i"))
		mu.Unlock()
		if c.QueryParam("stream") == "1" {
			leavePageQueue(c)
		}
		<-gate(c.QueryParam("i"))
		mu.Lock()
		running--
		mu.Unlock()
		return c.String(http.StatusOK, "ok")
	}
	q := pageQueue(n)
	e.GET("/page", hold, q)
	e.POST("/page", func(c echo.Context) error { return c.String(http.StatusOK, "written") }, q)

	serve := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w
	}
	var wg sync.WaitGroup
	get := func(query string) {
		wg.Add(1)
		go func() { defer wg.Done(); serve(httptest.NewRequest(http.MethodGet, "/page?"+query, nil)) }()
	}
	waitRunning := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			r := running
			mu.Unlock()
			if r == want {
				return
			}
		}
		t.Fatalf("running never reached %d", want)
	}

	waitStarted := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			got := len(order)
			mu.Unlock()
			if got >= want {
				return
			}
		}
		t.Fatalf("%d reads started, want %d", len(order), want)
	}

	// A streaming response leaves the queue: it does not count.
	get("i=s&stream=1")
	waitRunning(1)
	get("i=1")
	get("i=2")
	waitRunning(3)
	// Both places taken: the next reads queue, in the order they came.
	for _, i := range []string{"3", "4", "5"} {
		get("i=" + i)
		time.Sleep(20 * time.Millisecond)
	}
	// A reader who gives up while queued.
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan int)
	go func() { gone <- serve(httptest.NewRequest(http.MethodGet, "/page?i=gone", nil).WithContext(ctx)).Code }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("a reader who left while queued was not let go (it was running, not queued)")
	}
	// Writes are not queued.
	if w := serve(httptest.NewRequest(http.MethodPost, "/page", nil)); w.Body.String() != "written" {
		t.Fatalf("a POST waited behind the page reads: %d %q", w.Code, w.Body.String())
	}
	// Each place that frees lets in the first still queued, in arrival order
	// ("gone" left the queue). One place at a time, so which one entered is
	// not up to the scheduler.
	for _, step := range []struct{ done, next string }{{"1", "3"}, {"2", "4"}, {"3", "5"}} {
		mu.Lock()
		started := len(order)
		mu.Unlock()
		close(gate(step.done))
		waitStarted(started + 1)
		mu.Lock()
		got := order[started]
		mu.Unlock()
		if got != step.next {
			t.Fatalf("when %s finished, %s entered, want %s (ran %v)", step.done, got, step.next, order)
		}
	}
	for _, i := range []string{"s", "4", "5"} {
		close(gate(i))
	}
	wg.Wait()
	if most > n+1 {
		t.Errorf("%d page reads ran at once, want at most %d (+1 streaming)", most, n)
	}
	if strings.Contains(strings.Join(order, ","), "gone") {
		t.Errorf("a reader who left while queued ran: %v", order)
	}
}
