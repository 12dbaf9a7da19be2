package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/attribute"
)

// reasonCounts counts requests by the sampling rule that decided them.
type reasonCounts = sampling.ReasonCounts

// reasonFields are the rules of sampling.ReasonCounts with the value of
// their reason attribute, in the order of the struct.
var reasonFields = []struct {
	reason string
	field  func(*reasonCounts) uint64
}{
	{"excluded", func(c *reasonCounts) uint64 { return c.Excluded }},
	{"path", func(c *reasonCounts) uint64 { return c.Path }},
	{"trace", func(c *reasonCounts) uint64 { return c.Trace }},
	{"rate", func(c *reasonCounts) uint64 { return c.Rate }},
	{"forced", func(c *reasonCounts) uint64 { return c.Forced }},
	{"other", func(c *reasonCounts) uint64 { return c.Other }},
}

// reasonPoints are one point per reason of the counts counts returns (nil
// when its layer is absent), with the attribute reason and, when extra is
// not nil, the attributes of extra.
func reasonPoints(counts func(*slogstack.Stats) *reasonCounts, extra []attribute.KeyValue) []point {
	points := make([]point, 0, len(reasonFields))
	for _, rf := range reasonFields {
		kvs := append([]attribute.KeyValue{attribute.String("reason", rf.reason)}, extra...)
		points = append(points, layerPoint(counts, attribute.NewSet(kvs...),
			func(c *reasonCounts) int64 { return u(rf.field(c)) }))
	}
	return points
}
