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
	release := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	var order []string
	hold := func(c echo.Context) error {
		mu.Lock()
		running++
		most = max(most, running)
		order = append(order, c.QueryParam("i"))
		mu.Unlock()
		if c.QueryParam("stream") == "1" {
			leavePageQueue(c)
		}
		<-release
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
		close(release)
		t.Fatal("a reader who left while queued was not let go (it was running, not queued)")
	}
	// Writes are not queued.
	if w := serve(httptest.NewRequest(http.MethodPost, "/page", nil)); w.Body.String() != "written" {
		t.Fatalf("a POST waited behind the page reads: %d %q", w.Code, w.Body.String())
	}
	close(release)
	wg.Wait()
	if most > n+1 {
		t.Errorf("%d page reads ran at once, want at most %d (+1 streaming)", most, n)
	}
	// "gone" never ran; the queued ones ran in the order they arrived.
	if got := strings.Join(order[3:], ","); len(order) != 6 || got != "3,4,5" {
		t.Errorf("ran %v, want s, 1, 2 (any order) then 3,4,5", order)
	}
}
