use super::*;

fn load(pairs: &[(&str, &str)], args: &[&str]) -> Result<Config, InputError> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let args =
        std::iter::once("railway-deploy".to_string()).chain(args.iter().map(|s| s.to_string()));
    match Config::load(args, env) {
        Ok(c) => Ok(c),
        Err(LoadError::Input(e)) => Err(InputError(e.to_string())),
        Err(LoadError::Usage(e)) => Err(InputError(e.to_string())),
    }
}

const BASE: &[(&str, &str)] = &[
    ("INPUT_RAILWAY-TOKEN", "tok-secret"),
    ("INPUT_SERVICE", "web"),
    ("INPUT_SOURCE", "commit"),
    ("GITHUB_EVENT_NAME", "push"),
    ("GITHUB_REF", "refs/heads/main"),
    ("GITHUB_SHA", "abc123"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = BASE.to_vec();
    for (k, val) in extra {
        v.retain(|(n, _)| n != k);
        v.push((k, val));
    }
    v
}

#[test]
fn a_branch_push_deploys_the_commit_to_staging() {
    let c = load(BASE, &[]).unwrap();
    assert_eq!(c.command, CommandKind::Deploy);
    assert!(
        matches!(c.selection, Selection::Deploy { ref environment, .. } if environment == "staging")
    );
    assert_eq!(c.sha.as_deref(), Some("abc123"));
    assert_eq!(c.source, Source::Commit);
    assert_eq!(c.deploy_timeout, Duration::from_secs(1800));
    assert_eq!(c.wait_for_checks, ChecksMode::All);
    assert!(matches!(c.token, RailwayToken::Project(_)));
}

#[test]
fn every_invalid_input_names_itself() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("INPUT_COMMAND", "ship")], "input `command`"),
        (&[("INPUT_SERVICE", " , ")], "input `service`"),
        (&[("INPUT_SERVICE", "web,WEB")], "listed twice"),
        (&[("INPUT_SOURCE", "ftp")], "input `source`"),
        (&[("INPUT_SOURCE", "image")], "input `image`"),
        (&[("INPUT_IMAGE", "nginx:1")], "input `image`"),
        (
            &[("INPUT_SOURCE", "image"), ("INPUT_IMAGE", "x@sha256:12")],
            "malformed digest",
        ),
        (
            &[
                ("INPUT_SOURCE", "upload"),
                ("INPUT_PATH", "/definitely/not/here"),
            ],
            "input `path`",
        ),
        (
            &[("INPUT_DEPLOY-TIMEOUT", "soon")],
            "input `deploy-timeout`",
        ),
        (&[("INPUT_CHECKS-TIMEOUT", "0")], "input `checks-timeout`"),
        (
            &[("INPUT_HEALTH-EXPECT-STATUS", "99")],
            "input `health-expect-status`",
        ),
        (&[("INPUT_HEALTH-URL", "ftp://x")], "input `health-url`"),
        (&[("INPUT_HEALTH-PATH", "health")], "input `health-path`"),
        (
            &[("INPUT_RAILWAY-API-URL", "http://example.com/graphql")],
            "input `railway-api-url`",
        ),
        (&[("INPUT_DRY-RUN", "maybe")], "input `dry-run`"),
        (&[("INPUT_RAILWAY-API-TOKEN", "acct")], "both"),
        (&[("INPUT_RAILWAY-TOKEN", "")], "no Railway token"),
        (&[("INPUT_TO", "dep-1")], "input `to`"),
        (&[("GITHUB_REF", "refs/tags/release-7")], "not a semver"),
        (
            &[("GITHUB_EVENT_NAME", "workflow_dispatch")],
            "`environment` is required",
        ),
        (
            &[("INPUT_DATABASE-URL", "postgres://u:p@h/db")],
            "input `database-url`",
        ),
    ];
    for (extra, want) in cases {
        let err = load(&with(extra), &[])
            .err()
            .unwrap_or_else(|| panic!("{extra:?} should fail"));
        assert!(err.0.contains(want), "{extra:?}: {err}");
        assert!(!err.0.contains("tok-secret"), "the token leaked into {err}");
    }
}

#[test]
fn flags_override_inputs() {
    let c = load(BASE, &["--environment", "qa", "--deploy-timeout", "1h30m"]).unwrap();
    assert!(
        matches!(c.selection, Selection::Deploy { ref environment, .. } if environment == "qa")
    );
    assert_eq!(c.deploy_timeout, Duration::from_secs(5400));
}

#[test]
fn tags_carry_versions_and_deletions_skip() {
    let c = load(&with(&[("GITHUB_REF", "refs/tags/v1.4.0")]), &[]).unwrap();
    assert_eq!(c.version().as_deref(), Some("1.4.0"));
    assert!(
        matches!(c.selection, Selection::Deploy { ref environment, .. } if environment == "production")
    );
}

#[test]
fn account_tokens_come_from_the_fallback_variable() {
    let env: Vec<(&str, &str)> =
        with(&[("INPUT_RAILWAY-TOKEN", ""), ("RAILWAY_API_TOKEN", "acct")]);
    let c = load(&env, &[]).unwrap();
    assert!(matches!(c.token, RailwayToken::Account(_)));
}

#[test]
fn wait_for_checks_modes() {
    let c = load(&with(&[("INPUT_WAIT-FOR-CHECKS", "test, lint")]), &[]).unwrap();
    assert_eq!(
        c.wait_for_checks,
        ChecksMode::Named(vec!["test".into(), "lint".into()])
    );
    let c = load(&with(&[("INPUT_WAIT-FOR-CHECKS", "FALSE")]), &[]).unwrap();
    assert_eq!(c.wait_for_checks, ChecksMode::Off);
}

#[test]
fn promote_takes_the_image_from_the_source_environment() {
    let c = load(
        &with(&[
            ("INPUT_COMMAND", "promote"),
            ("INPUT_SOURCE", "image"),
            ("INPUT_ENVIRONMENT", "production"),
        ]),
        &[],
    )
    .unwrap();
    assert!(matches!(c.source, Source::Image { .. }));
    let err = load(
        &with(&[
            ("INPUT_COMMAND", "promote"),
            ("INPUT_SOURCE", "image"),
            ("INPUT_IMAGE", "x:1"),
            ("INPUT_ENVIRONMENT", "production"),
        ]),
        &[],
    )
    .unwrap_err();
    assert!(err.0.contains("input `image`"), "{err}");
}

fn errors_of(extra: &[(&'static str, &'static str)]) -> Vec<String> {
    let pairs = with(extra);
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match Config::load(["railway-deploy".to_string()], env) {
        Err(LoadError::Input(e)) => e.0.into_iter().map(|e| e.0).collect(),
        Err(LoadError::Usage(e)) => panic!("{e}"),
        Ok(_) => panic!("{extra:?} should fail"),
    }
}

#[test]
fn every_invalid_input_is_reported_at_once() {
    let errs = errors_of(&[
        ("INPUT_COMMAND", "ship"),
        ("INPUT_DEPLOY-TIMEOUT", "soon"),
        ("INPUT_HEALTH-EXPECT-STATUS", "99"),
        ("INPUT_HEALTH-PATH", "health"),
        ("INPUT_DRY-RUN", "maybe"),
        ("INPUT_WAIT-FOR-CHECKS", "ture"),
        ("INPUT_SERVICE", ""),
    ]);
    for want in [
        "input `command`",
        "input `deploy-timeout`",
        "input `health-expect-status`",
        "input `health-path`",
        "input `dry-run`",
        "input `wait-for-checks`",
        "input `service`",
    ] {
        assert_eq!(
            errs.iter().filter(|e| e.contains(want)).count(),
            1,
            "{want} in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), 7, "{errs:#?}");
}

#[test]
fn a_malformed_database_url_is_refused_at_load_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_init.sql"), "select 1;").unwrap();
    let path: &'static str = Box::leak(dir.path().to_string_lossy().into_owned().into_boxed_str());
    for (url, want) in [
        ("mongodb://u:pw-s3cr3t@h/db", "scheme `mongodb`"),
        ("postgres//u:pw-s3cr3t@h/db", "not a valid URL"),
        ("postgres://u:pw-s3cr3t@h", "names no database"),
        (
            "postgres://u:pw-s3cr3t@db.railway.internal/x",
            "private network",
        ),
    ] {
        let errs = errors_of(&[("INPUT_MIGRATIONS", path), ("INPUT_DATABASE-URL", url)]);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].starts_with("input `database-url`"), "{errs:#?}");
        assert!(errs[0].contains(want), "{url}: {errs:#?}");
        assert!(!errs[0].contains("s3cr3t"), "{errs:#?}");
    }
    let ok = load(
        &with(&[
            ("INPUT_MIGRATIONS", path),
            ("INPUT_DATABASE-URL", "postgres://u:p@h:5432/db"),
        ]),
        &[],
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn the_migrations_folder_is_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("init.sql"), "select 1;").unwrap();
    let path: &'static str = Box::leak(dir.path().to_string_lossy().into_owned().into_boxed_str());
    let errs = errors_of(&[("INPUT_MIGRATIONS", path)]);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("input `migrations`"), "{errs:#?}");
    assert!(errs[0].contains("init.sql"), "{errs:#?}");
}

#[test]
fn a_near_typo_of_a_boolean_in_wait_for_checks_is_invalid_input() {
    for v in ["ture", "flase", "yes", "no", "on", "off", "0", "1"] {
        let errs = errors_of(&[("INPUT_WAIT-FOR-CHECKS", v)]);
        assert_eq!(errs.len(), 1, "{v}: {errs:#?}");
        assert!(errs[0].starts_with("input `wait-for-checks`"), "{errs:#?}");
        assert!(errs[0].contains("`true`"), "{errs:#?}");
    }
    let c = load(&with(&[("INPUT_WAIT-FOR-CHECKS", "test")]), &[]).unwrap();
    assert_eq!(c.wait_for_checks, ChecksMode::Named(vec!["test".into()]));
}

#[test]
fn protect_inputs_have_the_contract_defaults() {
    let c = load(BASE, &[]).unwrap();
    assert_eq!(c.backup.mode, BackupMode::Auto);
    assert_eq!(c.backup.timeout, Duration::from_secs(600));
    assert!(!c.watch.enabled());
    assert_eq!(c.watch.max_error_rate, 0.05);
    assert!(c.notify.is_none());
    assert_eq!(c.preview.name_for(7), "pr-7");
    assert_eq!(c.preview.from, None);
}

#[test]
fn protect_inputs_are_read_and_the_webhook_is_a_secret() {
    let url = "https://hooks.slack.com/services/T0/B0/sekrit";
    let c = load(
        &with(&[
            ("INPUT_BACKUP", "true"),
            ("INPUT_WATCH", "5m"),
            ("INPUT_WATCH-MAX-ERROR-RATE", "0.02"),
            ("INPUT_NOTIFY-WEBHOOK", url),
            ("INPUT_NOTIFY-ON", "always"),
            ("INPUT_PREVIEW-NAME", "preview-{number}"),
            ("INPUT_PREVIEW-FROM", "dev"),
        ]),
        &[],
    )
    .unwrap();
    assert_eq!(c.backup.mode, BackupMode::Required);
    assert_eq!(c.watch.window, Duration::from_secs(300));
    assert_eq!(c.watch.max_error_rate, 0.02);
    let notify = c.notify.as_ref().unwrap();
    assert_eq!(notify.on, NotifyOn::Always);
    assert_eq!(notify.url.expose(), url);
    assert!(c.secrets().iter().any(|s| s.expose() == url));
    assert_eq!(c.preview.name_for(3), "preview-3");
    assert_eq!(c.preview.from.as_deref(), Some("dev"));
}

#[test]
fn bad_protect_inputs_are_all_reported_and_the_webhook_is_not_shown() {
    let errs = errors_of(&[
        ("INPUT_BACKUP", "sometimes"),
        ("INPUT_BACKUP-TIMEOUT", "0"),
        ("INPUT_WATCH", "soon"),
        ("INPUT_WATCH-MAX-ERROR-RATE", "120%"),
        ("INPUT_NOTIFY-WEBHOOK", "http://hooks.example.com/sekrit"),
        ("INPUT_NOTIFY-ON", "never"),
        ("INPUT_PREVIEW-NAME", "preview"),
    ]);
    for want in [
        "input `backup`",
        "input `backup-timeout`",
        "input `watch`",
        "input `watch-max-error-rate`",
        "input `notify-webhook`",
        "input `notify-on`",
        "input `preview-name`",
    ] {
        assert_eq!(
            errs.iter().filter(|e| e.contains(want)).count(),
            1,
            "{want} in {errs:#?}"
        );
    }
    assert!(errs.iter().all(|e| !e.contains("sekrit")), "{errs:#?}");
}
