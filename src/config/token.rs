//! Owns which Railway token the run was given (a project token or an account/workspace token),
//! as data: how it is sent is `crate::railway::auth`'s business.

use crate::secret::Secret;

#[derive(Clone, Debug)]
pub enum RailwayToken {
    /// `railway-token` / `RAILWAY_TOKEN`: scoped to one project and environment.
    Project(Secret),
    /// `railway-api-token` / `RAILWAY_API_TOKEN`: an account or workspace token.
    Account(Secret),
}

impl RailwayToken {
    pub fn secret(&self) -> &Secret {
        match self {
            RailwayToken::Project(s) | RailwayToken::Account(s) => s,
        }
    }

    /// How the token is named to the user in errors (never its value).
    pub fn describe(&self) -> &'static str {
        match self {
            RailwayToken::Project(_) => {
                "the project token (`railway-token` / RAILWAY_TOKEN, sent as Project-Access-Token)"
            }
            RailwayToken::Account(_) => {
                "the account token (`railway-api-token` / RAILWAY_API_TOKEN, sent as Authorization: Bearer)"
            }
        }
    }
}
