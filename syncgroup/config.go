package syncgroup

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"
)

// Config says which etcd cluster and prefix hold the group, and how to
// reach them. The zero values of the durations are the defaults.
type Config struct {
	// Endpoints are the cluster's client URLs or host:port pairs.
	Endpoints []string
	// Prefix is the key prefix under which the group lives, e.g.
	// "/securestore/team/"; a "/" is added when missing. etcd's RBAC can
	// grant a role exactly this prefix.
	Prefix string
	// TLS, if set, is used for every connection (etcd's --cert-file etc.
	// on the client side: RootCAs for the server, Certificates for
	// client-certificate auth).
	TLS *tls.Config
	// Username and Password, if set, authenticate to etcd (etcd users and
	// roles). They protect the cluster, not the secrets: every value is
	// sealed before it leaves the device. A Password needs TLS unless
	// every endpoint is a loopback address (ErrPlaintextPassword).
	Username, Password string
	// AccessGroup selects the store to synchronize: "" is the app's own,
	// else one of Config.AccessGroups.
	AccessGroup string
	// DeviceName is a label for this device in status output. It is
	// published in clear under the prefix; leave it empty to publish none.
	DeviceName string

	// CallTimeout bounds every single etcd call (default 5 s);
	// DialTimeout the connection (default 5 s); PollInterval is how often
	// Run looks for changes made by other processes on this device and
	// retries what waited (default 1 s).
	//
	// They also bound how long a connection that died without a word (a
	// member frozen, a peer gone without a reset, a NAT that dropped the
	// flow) goes unnoticed. gRPC keepalive pings a connection that carries
	// a call or Run's watch after keepaliveTime of quiet (2×CallTimeout,
	// at least 10 s) and drops it when no answer comes within CallTimeout.
	// Run's watch, after watchIdle (10×PollInterval) with nothing
	// delivered, asks etcd for a progress report and, when none arrives
	// within CallTimeout, gives the watch up (ErrUnavailable, "went
	// silent"), reconnects and catches up from the last revision applied:
	// with the defaults a silent watch is noticed within 20 s.
	CallTimeout, DialTimeout, PollInterval time.Duration
}

// keepaliveFloor is gRPC's least keepalive interval (a shorter one is
// raised to it); it is also above etcd's default
// --grpc-keepalive-min-time (5 s), under which the server answers pings
// with GOAWAY.
const keepaliveFloor = 10 * time.Second

// keepaliveTime is how long a connection may be quiet before gRPC pings
// it: 2×CallTimeout, at least keepaliveFloor.
func (c *Config) keepaliveTime() time.Duration {
	return max(2*c.CallTimeout, keepaliveFloor)
}

// watchIdle is how long Run's watch may deliver nothing before Run asks
// etcd whether it is still there.
func (c *Config) watchIdle() time.Duration { return 10 * c.PollInterval }

func (c *Config) normalize() error {
	if len(c.Endpoints) == 0 {
		return fmt.Errorf("syncgroup: no etcd endpoints")
	}
	if c.Prefix == "" {
		return fmt.Errorf("syncgroup: an empty key prefix")
	}
	if err := c.checkPasswordTransport(); err != nil {
		return err
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 5 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	return nil
}

// The group's keys under Prefix.
func (c *Config) groupKey() string           { return c.Prefix + "meta/group" }
func (c *Config) epochKey() string           { return c.Prefix + "meta/epoch" }
func (c *Config) devicesPrefix() string      { return c.Prefix + "devices/" }
func (c *Config) deviceKey(id string) string { return c.devicesPrefix() + id }
func (c *Config) keysPrefix() string         { return c.Prefix + "keys/" }
func (c *Config) wrappedKey(epoch uint32, id string) string {
	return fmt.Sprintf("%s%d/%s", c.keysPrefix(), epoch, id)
}
func (c *Config) itemsPrefix() string { return c.Prefix + "items/" }

// checkPasswordTransport refuses a Password that would cross a network in
// clear: without TLS etcd's Authenticate call carries it as it is, so
// anyone on the path could take it (and with it the user's etcd rights).
// Loopback endpoints never leave the machine.
func (c *Config) checkPasswordTransport() error {
	if c.Password == "" || c.TLS != nil {
		return nil
	}
	for _, ep := range c.Endpoints {
		if !isLoopback(ep) {
			return fmt.Errorf("%w: endpoint %q is not a loopback address; configure TLS (a CA certificate) or use no password",
				ErrPlaintextPassword, ep)
		}
	}
	return nil
}

// isLoopback reports whether the endpoint (a URL or host:port) names
// localhost, 127.0.0.0/8 or ::1.
func isLoopback(ep string) bool {
	if _, rest, ok := strings.Cut(ep, "://"); ok {
		ep = rest
	}
	ep, _, _ = strings.Cut(ep, "/")
	host := ep
	if h, _, err := net.SplitHostPort(ep); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
