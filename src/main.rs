//! The `railway-deploy` binary: reads the configuration once, runs the pipeline, writes the
//! outputs, and alone decides the exit status (0, 1 or 2).

use railway_deploy::cancel::{CancelGuard, until_signal};
use railway_deploy::config::{Config, LoadError};
use railway_deploy::exit;
use railway_deploy::pipeline::github_run::write_summary;
use railway_deploy::record::{Ending, RunStatus};
use railway_deploy::report::outputs;
use railway_deploy::{pipeline, workflow};

fn main() {
    // rustls with the ring provider: no OpenSSL, no aws-lc. Fails only if one is already set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    workflow::set_in_actions(std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true"));
    let output_path = std::env::var("GITHUB_OUTPUT")
        .ok()
        .filter(|p| !p.is_empty());

    let config = match Config::load(std::env::args(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(LoadError::Usage(e)) => e.exit(),
        Err(LoadError::Input(e)) => {
            workflow::error_titled("Invalid input", e.to_string());
            let _ = outputs::write(
                output_path.as_deref(),
                &outputs::failed_outputs(RunStatus::Failed),
            );
            std::process::exit(exit::INVALID_INPUT);
        }
    };
    for secret in config.secrets() {
        workflow::mask(secret.expose());
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            workflow::error(format!("could not start the async runtime: {e}"));
            std::process::exit(exit::FAILURE);
        }
    };
    // A cancelled job (SIGINT, then SIGTERM) still writes its final GitHub status and comment.
    let guard = CancelGuard::default();
    let ending = runtime.block_on(async {
        match until_signal(pipeline::run(&config, &guard)).await {
            Ok(ending) => {
                guard.settle(&ending).await;
                ending
            }
            Err(sig) => {
                guard.on_cancel(sig).await;
                Ending::Broken(format!("cancelled by {}", sig.as_str()))
            }
        }
    });
    let code = exit::code(&ending);
    match &ending {
        Ending::Finished(report) => {
            write_summary(&config, report);
            if let Err(e) = outputs::write(output_path.as_deref(), &outputs::outputs(report)) {
                workflow::warning(format!("could not write step outputs: {e}"));
            }
        }
        Ending::InvalidInput(msg) => {
            workflow::error_titled("Invalid input", msg);
            let _ = outputs::write(
                output_path.as_deref(),
                &outputs::failed_outputs(RunStatus::Failed),
            );
        }
        Ending::Broken(msg) => {
            workflow::error_titled("railway-deploy failed", msg);
            let _ = outputs::write(
                output_path.as_deref(),
                &outputs::failed_outputs(RunStatus::Failed),
            );
        }
    }
    std::process::exit(code);
}
