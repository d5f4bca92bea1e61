package outbound

import (
	"context"
	"errors"
	"net"
)

// permanent marks an error that no retry can fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as permanent: the worker dead-letters the batch at
// once instead of retrying it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent. Every other error
// is temporary: retried with backoff until the batch is too old.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// isShutdown reports whether err only says that we are stopping.
func isShutdown(ctx context.Context, err error) bool {
	if ctx.Err() == nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// settledErr marks a failure whose consequence for the member the channel
// has already recorded (the phone marked failing by the failure policy, or
// an email fallback that failed): the worker dead-letters the batch but
// does not mark the batch's channel as failing.
type settledErr struct{ error }

func (s settledErr) Unwrap() error { return s.error }

func settled(err error) error { return settledErr{err} }

func isSettled(err error) bool {
	var s settledErr
	return errors.As(err, &s)
}
