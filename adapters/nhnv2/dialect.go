package nhnv2

import (
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/dialect"
)

// Name is the dialect's name in the config file (API enum NHN_V2).
const Name driver.Dialect = "nhnv2"

// Dialect plugs nhnv2 into the gateway (listed in internal/dialects): a
// cloud entry's nhnv2 keys are Config's yaml-tagged fields, and its
// credential is password (password_env, password_file).
var Dialect = dialect.Spec[Config]{
	Name:   Name,
	Secret: "password",
	Open: func(c dialect.Common, cfg Config, deps dialect.Deps) (driver.Adapter, error) {
		cfg.Name, cfg.Password = c.Name, c.Secret
		cfg.HTTPClient, cfg.Logger, cfg.LoginGate = deps.HTTPClient, deps.Logger, deps.LoginGate
		return New(cfg)
	},
}
