package threads

// Observer hears what the engine did, for whoever counts it (parley's
// metrics, in cmd/parley): threads keeps no counters of its own. Each
// method is called inline, once the change is in Redis, by the process
// that made it; it must be quick and safe for concurrent use.
type Observer interface {
	// LinePosted: a line was stored (not a duplicate of one stored
	// before), through the door origin names.
	LinePosted(origin Origin)
	// BatchRetried: a delivery batch failed for now; it comes due again
	// after its backoff.
	BatchRetried(channel Channel)
	// BatchDead: a delivery batch failed for good; its jobs went to the
	// dead letters.
	BatchDead(channel Channel, jobs int)
	// DigestSent: a digest went out and its lines were recorded as
	// digested.
	DigestSent()
}

// noObserver is the Observer of a store nobody watches.
type noObserver struct{}

func (noObserver) LinePosted(Origin)      {}
func (noObserver) BatchRetried(Channel)   {}
func (noObserver) BatchDead(Channel, int) {}
func (noObserver) DigestSent()            {}
