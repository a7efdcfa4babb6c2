package main

import (
	"context"
	"errors"
	"io"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("eval: not built yet")
}
