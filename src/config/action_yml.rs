//! `action.yml` is generated from the inputs table and the outputs table, so the action, `--help`
//! and the README cannot drift apart. `UPDATE_ACTION_YML=1 cargo test action_yml` rewrites it.

use super::inputs::INPUTS;
use super::outputs::OUTPUTS;

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn render() -> String {
    let mut y = String::from(
        "# Generated from src/config/inputs.rs and src/config/outputs.rs: edit those, then run\n\
         # `UPDATE_ACTION_YML=1 cargo test action_yml`.\n\
         name: Railway Deploy Gate\n\
         description: Gate on checks, deploy to Railway, migrate, health-check, roll back and report on the pull request, in one step.\n\
         author: railway-deploy\n\
         branding:\n  icon: upload-cloud\n  color: purple\n\
         inputs:\n",
    );
    for spec in INPUTS {
        let required = spec.name == "service";
        y.push_str(&format!(
            "  {}:\n    description: {}\n    required: {required}\n",
            spec.name,
            quote(spec.description)
        ));
        if !spec.default.is_empty() && spec.fallback_env.is_none() {
            y.push_str(&format!("    default: {}\n", quote(spec.default)));
        }
    }
    y.push_str("outputs:\n");
    for (name, description) in OUTPUTS {
        y.push_str(&format!(
            "  {name}:\n    description: {}\n",
            quote(description)
        ));
    }
    y.push_str("runs:\n  using: docker\n  image: Dockerfile\n");
    y
}

#[cfg(test)]
mod tests {
    #[test]
    #[allow(
        clippy::disallowed_methods,
        reason = "a developer switch of this test only"
    )]
    fn action_yml_matches_the_inputs_and_outputs_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml");
        let want = super::render();
        if std::env::var("UPDATE_ACTION_YML").as_deref() == Ok("1") {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "action.yml is out of date: run `UPDATE_ACTION_YML=1 cargo test action_yml`"
        );
    }
}

#[cfg(test)]
mod readme {
    #[test]
    fn the_readme_documents_every_input_and_output() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .unwrap_or_default();
        for spec in super::INPUTS {
            assert!(
                readme.contains(&format!("| `{}` |", spec.name)),
                "README lacks input {}",
                spec.name
            );
        }
        for (name, _) in super::OUTPUTS {
            assert!(
                readme.contains(&format!("| `{name}` |")),
                "README lacks output {name}"
            );
        }
    }
}
