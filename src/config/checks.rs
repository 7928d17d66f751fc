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
    ///
    /// Rule (the README's `wait-for-checks` row says it too): a single value with no separator
    /// that looks like a boolean is refused rather than waited on as a check name: within two
    /// edits of `true` or `false` (`ture`, `flase`, `fasle`, `tru`), or a boolean-like word
    /// ([`BOOLEAN_LIKE`]: `yes`, `no`, `on`, `off`, `0`, `1` ...). A check really named so is
    /// still accepted as a list: `ture,`.
    pub fn parse(value: &str) -> Result<ChecksMode, String> {
        let trimmed = value.trim();
        if trimmed.eq_ignore_ascii_case("true") {
            return Ok(ChecksMode::All);
        }
        if trimmed.eq_ignore_ascii_case("false") {
            return Ok(ChecksMode::Off);
        }
        if looks_boolean(trimmed) {
            return Err(format!(
                "`{trimmed}` looks like a mistyped boolean; use `true` (every other check must pass), `false` (no gate), or a comma- or newline-separated list of check names (to wait on a check really named `{trimmed}`, write `{trimmed},`)"
            ));
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

/// Words that mean yes or no elsewhere (YAML 1.1, shells), never taken as a check name alone.
pub const BOOLEAN_LIKE: &[&str] = &[
    "yes", "no", "y", "n", "on", "off", "0", "1", "enable", "enabled", "disable", "disabled",
    "none", "all",
];

/// A single value (no list separator) that is a boolean-like word or within two edits of
/// `true`/`false`, ignoring case.
fn looks_boolean(value: &str) -> bool {
    if value.contains([',', '\n', '\r']) {
        return false;
    }
    let v = value.to_lowercase();
    BOOLEAN_LIKE.contains(&v.as_str())
        || ["true", "false"].iter().any(|b| edit_distance(&v, b) <= 2)
}

/// Levenshtein distance with adjacent transpositions counted as one edit (`ture` → `true`: 1).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: the distance between a[..i] and b[..j]; the first row and column are i + j.
    let mut d: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| {
            (0..=b.len())
                .map(|j| if i == 0 || j == 0 { i + j } else { 0 })
                .collect()
        })
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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
    fn near_typos_of_true_and_false_and_boolean_words_are_refused() {
        for typo in [
            "ture", "flase", "fasle", "treu", "tru", "True1", "fals", "FLASE", "yes", "no", "on",
            "off", "0", "1", "Yes", "enabled", "none", "all",
        ] {
            let e = ChecksMode::parse(typo).expect_err(typo);
            assert!(e.contains("`true`") && e.contains("`false`"), "{typo}: {e}");
            assert!(e.contains(&format!("`{},`", typo.trim())), "{typo}: {e}");
        }
    }

    #[test]
    fn real_check_names_and_lists_of_lookalikes_are_still_names() {
        for name in [
            "test",
            "tests",
            "build",
            "lint",
            "rust",
            "e2e",
            "ci",
            "fmt",
            "deploy-preview",
            "Tests / unit",
            "clippy",
            "typecheck",
        ] {
            assert_eq!(ChecksMode::parse(name), Ok(named(&[name])), "{name}");
        }
        assert_eq!(ChecksMode::parse("ture,"), Ok(named(&["ture"])));
        assert_eq!(ChecksMode::parse("yes, no"), Ok(named(&["yes", "no"])));
        assert_eq!(edit_distance("ture", "true"), 1);
        assert_eq!(edit_distance("flase", "false"), 1);
        assert_eq!(edit_distance("rust", "true"), 3);
    }

    #[test]
    fn names_compare_ignoring_case_and_spaces() {
        assert!(same_name("Build ", "build"));
        assert!(!same_name("build", "builds"));
    }
}
