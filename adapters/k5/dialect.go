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
// configured zones (Config.Zones) when K5 lists none.
var Dialect = dialect.Plug(Name, "password", New)
