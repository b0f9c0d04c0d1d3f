package config

import "github.com/nyaruka/phonenumbers"

// validRegion reports whether libphonenumber knows the region code.
func validRegion(r string) bool {
	return phonenumbers.GetCountryCodeForRegion(r) != 0
}
