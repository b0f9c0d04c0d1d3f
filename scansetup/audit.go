package scansetup

import (
	"fmt"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/retention/audit"
)

// AuditLog opens the audit log of enforcement.audit_log, keyed with the
// fingerprint key. An enforcing run refuses a key that lasts only for this
// run: the chain it wrote could never be verified. For an enforcing run
// the log is also checked (audit.Log.Check): call AuditLog before the
// first action, and act on nothing when it fails.
func AuditLog(c *config.Config, enforce bool) (*audit.Log, error) {
	key, _, err := c.FingerprintKey()
	if key == nil || err != nil && enforce {
		return nil, fmt.Errorf("the audit log needs a lasting fingerprint key: %w", err)
	}
	l := audit.Open(c.AuditLogPath(), key)
	if enforce {
		if _, err := l.Check(); err != nil {
			return nil, fmt.Errorf("nothing was done: %w", err)
		}
	}
	return l, nil
}
