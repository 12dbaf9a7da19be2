// Package httpwire connects the stack builder (the root package slogstack)
// to the HTTP middleware's counters without a second exported constructor
// in httpctx.
//
// httpctx sets Build in its init to a function of type
//
//	func(httpctx.Options) (func(http.Handler) http.Handler, func() httpctx.Stats)
//
// that returns the middleware, exactly as httpctx.Middleware(opts) does,
// and a function that reads its counters. A package that imports httpctx
// (which runs that init first) type-asserts Build to that type. Build is
// typed any because this package cannot import httpctx (httpctx imports
// it).
package httpwire
