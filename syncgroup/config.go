package syncgroup

import (
	"crypto/tls"
	"fmt"
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
	// sealed before it leaves the device.
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
	CallTimeout, DialTimeout, PollInterval time.Duration
}

func (c *Config) normalize() error {
	if len(c.Endpoints) == 0 {
		return fmt.Errorf("syncgroup: no etcd endpoints")
	}
	if c.Prefix == "" {
		return fmt.Errorf("syncgroup: an empty key prefix")
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
