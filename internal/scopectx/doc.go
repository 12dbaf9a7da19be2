// Package scopectx holds the context that carries an open scope together
// with what the scope package keeps beside it: the hex forms of the scope's
// span IDs, computed once, and the logger bound to the scope.
//
// It is shared by the scope package (Start, Logger, the correlation
// handler, which recognises this context and reads the state without
// walking the context chain) and by the HTTP middleware (httpctx), which
// allocates a State together with its response writer, in one allocation
// per request.
package scopectx
