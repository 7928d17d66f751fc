//! One notification POST, bounded: each attempt within [`ATTEMPT_TIMEOUT`], a few attempts in
//! all through `crate::retry` (429 and 5xx honour `Retry-After`), never past the caller's
//! budget. A webhook that may have received a failed attempt is asked again: a duplicate message
//! is better than no message about a failed release. Errors never carry the URL (a secret).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::retry::{Idempotency, RetryPolicy, Verdict, parse_retry_after, retry};
use crate::secret::{Secret, redact, redact_registered};
use crate::timing::Timing;

pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
pub const ATTEMPTS: u32 = 3;

/// POSTs `body` (redacted of every registered secret) to `url`. `Err`: why, without the URL.
pub async fn post(
    url: &Secret,
    body: &Value,
    timing: &Timing,
    budget: Duration,
    attempts: u32,
) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT.min(budget))
        .connect_timeout(ATTEMPT_TIMEOUT.min(budget))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("railway-deploy/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("could not build the HTTP client: {}", e.without_url()))?;
    let text = redact_registered(&body.to_string()).into_owned();
    let policy = RetryPolicy {
        max_attempts: attempts,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(5),
        max_server_wait: budget,
        deadline: Some(Instant::now() + budget),
    };
    let tried = retry(
        &policy,
        Idempotency::Safe,
        timing,
        |_, _, _| {},
        |_| attempt(&client, url, &text),
    );
    match tokio::time::timeout(budget, tried).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(redact(&why, &[url])),
        Err(_) => Err(format!("no answer within {}s", budget.as_secs())),
    }
}

async fn attempt(
    client: &reqwest::Client,
    url: &Secret,
    body: &str,
) -> Result<(), Verdict<String>> {
    let sent = client
        .post(url.expose())
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            let may_have_taken_effect = !e.is_connect();
            return Err(Verdict::Transient {
                error: format!("the webhook could not be reached ({})", e.without_url()),
                after: None,
                may_have_taken_effect,
            });
        }
    };
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    let error = format!("the webhook answered HTTP {}", status.as_u16());
    if status.as_u16() == 429 || status.is_server_error() {
        Err(Verdict::Transient {
            error,
            after,
            may_have_taken_effect: status.is_server_error(),
        })
    } else {
        Err(Verdict::Fatal(error))
    }
}
