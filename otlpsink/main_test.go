package otlpsink

import (
	"os"
	"testing"

	"go.opentelemetry.io/otel"
)

func TestMain(m *testing.M) {
	// The batch processor reports export errors through otel's global
	// handler too; the tests read them from ExportStats.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	os.Exit(m.Run())
}
