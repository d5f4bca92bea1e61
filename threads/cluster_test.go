package threads

import (
	"testing"

	"parley/internal/testpeers/redispeer"
)

// liveTests subscribe to live events. Plain PUBLISH reaches a subscriber on
// another cluster node through the cluster bus, a moment later than on one
// server, so they are left out on the cluster until live events use sharded
// pub/sub (SPUBLISH/SSUBSCRIBE, one hub per process).
const liveTests = "^(TestSubscribeRoom|TestSubscribeUserFollowsMembership|TestPresenceEvents|TestAutoReplyLine|TestHubSharesOneSubscription|TestHubDropsSlowSubscriber)$"

// TestEngineOnCluster runs this package's tests again on a real Redis
// Cluster of three masters: every script must touch keys of one slot and
// every multi-key command stay within one, or Redis refuses it (CROSSSLOT),
// so a key that lost its hash tag fails here.
func TestEngineOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the cluster run starts three redis-servers")
	}
	redispeer.RunOnCluster(t, "^Test", "^TestEngineOnCluster$|"+liveTests[1:len(liveTests)-1])
}
