package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// serviceModule is where the service's module lives, from the
// repository's root.
var serviceModule = filepath.Join("examples", "service")

// findServiceDir returns the service's module directory: the first
// directory, walking up from dir, that holds examples/service/go.mod.
func findServiceDir(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, serviceModule)
		if _, err := os.Stat(filepath.Join(candidate, "go.mod")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s/go.mod in %s or above it: run the fleet from the repository, or give -service-bin", serviceModule, dir)
		}
	}
}

// buildService builds the service with the go command into dir and
// returns the binary's path.
func buildService(ctx context.Context, dir string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	src, err := findServiceDir(wd)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "service")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = src
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("building the service: the go command is not on PATH (or give -service-bin): %w", err)
		}
		return "", fmt.Errorf("building the service in %s: %w\n%s", src, err, out.Bytes())
	}
	return bin, nil
}
