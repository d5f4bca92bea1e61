package redispeer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"parley/internal/peerproc"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/testpeers"
)

// ClusterEnv names the environment variable that points New at a Redis
// Cluster: its nodes' host:port, comma-separated. StartCluster sets it for
// a test binary it runs again (RunOnCluster).
const ClusterEnv = "PARLEY_TEST_CLUSTER"

// clusterMasters is how many masters StartCluster starts: the fewest Redis
// accepts, so that every command that would cross slots fails as it would in
// production.
const clusterMasters = 3

// StartCluster starts a throwaway Redis Cluster of three masters on loopback
// ports (each with its bus port, port+10000, free), waits until every slot is
// served, and returns the nodes' addresses. The servers stop when t ends.
func StartCluster(t testing.TB) []string {
	t.Helper()
	return StartClusterWith(t, ClusterOptions{}).Addrs
}

// ClusterOptions shape a cluster of StartClusterWith.
type ClusterOptions struct {
	// Replicas per master (0: none).
	Replicas int
	// NodeTimeout is cluster-node-timeout: how long a master may be
	// unreachable before its replica takes over (Redis's 15 s when 0).
	NodeTimeout time.Duration
}

// Cluster is a running test cluster.
type Cluster struct {
	// Addrs are every node's host:port.
	Addrs []string
	procs map[string]*exec.Cmd
}

// Kill ends the node at addr with SIGKILL, as a crash would.
func (c *Cluster) Kill(addr string) {
	if cmd := c.procs[addr]; cmd != nil {
		_ = cmd.Process.Kill()
	}
}

// StartClusterWith starts a cluster of three masters with o.Replicas
// replicas each, waits until every slot is served (and every replica
// follows its master), and stops it when t ends.
func StartClusterWith(t testing.TB, o ClusterOptions) *Cluster {
	t.Helper()
	bin := testpeers.Program(t, "redis-server", Install)
	cli := testpeers.Program(t, "redis-cli", Install)
	c := &Cluster{procs: map[string]*exec.Cmd{}}
	for range clusterMasters * (1 + o.Replicas) {
		port := clusterPort(t)
		dir := t.TempDir()
		addr := "127.0.0.1:" + strconv.Itoa(port)
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", dir + "/nodes.conf", "--dir", dir, "--logfile", dir + "/redis.log"}
		if o.NodeTimeout > 0 {
			args = append(args, "--cluster-node-timeout", strconv.FormatInt(o.NodeTimeout.Milliseconds(), 10))
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server for the cluster: %v", err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		if err := peerproc.WaitPing(addr, dir); err != nil {
			t.Fatal(err)
		}
		c.Addrs = append(c.Addrs, addr)
		c.procs[addr] = cmd
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	if o.Replicas > 0 {
		args = append(args, "--cluster-replicas", strconv.Itoa(o.Replicas))
	}
	out, err := exec.Command(cli, append(args, "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	defer cc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, a := range c.Addrs {
			n := redis.NewClient(&redis.Options{Addr: a})
			info, err := n.ClusterInfo(context.Background()).Result()
			repl, rerr := n.Info(context.Background(), "replication").Result()
			_ = n.Close()
			ok = ok && err == nil && strings.Contains(info, "cluster_state:ok") &&
				rerr == nil && (strings.Contains(repl, "role:master") || strings.Contains(repl, "master_link_status:up"))
		}
		if ok && cc.Ping(context.Background()).Err() == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis cluster on %v did not come up", c.Addrs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clusterPort finds a loopback port that is free together with its cluster
// bus port (port+10000).
func clusterPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(25000)
		a, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		_ = a.Close()
		if err != nil {
			continue
		}
		_ = b.Close()
		return port
	}
	t.Fatal("no free pair of loopback ports for a cluster node")
	return 0
}

// RunOnCluster starts a cluster and runs this test binary again with New
// pointed at it, for the tests that match run and not skip (regular
// expressions as for go test -run and -skip). It is how a package checks
// that every script and pipeline it sends stays within one slot: Redis
// refuses a multi-key command across slots (CROSSSLOT) and routes nothing
// it cannot. The child's output is logged; its failure fails t.
func RunOnCluster(t *testing.T, run, skip string) {
	t.Helper()
	if os.Getenv(ClusterEnv) != "" {
		t.Skip("already on the cluster")
	}
	addrs := StartCluster(t)
	args := []string{"-test.run", run, "-test.count", "1"}
	if skip != "" {
		args = append(args, "-test.skip", skip)
	}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), ClusterEnv+"="+strings.Join(addrs, ","))
	out, err := cmd.CombinedOutput()
	t.Logf("on a %d-master cluster:\n%s", len(addrs), out)
	if err != nil {
		t.Fatalf("tests on the cluster failed: %v", err)
	}
}

// newClusterClient returns a client of the cluster named by ClusterEnv.
func newClusterClient(spec string) (redis.UniversalClient, string, error) {
	addrs := strings.Split(spec, ",")
	if len(addrs) == 0 || addrs[0] == "" {
		return nil, "", fmt.Errorf("%s is empty", ClusterEnv)
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Protocol: 2}), addrs[0], nil
}

// Keys lists this Redis's keys that match pattern, on every master of a
// cluster. Tests only: KEYS walks the whole keyspace.
func (r *Redis) Keys(ctx context.Context, pattern string) ([]string, error) {
	c, ok := r.Client.(*redis.ClusterClient)
	if !ok {
		return r.Client.Keys(ctx, pattern).Result()
	}
	var mu sync.Mutex
	var out []string
	err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		keys, err := n.Keys(ctx, pattern).Result()
		mu.Lock()
		defer mu.Unlock()
		out = append(out, keys...)
		return err
	})
	return out, err
}

// StartSentinel starts one Redis Sentinel watching the server at master
// under name, on a free loopback port, and returns its address. It stops
// when t ends. conf are more lines of its configuration (say
// "sentinel down-after-milliseconds NAME 1000").
func StartSentinel(t testing.TB, master, name string, conf ...string) string {
	t.Helper()
	bin := testpeers.Program(t, "redis-server", Install)
	host, port, err := net.SplitHostPort(master)
	if err != nil {
		t.Fatalf("sentinel master %q: %v", master, err)
	}
	dir := t.TempDir()
	sport := testpeers.FreePort(t)
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s/sentinel.log\nsentinel monitor %s %s %s 1\n",
		sport, dir, dir, name, host, port)
	for _, line := range conf {
		text += line + "\n"
	}
	if err := os.WriteFile(dir+"/sentinel.conf", []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, dir+"/sentinel.conf", "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis sentinel: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(sport)
	if err := peerproc.WaitPing(addr, dir); err != nil {
		t.Fatal(err)
	}
	return addr
}
