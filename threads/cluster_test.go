package threads

import (
	"testing"

	"parley/internal/testpeers/redispeer"
)

// TestEngineOnCluster runs this package's tests again on a real Redis
// Cluster of three masters: every script must touch keys of one slot and
// every multi-key command stay within one, or Redis refuses it (CROSSSLOT),
// so a key that lost its hash tag fails here; live events go through
// sharded pub/sub, one subscription per master.
func TestEngineOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the cluster run starts three redis-servers")
	}
	redispeer.RunOnCluster(t, "^Test", "^TestEngineOnCluster$")
}
