// Package dialects lists the dialects the gateway serves: the one place a
// new dialect is added (one line here, its adapter package, and its value
// in the API's Cloud.Dialect enum; see README "Adding a dialect").
package dialects

import (
	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/adapters/k5"
	"github.com/computegw/computegw/adapters/nhnv2"
	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/internal/dialect"
)

// All are the dialects a config file may name, in the order messages list
// them.
var All = []dialect.Descriptor{
	nhnv2.Dialect,
	toastv1.Dialect,
	k5.Dialect,
	gcore.Dialect,
}
