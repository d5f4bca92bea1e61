// Package outbound carries chat lines out of parley: the delivery worker
// that consumes the queue, gathers lines into batches, checks again that
// they are still wanted, and hands each batch to a channel (email or SMS),
// with retries, dead letters and a graceful shutdown.
package outbound
