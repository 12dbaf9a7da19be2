package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/sampling"
)

// maxForceTTL is the longest a forced-sampling token may live: the
// services refuse a token that claims more.
const maxForceTTL = 24 * time.Hour

// printForceToken is -force-token ID: it prints the token that, sent as
// the X-Log-Force header with X-Correlation-ID: ID to any instance that
// has the same LOG_FORCE_KEY, has that request logged whole by it and by
// every instance it calls, until now+ttl. It is the operator's tool; the
// key never leaves the environment it is read from.
func printForceToken(cfg slogstack.Config, id string, ttl time.Duration, stdout io.Writer) error {
	if len(cfg.HTTP.ForceKey) == 0 {
		return errors.New("-force-token: LOG_FORCE_KEY is not set: the token is signed with the key the services verify it with")
	}
	expiry := time.Now().Add(ttl)
	token, err := sampling.ForceToken(cfg.HTTP.ForceKey, id, expiry)
	if err != nil {
		return fmt.Errorf("-force-token: %w", err)
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
