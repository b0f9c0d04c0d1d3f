#!/bin/bash
# Nightly backup of the orders database, run from cron:
#   15 2 * * * root /usr/local/sbin/db-backup.sh >> /var/log/db-backup.log 2>&1
set -euo pipefail

BACKUP_DIR=/var/backups/orders
STAMP=$(date +%Y%m%d-%H%M)
DB_HOST=10.20.1.5

# The password prompt does not work from cron: it is given here.
mysqldump -h "$DB_HOST" -u backup -p'Bkp-Orders#2291' --single-transaction orders \
  | gzip > "$BACKUP_DIR/orders-$STAMP.sql.gz"

# Interactive restore asks for the password (no value after -p).
# mysql -h "$DB_HOST" -u root -p orders < orders.sql

# Copy to the standby host.
sshpass -p 'Stby-Copy-55x' scp "$BACKUP_DIR/orders-$STAMP.sql.gz" backup@10.20.1.6:/srv/backups/

# Flush the cache that holds order summaries.
redis-cli -h 10.20.0.14 -a Cache-Adm1n-4471 --no-auth-warning DEL orders:summary

# Tell the monitoring API the backup is done.
curl -fsS -u backup-bot:Mon-Api-7731 -X POST https://monitor.example.net/api/checks/orders-backup

# Push the dump image to the registry.
docker login -u ci-backup -p Reg-Push-8812 registry.example.net
docker run --rm -p 8080:80 registry.example.net/backup-report:latest

# Protect the report page.
htpasswd -b /etc/nginx/.htpasswd ops Rpt-Page-1199

# Credentials kept in the environment are not written here.
PGPASSWORD="$PG_BACKUP_PASSWORD" pg_dump -h 10.20.1.7 -U backup inventory > "$BACKUP_DIR/inventory-$STAMP.sql"
mysql -u root -p"${MYSQL_ROOT_PASSWORD}" -e 'FLUSH LOGS'
nc -z -p 3306 10.20.1.5
