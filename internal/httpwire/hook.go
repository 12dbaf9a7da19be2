package httpwire

// Build is set by httpctx's init to a
// func(httpctx.Options) (func(http.Handler) http.Handler, func() httpctx.Stats);
// see the package comment.
var Build any
