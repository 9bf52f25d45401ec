package gcore

import (
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/dialect"
)

// Name is the dialect's name in the config file (API enum GCORE).
const Name driver.Dialect = "gcore"

// Dialect plugs gcore into the gateway (listed in internal/dialects): a
// cloud entry's gcore keys are Config's yaml-tagged fields (endpoint,
// project_id, region_id), its credential is api_key (api_key_env,
// api_key_file), ListZones answers the configured zones (Config.Zones), and
// a cloud without a timeout gets DefaultTimeout, which covers Gcore's
// builds.
var Dialect = dialect.Plug(Name, "api_key", New).WithDefaultTimeout(DefaultTimeout)
