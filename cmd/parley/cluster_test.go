package main

import (
	"testing"

	"parley/internal/testpeers/redispeer"
)

// TestCLIOnCluster runs this package's tests again with PARLEY_REDIS_URL
// naming a real three-master Redis Cluster (redis+cluster://...): every
// command and serve must work there as on one server.
func TestCLIOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the cluster run starts three redis-servers")
	}
	redispeer.RunOnCluster(t, "^Test", "^TestCLIOnCluster$")
}
