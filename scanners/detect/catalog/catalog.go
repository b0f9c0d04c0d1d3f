// Package catalog names what a policy file may ask of detection: the
// built-in detectors and the classes they find, the validators of pattern
// rules, and how patterns are compiled. It holds values only, so that the
// config package can check rules.yaml with the same definitions detection
// runs with, without depending on detection itself.
package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dlclark/regexp2"

	"github.com/piiscan/piiscan/finding"
)

// Built-in detector names, referenced from rules.yaml with "detector:".
const (
	Email            = "email"
	IPv4             = "ipv4"
	IPv6             = "ipv6"
	CreditCard       = "credit_card"
	PhoneNumber      = "phone_number"
	USSSN            = "us_ssn"
	HealthCondition  = "health_condition"
	HealthICD10      = "health_icd10"
	HealthMedication = "health_medication"
	HealthField      = "health_field"
	CredentialField  = "credential_field"
	Authorization    = "authorization_header"
	URLCredential    = "url_credential"
	AWSAccessKeyID   = "aws_access_key_id"
	PrivateKey       = "private_key"
	PersonNameField  = "person_name_field"
	PostalAddressFld = "postal_address_field"
	DateOfBirthField = "date_of_birth_field"
	VendorToken      = "vendor_token"
	CredentialFile   = "credential_file"
)

// Detector describes one of piiscan's built-in detectors.
type Detector struct {
	Name        string
	Class       string
	Description string
}

var detectors = []Detector{
	{Email, finding.ClassEmail, "e-mail addresses with a known top-level domain"},
	{IPv4, finding.ClassIPAddress, "IPv4 addresses (octets 0-255, not versions, OIDs or 0.0.0.0), also Java's host/addr:port form"},
	{IPv6, finding.ClassIPAddress, "IPv6 addresses in every textual form, incl. compressed and v4-mapped"},
	{CreditCard, finding.ClassCreditCard, "payment card numbers (12-19 digits, plain or grouped, Luhn and IIN ranges) and security codes in cvv/cvc fields"},
	{PhoneNumber, finding.ClassPhoneNumber, "phone numbers (NANP, international, and national ones where the record names the country), validated with libphonenumber metadata"},
	{USSSN, finding.ClassUSSSN, "US social security numbers ddd-dd-dddd (other forms after an SSN label) with valid area, group and serial"},
	{HealthCondition, finding.ClassHealth, "medical conditions near a clinical cue (patient, diagnosed, ...)"},
	{HealthICD10, finding.ClassHealth, "ICD-10 codes after a diagnosis or ICD cue"},
	{HealthMedication, finding.ClassHealth, "medications with a dosage (metformin 500 mg)"},
	{HealthField, finding.ClassHealth, "values of diagnosis/medical fields in JSON, key=value and CSV"},
	{CredentialField, finding.ClassCredential, "password/secret/token values in key=value, JSON and YAML"},
	{Authorization, finding.ClassCredential, "Authorization: Basic/Bearer credentials"},
	{URLCredential, finding.ClassCredential, "passwords in URLs (scheme://user:password@host)"},
	{AWSAccessKeyID, finding.ClassCredential, "AWS access key ids (AKIA..., ASIA...)"},
	{PrivateKey, finding.ClassCredential, "PEM private-key blocks, reported on their BEGIN line"},
	{PersonNameField, finding.ClassPersonName, "person names in name fields of structured lines"},
	{PostalAddressFld, finding.ClassPostalAddress, "postal addresses in address fields of structured lines"},
	{DateOfBirthField, finding.ClassDateOfBirth, "dates in date-of-birth fields of structured lines"},
	{VendorToken, finding.ClassCredential, "API tokens with a vendor prefix anywhere in a line (GitHub with its checksum, npm, Slack and its webhooks, Stripe, GitLab, PyPI, SendGrid, Google, OpenAI, Anthropic)"},
	{CredentialFile, finding.ClassCredential, "passwords in credential files known by name (.pgpass, .netrc, pgbouncer userlist.txt, .htpasswd) and Docker \"auth\" values"},
}

// Detectors lists the built-in detectors, in the order piiscan lists them.
func Detectors() []Detector { return slices.Clone(detectors) }

// Lookup returns the built-in detector with the given name.
func Lookup(name string) (Detector, bool) {
	for _, d := range detectors {
		if d.Name == name {
			return d, true
		}
	}
	return Detector{}, false
}

// DetectorNames returns the names of the built-in detectors, comma-separated,
// for messages that list what may be chosen.
func DetectorNames() string {
	names := make([]string, 0, len(detectors))
	for _, d := range detectors {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

// DetectorUsed is the error of a rule that uses a built-in detector another
// rule already uses: each built-in detector runs for one rule at most.
func DetectorUsed(rule, detector, usedBy string) error {
	return fmt.Errorf("rule %q: detector %q is already used by rule %q", rule, detector, usedBy)
}

// validators are the names of the checks a pattern rule may name with
// "validator:", sorted.
var validators = []string{"credit_card", "email", "ip", "luhn", "phone", "us_ssn"}

// Validators returns the names of the validators, sorted.
func Validators() []string { return slices.Clone(validators) }

// CheckValidator returns an error if name is not a known validator.
func CheckValidator(name string) error {
	if slices.Contains(validators, name) {
		return nil
	}
	return fmt.Errorf("unknown validator %q (want one of %s)", name, strings.Join(validators, ", "))
}

// CompilePattern compiles a regular expression of rules.yaml (a pattern
// rule's or an allow pattern) the way detection runs it: regexp2 syntax,
// default options, no match timeout.
func CompilePattern(expr string) (*regexp2.Regexp, error) {
	return regexp2.Compile(expr, regexp2.None)
}

var errEmptyKeyword = errors.New("empty keyword")

// CompileRule compiles the pattern of a pattern rule and checks its
// keywords, as detection does: the error names the part at fault.
func CompileRule(pattern string, keywords []string) (*regexp2.Regexp, error) {
	re, err := CompilePattern(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	for _, k := range keywords {
		if strings.TrimSpace(k) == "" {
			return nil, errEmptyKeyword
		}
	}
	return re, nil
}
