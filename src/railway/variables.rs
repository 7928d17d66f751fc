//! A service's rendered variables in an environment (for `database-url-variable`).

use serde::Deserialize;
use serde_json::json;

use super::ops::VARIABLES;
use super::{RailwayClient, RailwayError};

/// A service's rendered variables in an environment (name → value).
pub async fn variables(
    c: &RailwayClient,
    project_id: &str,
    environment_id: &str,
    service_id: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, RailwayError> {
    #[derive(Deserialize)]
    struct Data {
        variables: serde_json::Map<String, serde_json::Value>,
    }
    let vars = json!({ "projectId": project_id, "environmentId": environment_id, "serviceId": service_id });
    let d: Data = c.execute(&VARIABLES, &vars).await?;
    Ok(d.variables)
}
