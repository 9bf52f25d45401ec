package toastv1

import (
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/dialect"
)

// Name is the dialect's name in the config file (API enum TOAST_V1).
const Name driver.Dialect = "toastv1"

// Dialect plugs toastv1 into the gateway (listed in internal/dialects): a
// cloud entry's toastv1 keys are Config's yaml-tagged fields, its
// credential is password (password_env, password_file), and New opens the
// adapter from a Config whose dialect-tagged fields the wiring has set.
var Dialect = dialect.Plug(Name, "password", New)
