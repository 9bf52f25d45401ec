package k5

import (
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/dialect"
)

// Name is the dialect's name in the config file (API enum K5).
const Name driver.Dialect = "k5"

// Dialect plugs k5 into the gateway (listed in internal/dialects): a cloud
// entry's k5 keys are Config's yaml-tagged fields, its credential is
// password (password_env, password_file), and ListZones answers the
// configured zones when K5 lists none.
var Dialect = dialect.Spec[Config]{
	Name:            Name,
	Secret:          "password",
	ConfiguredZones: true,
	Open: func(c dialect.Common, cfg Config, deps dialect.Deps) (driver.Adapter, error) {
		cfg.Name, cfg.Password, cfg.Zones = c.Name, c.Secret, c.Zones
		cfg.HTTPClient, cfg.Logger, cfg.TokenOptions.Gate = deps.HTTPClient, deps.Logger, deps.LoginGate
		return New(cfg)
	},
}
