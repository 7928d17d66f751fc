//! Owns the database URL for SQL migrations: which engine its scheme names, and the secrets it
//! carries (the URL and its password, masked in the log and redacted from every error).

use url::Url;

use crate::secret::Secret;
use crate::workflow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    /// MySQL and MariaDB (sqlx's MySQL driver speaks to both).
    MySql,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::MySql => "MySQL/MariaDB",
        }
    }
}

/// A parsed database URL: the engine, the URL to hand the driver, and what to redact.
pub struct DatabaseUrl {
    pub engine: Engine,
    /// What the driver connects with (`mariadb://` rewritten to `mysql://`).
    pub driver_url: Secret,
    /// The URL as given, the driver URL, and the password raw and percent-decoded.
    secrets: Vec<Secret>,
}

impl DatabaseUrl {
    /// Parses the URL. The error never contains the URL itself.
    pub fn parse(url: &Secret) -> Result<DatabaseUrl, String> {
        let parsed = Url::parse(url.expose().trim()).map_err(|e| {
            format!("the database URL is not a valid URL ({e}); expected postgres://user:password@host:port/db or mysql://…")
        })?;
        let engine = match parsed.scheme() {
            "postgres" | "postgresql" => Engine::Postgres,
            "mysql" | "mariadb" => Engine::MySql,
            other => {
                return Err(format!(
                    "the database URL's scheme `{other}` is not supported; `migrations` applies to PostgreSQL (postgres://, postgresql://) and MySQL/MariaDB (mysql://, mariadb://)"
                ));
            }
        };
        let mut driver = parsed.clone();
        if parsed.scheme() == "mariadb" && driver.set_scheme("mysql").is_err() {
            return Err(
                "the database URL cannot be read as mysql://; write it as mysql://…".into(),
            );
        }
        let mut secrets = vec![url.clone(), Secret::new(url.expose().trim())];
        secrets.push(Secret::new(driver.as_str()));
        if let Some(pw) = parsed.password() {
            secrets.push(Secret::new(pw));
            let decoded = percent_encoding::percent_decode_str(pw).decode_utf8_lossy();
            secrets.push(Secret::new(decoded));
        }
        Ok(DatabaseUrl {
            engine,
            driver_url: Secret::new(driver.as_str()),
            secrets,
        })
    }

    /// Asks the runner to mask the URL and the password (separately: a driver error may quote
    /// either on its own), and registers them for redaction outside Actions (`crate::secret`).
    pub fn mask(&self) {
        for s in &self.secrets {
            workflow::mask(s.expose());
            crate::secret::register(s);
        }
    }

    /// Removes the URL and password from text (driver errors may quote them).
    pub fn redact(&self, text: &str) -> String {
        // Longest first, so the URL is replaced whole before its password is.
        let mut refs: Vec<&Secret> = self.secrets.iter().collect();
        refs.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        crate::secret::redact(text, &refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_from_scheme() {
        let p = |u: &str| DatabaseUrl::parse(&Secret::new(u)).map(|d| d.engine);
        assert_eq!(p("postgres://u:p@h/db"), Ok(Engine::Postgres));
        assert_eq!(p("postgresql://u:p@h:5432/db"), Ok(Engine::Postgres));
        assert_eq!(p("mysql://u:p@h/db"), Ok(Engine::MySql));
        assert_eq!(p("mariadb://u:p@h/db"), Ok(Engine::MySql));
        let e = p("sqlite://x.db").unwrap_err();
        assert!(e.contains("`sqlite` is not supported"), "{e}");
        let e = p("not a url s3cr3t").unwrap_err();
        assert!(!e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn mariadb_is_driven_as_mysql() {
        let d = DatabaseUrl::parse(&Secret::new("mariadb://u:p@h:3306/db")).unwrap();
        assert_eq!(d.driver_url.expose(), "mysql://u:p@h:3306/db");
    }

    #[test]
    fn redacts_url_and_password_raw_and_decoded() {
        let d = DatabaseUrl::parse(&Secret::new(
            "postgres://app:p%40ss+word1@db.internal:5432/shop",
        ))
        .unwrap();
        let msg = "error connecting to postgres://app:p%40ss+word1@db.internal:5432/shop: password p@ss+word1 rejected (p%40ss+word1)";
        let out = d.redact(msg);
        assert!(
            !out.contains("p@ss+word1") && !out.contains("p%40ss+word1"),
            "{out}"
        );
        assert!(out.starts_with("error connecting to ***:"), "{out}");
    }
}
