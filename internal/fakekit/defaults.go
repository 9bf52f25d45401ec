package fakekit

import "reflect"

// Defaults fills each unset field of *opt (a fake's Options struct) with
// the same field of def, where def sets it. Unset is an empty string, a
// zero or negative number (a negative delay or quota takes the default
// too), an empty slice or map, or a nil func or pointer.
func Defaults[T any](opt *T, def T) {
	o, d := reflect.ValueOf(opt).Elem(), reflect.ValueOf(def)
	for i := range o.NumField() {
		if f := o.Field(i); f.CanSet() && unset(f) && !unset(d.Field(i)) {
			f.Set(d.Field(i))
		}
	}
}

func unset(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() <= 0
	case reflect.Float32, reflect.Float64:
		return v.Float() <= 0
	case reflect.Slice, reflect.Map, reflect.String:
		return v.Len() == 0
	}
	return v.IsZero()
}
