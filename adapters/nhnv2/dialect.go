package nhnv2

import (
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/dialect"
)

// Name is the dialect's name in the config file (API enum NHN_V2).
const Name driver.Dialect = "nhnv2"

// Dialect plugs nhnv2 into the gateway (listed in internal/dialects): a
// cloud entry's nhnv2 keys are Config's yaml-tagged fields, its credential
// is password (password_env, password_file), and New opens the adapter
// from a Config whose dialect-tagged fields the wiring has set.
var Dialect = dialect.Plug(Name, "password", New)
