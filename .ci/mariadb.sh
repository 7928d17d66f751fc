#!/usr/bin/env bash
# Installs and starts a MariaDB server on 127.0.0.1:3306 for the MySQL migration tests, creates the
# test database and user, and exports RAILWAY_DEPLOY_TEST_MYSQL_URL.
#
# Use:   eval "$(.ci/mariadb.sh)"
# Its only stdout is the `export` line (progress goes to stderr); it also appends the variable to
# $GITHUB_ENV when set. Needs root (apt-get). Idempotent: an already running server is reused.
set -euo pipefail

RD_MYSQL_PORT="${RD_MYSQL_PORT:-3306}"
RD_MYSQL_USER=rdtest
RD_MYSQL_PASSWORD=rdtest-password
RD_MYSQL_DB=rdtest

if ! command -v mariadbd >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "installing mariadb-server" >&2
  apt-get update -qq >&2
  apt-get install -y -qq mariadb-server >&2
fi

if ! mariadb-admin --protocol=socket ping >/dev/null 2>&1; then
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >&2
  fi
  # No systemd in containers: start the server directly, detached, logging to a file.
  nohup mariadbd-safe --user=mysql --datadir=/var/lib/mysql --bind-address=127.0.0.1 \
    --port="$RD_MYSQL_PORT" --socket=/run/mysqld/mysqld.sock >/tmp/mariadb.log 2>&1 &
  for _ in $(seq 1 60); do
    mariadb-admin --protocol=socket ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb-admin --protocol=socket ping >/dev/null || { cat /tmp/mariadb.log >&2; exit 1; }
fi

# The tests create one database per test, named rdtest_<suffix>, so they can run in parallel.
mariadb --protocol=socket <<SQL
CREATE DATABASE IF NOT EXISTS \`$RD_MYSQL_DB\`;
CREATE USER IF NOT EXISTS '$RD_MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$RD_MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS '$RD_MYSQL_USER'@'localhost' IDENTIFIED BY '$RD_MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON \`rdtest%\`.* TO '$RD_MYSQL_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`rdtest%\`.* TO '$RD_MYSQL_USER'@'localhost';
FLUSH PRIVILEGES;
SQL

RD_URL="mysql://$RD_MYSQL_USER:$RD_MYSQL_PASSWORD@127.0.0.1:$RD_MYSQL_PORT/$RD_MYSQL_DB"
if [ -n "${GITHUB_ENV:-}" ]; then
  echo "RAILWAY_DEPLOY_TEST_MYSQL_URL=$RD_URL" >>"$GITHUB_ENV"
fi
echo "export RAILWAY_DEPLOY_TEST_MYSQL_URL='$RD_URL'"
