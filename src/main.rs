//! The `railway-deploy` binary: reads the configuration once (through `config`, the only reader of
//! the process environment), runs the pipeline, writes the outputs, and alone decides the exit
//! status (0, 1 or 2). Signal handling sits beside it, in `railway_deploy::cancel`. Input errors
//! are reported all at once: as `::error` annotations in Actions, on stderr on a terminal.

use std::io::Write;

use railway_deploy::cancel::{CancelGuard, run_to_end};
use railway_deploy::config::{self, Config, LoadError};
use railway_deploy::context::GitHubEnv;
use railway_deploy::exit;
use railway_deploy::pipeline::github_run::write_summary_to;
use railway_deploy::record::{Ending, MigrationSafetyReport, RunStatus};
use railway_deploy::report::{migration_safety, outputs, summary};
use railway_deploy::{notify, pipeline, secret, workflow};

fn main() {
    // rustls with the ring provider: no OpenSSL, no aws-lc. Fails only if one is already set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let github = config::process_github_env();
    workflow::set_in_actions(github.actions);
    if let Some(path) = Config::trace_path_of_process()
        && let Err(e) = railway_deploy::trace::start(&path)
    {
        workflow::warning(format!(
            "no trace: `{}` could not be written ({e})",
            path.display()
        ));
    }
    let ending = match Config::load_process() {
        Ok(config) => run(&config),
        Err(LoadError::Usage(e)) => {
            // `--help`, `--version` or a malformed command line: clap's text and status.
            let _ = e.print();
            let _ = std::io::Write::flush(&mut std::io::stdout());
            std::process::exit(e.exit_code());
        }
        // One message per line: `report` prints each invalid input on its own line.
        Err(LoadError::Input(e)) => Ending::InvalidInput(e.to_string()),
    };
    report(&github, &ending);
    std::process::exit(exit::code(&ending));
}

/// Runs the pipeline on a single-threaded runtime. A cancelled job (SIGINT, then SIGTERM) or a
/// panic still writes its final GitHub status and comment, and sends the notification.
fn run(config: &Config) -> Ending {
    for secret in config.secrets() {
        workflow::mask(secret.expose());
        secret::register(secret);
    }
    // A panic is printed through the one printer (redacted, as an `::error`); `run_to_end` then
    // settles the run as broken.
    std::panic::set_hook(Box::new(|info| {
        workflow::error(format!("railway-deploy panicked: {info}"));
    }));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Ending::Broken(format!("could not start the async runtime: {e}")),
    };
    let guard = CancelGuard::default();
    // However the run ends (a panic and a cancellation included), the guard sends the
    // notification beside the final GitHub writes; it never changes the exit status.
    if let Some(notifier) = notify::Notifier::from_config(config) {
        guard.notify_with(notifier);
    }
    runtime.block_on(run_to_end(&guard, pipeline::run(config, &guard)))
}

/// The job summary and the step outputs of a finished run; the error and the failed outputs
/// otherwise.
fn report(github: &GitHubEnv, ending: &Ending) {
    let output_path = github.output_path.as_deref();
    let (title, msg) = match ending {
        Ending::Finished(report) => {
            write_summary_to(github.summary_path.as_deref(), report);
            if let Err(e) = outputs::write(output_path, &outputs::outputs(report)) {
                workflow::warning(format!("could not write step outputs: {e}"));
            }
            return;
        }
        Ending::InvalidInput(msg) => {
            report_invalid_input(msg);
            write_stopped_summary(github, true, msg, None);
            let _ = outputs::write(output_path, &outputs::failed_outputs(RunStatus::Failed));
            return;
        }
        // `destructive-migrations: refuse`: the outputs and the summary carry the findings.
        Ending::InvalidAfterReading { message, read } => {
            report_invalid_input(message);
            write_stopped_summary(github, true, message, Some(read));
            let refused = outputs::refused_outputs(&read.findings);
            let _ = outputs::write(output_path, &refused);
            return;
        }
        Ending::Broken(msg) => ("railway-deploy failed", msg),
    };
    workflow::error_titled(title, msg);
    write_stopped_summary(github, false, msg, None);
    let _ = outputs::write(output_path, &outputs::failed_outputs(RunStatus::Failed));
}

/// The job summary of a run that stopped without a report, so the run's page says why (with
/// what reading the migrations found, when they were read).
fn write_stopped_summary(
    github: &GitHubEnv,
    invalid: bool,
    msg: &str,
    read: Option<&MigrationSafetyReport>,
) {
    if let Some(path) = github.summary_path.as_deref() {
        let mut markdown = summary::stopped_early(invalid, msg);
        if let Some(read) = read {
            markdown.push('\n');
            migration_safety::section_of(&mut markdown, read, "###");
        }
        if let Err(e) = summary::append_summary(std::path::Path::new(path), &markdown) {
            workflow::warning(format!("could not write the job summary to {path}: {e}"));
        }
    }
}

/// Every invalid input, one per line: an `::error` annotation each in Actions (on stdout, where
/// the runner reads workflow commands); on a terminal, `error:` lines on stderr with a pointer to
/// `--help`, so they are not lost in (or mixed into) the program's output.
fn report_invalid_input(msg: &str) {
    let lines = msg.lines().map(str::trim).filter(|l| !l.is_empty());
    if workflow::in_actions() {
        for line in lines {
            workflow::error_titled("Invalid input", line);
        }
        return;
    }
    let mut err = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(err, "error: invalid input: {line}");
    }
    let _ = writeln!(
        err,
        "Nothing was deployed. Every input is described by `railway-deploy --help`."
    );
}
