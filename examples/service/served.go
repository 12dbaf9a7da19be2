package main

import (
	"net/http"
	"sync/atomic"
)

// servedCounter counts the requests the service's HTTP server answered:
// each one once its handler (the whole stack of middleware included) has
// returned.
type servedCounter struct {
	next   http.Handler
	served atomic.Uint64
}

func (c *servedCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer c.served.Add(1) // a handler's panic, answered by net/http, is answered too
	c.next.ServeHTTP(w, r)
}
