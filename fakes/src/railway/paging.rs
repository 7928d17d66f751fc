//! Connections answered as pages, as a Relay-style GraphQL server answers them. Railway's CLI
//! reads an environment's `serviceInstances` and `volumeInstances` with `first: 500` (5.43.1,
//! `controllers/project.rs`); what Railway answers when `first` is left out is not public, so
//! the fake is adversarial there: one node and `hasNextPage: true`.

use serde_json::{Value, json};

/// The connections the fake pages.
const PAGED: &[&str] = &["serviceInstances", "volumeInstances"];

/// The page size a connection left without `first` gets.
const UNPAGED: usize = 1;

/// The `first:` argument written after `field` in the query text, if any.
fn first_arg(query: &str, field: &str) -> Option<usize> {
    let at = query.find(field)? + field.len();
    let rest = query[at..].trim_start();
    let args = rest.strip_prefix('(')?;
    let args = &args[..args.find(')')?];
    let value = args.split("first:").nth(1)?.trim_start();
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Cuts every paged connection in `reply` to the page the query asked for and adds its
/// `pageInfo`.
pub(crate) fn page_connections(query: &str, reply: &mut Value) {
    match reply {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if PAGED.contains(&key.as_str())
                    && let Some(edges) = value.get_mut("edges").and_then(Value::as_array_mut)
                {
                    let size = first_arg(query, key).unwrap_or(UNPAGED);
                    let more = edges.len() > size;
                    edges.truncate(size);
                    value["pageInfo"] = json!({ "hasNextPage": more, "endCursor": null });
                    continue;
                }
                page_connections(query, value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| page_connections(query, v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_read_from_the_field_arguments() {
        assert_eq!(
            first_arg("x { serviceInstances(first: 500) {", "serviceInstances"),
            Some(500)
        );
        assert_eq!(
            first_arg("x { serviceInstances {", "serviceInstances"),
            None
        );
    }
}
