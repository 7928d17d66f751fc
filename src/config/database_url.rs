//! Owns checking a database URL for `migrations` before anything is written: the scheme names a
//! supported engine, and the URL has a host and a database name that this runner can reach. The
//! same check runs on `database-url` at load and on the value of the Railway variable named by
//! `database-url-variable` at resolution. Messages never contain the URL or its password.

/// Why `url` cannot be migrated, as a message that never quotes the URL.
pub fn check(url: &str) -> Result<(), String> {
    let expected = "expected postgres://user:password@host:port/database (or postgresql://, mysql://, mariadb://)";
    let parsed =
        url::Url::parse(url.trim()).map_err(|e| format!("is not a valid URL ({e}); {expected}"))?;
    if !matches!(
        parsed.scheme(),
        "postgres" | "postgresql" | "mysql" | "mariadb"
    ) {
        return Err(format!(
            "has scheme `{}`, which `migrations` does not support; it applies to PostgreSQL (postgres://, postgresql://) and MySQL/MariaDB (mysql://, mariadb://)",
            parsed.scheme()
        ));
    }
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    if host.is_empty() {
        return Err(format!("has no host; {expected}"));
    }
    if host.ends_with(".railway.internal") {
        return Err("points at Railway's private network (*.railway.internal), which this runner cannot reach; use the public URL (Railway variable DATABASE_PUBLIC_URL), or run migrations inside Railway with `migrate-command`".into());
    }
    if parsed.path().trim_matches('/').is_empty() {
        return Err(format!("names no database; {expected}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_the_four_schemes_with_a_host_and_a_database() {
        for url in [
            "postgres://u:p@h/db",
            "postgresql://u:p@db.example.com:5432/shop?sslmode=require",
            "mysql://u:p@h:3306/db",
            "mariadb://u@h/db",
        ] {
            assert_eq!(check(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_with_a_reason_that_never_shows_the_url() {
        let cases = [
            ("not a url s3cr3t", "not a valid URL"),
            ("sqlite://s3cr3t.db/x", "scheme `sqlite`"),
            ("https://u:s3cr3t@h/db", "scheme `https`"),
            ("postgres://u:s3cr3t@/db", "host"),
            ("postgres:///db", "no host"),
            ("postgres://u:s3cr3t@h", "names no database"),
            ("postgres://u:s3cr3t@h/", "names no database"),
            (
                "postgres://u:s3cr3t@pg.railway.internal/db",
                "private network",
            ),
            ("postgres://u:s3cr3t@h:99999/db", "not a valid URL"),
        ];
        for (url, want) in cases {
            let e = check(url).expect_err(url);
            assert!(e.contains(want), "{url}: {e}");
            assert!(!e.contains("s3cr3t"), "{url}: {e}");
        }
    }
}
