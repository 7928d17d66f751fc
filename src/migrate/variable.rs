//! Owns finding the database URL for `migrations` when `database-url` is empty: the Railway
//! variable named by `database-url-variable` (default `DATABASE_PUBLIC_URL`), first in the
//! service's own variables in that environment, then in the environment's other services
//! (typically the Postgres one). The value is masked as soon as it is read.

use crate::railway::variables as ops;
use crate::railway::{RailwayClient, RailwayError};
use crate::secret::Secret;
use crate::workflow;

/// Where the URL was found, for the log (never the value).
#[derive(Clone, Debug)]
pub struct Found {
    pub url: Secret,
    pub service_name: String,
}

/// Looks `name` up in `first` (the deployed service), then in `others` (id, name) in order.
/// `Ok(None)`: no service has it; the error message for that says what to do.
pub async fn find_database_url(
    c: &RailwayClient,
    project_id: &str,
    environment_id: &str,
    first: (&str, &str),
    others: &[(&str, &str)],
    name: &str,
) -> Result<Option<Found>, RailwayError> {
    for (service_id, service_name) in std::iter::once(&first).chain(others.iter()) {
        let vars = ops::variables(c, project_id, environment_id, service_id).await?;
        for value in vars.values() {
            if let Some(v) = value.as_str() {
                // Every value read is someone's secret: mask them all, not only the one we use.
                workflow::mask(v);
            }
        }
        if let Some(v) = vars
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
        {
            return Ok(Some(Found {
                url: Secret::new(v.trim()),
                service_name: service_name.to_string(),
            }));
        }
    }
    Ok(None)
}

/// The message when no service has the variable.
pub fn not_found_message(name: &str, environment: &str) -> String {
    format!(
        "no service in environment `{environment}` has the variable `{name}`; set `database-url`, or `database-url-variable` to the variable holding the database's public URL (Railway's Postgres and MySQL services provide DATABASE_PUBLIC_URL / MYSQL_PUBLIC_URL)"
    )
}
