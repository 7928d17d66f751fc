//! Owns "a preview's database is its own" (contract: Previews): before a preview migrates, the
//! database URL it would migrate is compared with the one the same variable holds in
//! `preview-from`. Equal means the preview shares the source's data (an external database, or a
//! literal URL copied with the variables): the run fails before migrating or deploying.

use crate::migrate::variable::find_database_url;
use crate::railway::{RailwayClient, RailwayError};
use crate::secret::Secret;

/// Where to look: the project, the services (id, name) in the order the variable is looked up,
/// and the variable's name.
pub struct Lookup<'a> {
    pub project_id: &'a str,
    pub services: &'a [(String, String)],
    pub variable: &'a str,
}

async fn find(
    c: &RailwayClient,
    at: &Lookup<'_>,
    environment_id: &str,
) -> Result<Option<Secret>, RailwayError> {
    let Some((first, others)) = at.services.split_first() else {
        return Ok(None);
    };
    let others: Vec<(&str, &str)> = others
        .iter()
        .map(|(i, n)| (i.as_str(), n.as_str()))
        .collect();
    let found = find_database_url(
        c,
        at.project_id,
        environment_id,
        (&first.0, &first.1),
        &others,
        at.variable,
    )
    .await?;
    Ok(found.map(|f| f.url))
}

/// `Err` is the failure sentence when the preview would migrate the source's database. `url` is
/// what the preview migrates when already known (`migrations`); else the variable is read in the
/// preview. `theirs` is the source's, when already read (else it is read now). A variable found
/// in neither is no evidence of sharing.
pub async fn check(
    c: &RailwayClient,
    at: &Lookup<'_>,
    preview: (&str, &str),
    source: (&str, &str),
    (url, theirs): (Option<&Secret>, Option<&Secret>),
) -> Result<(), String> {
    let read_error = |e: RailwayError| {
        format!(
            "could not read the variable `{}` to check that the preview has its own database ({e}); nothing was migrated or deployed",
            at.variable
        )
    };
    let own = match url {
        Some(u) => Some(u.clone()),
        None => find(c, at, preview.0).await.map_err(read_error)?,
    };
    let Some(own) = own else {
        return Ok(());
    };
    let theirs = match theirs {
        Some(t) => Some(t.clone()),
        None => find(c, at, source.0).await.map_err(read_error)?,
    };
    match theirs {
        Some(t) if same(&own, &t) => Err(message(preview.1, source.1, at.variable)),
        _ => Ok(()),
    }
}

/// The same database: the URLs equal once trimmed (never printed).
fn same(a: &Secret, b: &Secret) -> bool {
    a.expose().trim() == b.expose().trim()
}

/// The failure, naming no URL.
pub fn message(preview: &str, source: &str, variable: &str) -> String {
    format!(
        "the preview `{preview}` would migrate the same database as `{source}`: the variable `{variable}` holds the same URL in both (an external database, or a literal URL copied with the variables). Nothing was migrated or deployed. Give previews their own database: add a database service to `{source}` and point the variable at it with a reference (e.g. `${{{{Postgres.DATABASE_PUBLIC_URL}}}}`), so each preview's copy gets its own, or set the variable in the preview to a separate database"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_fix_and_no_url() {
        let m = message("pr-2", "staging", "DATABASE_PUBLIC_URL");
        assert!(m.contains("${{Postgres.DATABASE_PUBLIC_URL}}"), "{m}");
        assert!(same(
            &Secret::new("postgres://a"),
            &Secret::new(" postgres://a ")
        ));
        assert!(!same(
            &Secret::new("postgres://a"),
            &Secret::new("postgres://b")
        ));
    }
}
