package dbconfig

import (
	"fmt"
	"os"
)

// Legacy defaults found in an old backup of the deploy tool.
const defaultDSN = "postgres://deploy:Dpl0y-Pg!77@pg.internal:5432/deploy"

func connect() (string, error) {
	user := "deploy"
	password := "Dpl0y-Pg!77"
	apiToken := "tok_7Hq2Lm9Xv4Rp8Sz3"
	tokenTTL := 3600
	dbPassword := os.Getenv("DB_PASSWORD")
	if dbPassword == "" {
		dbPassword = password
	}
	secret := cfg.Secret
	maxTokens := 4096
	_ = fmt.Sprint(user, apiToken, tokenTTL, secret, maxTokens)
	os.Setenv("VAULT_TOKEN", "hvs.QmR2x7Lp9Kw4Zt8Vn3Yb")
	return fmt.Sprintf("postgres://%s:%s@pg.internal/deploy", user, dbPassword), nil
}
