//! Owns the table of the contract's step outputs (names and descriptions): `action.yml` is
//! generated from it, and `crate::report::outputs` writes the values in this order.

/// The contract's outputs: (name, description), in order. `action.yml` is checked against it.
pub const OUTPUTS: &[(&str, &str)] = &[
    (
        "status",
        "`success`, `failed`, `rolled-back`, `skipped` (dry run, or nothing to deploy)",
    ),
    ("environment", "The Railway environment's name"),
    (
        "deployment-id",
        "The new Railway deployment (the first service's, when several)",
    ),
    (
        "previous-deployment-id",
        "The deployment that served before",
    ),
    ("url", "The public URL of the (first) service"),
    (
        "version",
        "The semver version, when the trigger carried one",
    ),
    (
        "dashboard-url",
        "The Railway dashboard page of the new deployment",
    ),
    (
        "rollback-command",
        "A copyable `docker run` of this action's released image that rolls back to `previous-deployment-id` (reads the token from env `RAILWAY_TOKEN`)",
    ),
    (
        "deployments",
        "A JSON array, one object per service, with the fields above: `status` is that service's outcome in the same words (`success`, `failed`, `rolled-back`, `skipped`), Railway's own status word (`SUCCESS`, `CRASHED` ...) is `railway-status`",
    ),
    (
        "removed-environments",
        "`command: preview-cleanup` and a closed pull request's `preview`: a JSON array of the environment names deleted",
    ),
    (
        "migration-findings",
        "A JSON array, one object per flagged migration statement: `file`, `line`, `rule` (squawk's name), `class` (`destructive` or `locking`), `statement` (its first 200 characters)",
    ),
    (
        "checks",
        "`command: check`: a JSON array, one object per check: `name`, `result` (`ok`, `warning` or `failed`), `detail`",
    ),
];
