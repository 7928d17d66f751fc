//! Owns the meaning of the `wait-for-checks` and `ignore-checks` inputs: no gate, every check, or
//! a list of names (the gate stage, `crate::gate`, reads these values).

/// Input `wait-for-checks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecksMode {
    /// `false`: no gate, and no GitHub request for it.
    Off,
    /// `true`: every other check run and commit status on the commit must pass.
    All,
    /// A list of check-run names and status contexts: exactly those must appear and pass.
    Named(Vec<String>),
}

impl ChecksMode {
    /// Parses `true` / `false` (any case), else a comma- or newline-separated list of check names.
    /// Names are trimmed, blanks dropped, duplicates (ignoring case) kept once, order preserved.
    pub fn parse(value: &str) -> Result<ChecksMode, String> {
        let trimmed = value.trim();
        if trimmed.eq_ignore_ascii_case("true") {
            return Ok(ChecksMode::All);
        }
        if trimmed.eq_ignore_ascii_case("false") {
            return Ok(ChecksMode::Off);
        }
        let names = parse_names(trimmed);
        if names.is_empty() {
            return Err(format!(
                "`wait-for-checks` is `{}`: expected `true`, `false`, or a comma- or newline-separated list of check names",
                value.trim()
            ));
        }
        Ok(ChecksMode::Named(names))
    }
}

/// Splits a comma/newline list of check names (also used for `ignore-checks`): trimmed, no blanks,
/// duplicates (ignoring case) dropped, order kept.
pub fn parse_names(value: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in value.split([',', '\n', '\r']).map(str::trim) {
        if !name.is_empty() && !names.iter().any(|n| same_name(n, name)) {
            names.push(name.to_string());
        }
    }
    names
}

/// Check names are compared ignoring case: a user typing `Build` means the check `build`.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> ChecksMode {
        ChecksMode::Named(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn parse_table() {
        let cases: Vec<(&str, Result<ChecksMode, ()>)> = vec![
            ("true", Ok(ChecksMode::All)),
            ("TRUE", Ok(ChecksMode::All)),
            (" True\n", Ok(ChecksMode::All)),
            ("false", Ok(ChecksMode::Off)),
            ("False", Ok(ChecksMode::Off)),
            ("build", Ok(named(&["build"]))),
            ("build, test", Ok(named(&["build", "test"]))),
            ("build\ntest\n", Ok(named(&["build", "test"]))),
            (
                "build\r\n lint / rust ,\n\ntest",
                Ok(named(&["build", "lint / rust", "test"])),
            ),
            ("build,Build,BUILD", Ok(named(&["build"]))),
            ("true, build", Ok(named(&["true", "build"]))),
            ("", Err(())),
            ("  ", Err(())),
            (", ,\n", Err(())),
        ];
        for (input, want) in cases {
            let got = ChecksMode::parse(input).map_err(|_| ());
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn parse_error_says_what_is_accepted() {
        let err = ChecksMode::parse(" , ").unwrap_err();
        assert!(err.contains("wait-for-checks"), "{err}");
        assert!(err.contains("`true`, `false`"), "{err}");
    }

    #[test]
    fn names_compare_ignoring_case_and_spaces() {
        assert!(same_name("Build ", "build"));
        assert!(!same_name("build", "builds"));
    }
}
