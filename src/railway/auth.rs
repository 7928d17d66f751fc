//! Owns how a Railway token is presented: a project token as `Project-Access-Token`, an
//! account/workspace token as `Authorization: Bearer`. Used by GraphQL, upload and websocket calls.
//! The token itself is configuration (`crate::config::token`).

pub use crate::config::token::RailwayToken;

impl RailwayToken {
    /// The header name and value to send.
    pub fn header(&self) -> (&'static str, String) {
        match self {
            RailwayToken::Project(s) => ("Project-Access-Token", s.expose().to_string()),
            RailwayToken::Account(s) => ("Authorization", format!("Bearer {}", s.expose())),
        }
    }
}
