// Package supervise keeps one child program running: it starts it,
// restarts it with a capped exponential backoff when it exits, and stops
// it (SIGTERM, then SIGKILL after a grace period) when asked. The agent
// uses it to run securestore-sync for each store given with --sync.
//
// Use Start with Options (Command builds a fresh *exec.Cmd for each run),
// Child.Status to report on it, and Child.Stop to end it. Time comes from
// a Clock, so tests drive the backoff and the grace period without
// sleeping; LineWriter prefixes a child's output lines for a shared log.
package supervise
