//! The secret-leak assertion: no secret appears in anything a run shows (its log, its outputs
//! file, its job summary), or in any other text a test names.

use super::cli::Run;

/// The Railway tokens the fake Railway's standard world knows.
pub const RAILWAY_TOKENS: &[&str] = &["tok-staging", "tok-production", "acct-token"];

/// `::add-mask::` lines are consumed by the runner (that is how masking works), never shown.
pub fn shown(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every place a run shows text, by name: stdout as the runner shows it, stderr, the outputs
/// file and the job summary.
pub fn run_places(run: &Run) -> Vec<(&'static str, String)> {
    vec![
        ("stdout", shown(&run.stdout)),
        ("stderr", run.stderr.clone()),
        ("outputs", run.output_file.clone()),
        ("summary", run.summary.clone()),
    ]
}

/// Fails when any of `secrets` stands in any of `places`.
pub fn assert_not_shown(secrets: &[&str], places: &[(&str, String)]) {
    for secret in secrets {
        for (place, text) in places {
            assert!(
                !text.contains(secret),
                "secret {secret:?} leaked in {place}:\n{text}"
            );
        }
    }
}

/// No Railway token in anything the run shows.
pub fn assert_no_token(run: &Run) {
    assert_not_shown(RAILWAY_TOKENS, &run_places(run));
}
