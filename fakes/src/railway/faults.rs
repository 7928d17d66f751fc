//! Fault injection for the fake Railway: answers that are lost after the request was processed
//! (the mutation or upload took effect, then the client sees a 502 or a dropped connection), and
//! the wall-clock `createdAt` Railway stamps on new deployments.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// How a processed request's answer is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostAnswer {
    /// A proxy answers 502 Bad Gateway although the request was processed.
    BadGateway,
    /// The connection drops before the answer is complete.
    Drop,
    /// A proxy answers 502 before the request reaches Railway: nothing was processed.
    Unprocessed,
}

/// The response a client sees when the answer is lost.
pub fn lost_response(how: LostAnswer) -> Response {
    match how {
        LostAnswer::BadGateway | LostAnswer::Unprocessed => {
            (StatusCode::BAD_GATEWAY, "502 Bad Gateway").into_response()
        }
        LostAnswer::Drop => {
            // A body that fails at once: hyper aborts the connection mid-answer.
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
            });
            Response::new(Body::from_stream(failing))
        }
    }
}

/// Now as RFC 3339 UTC with milliseconds (`2026-12-01T22:31:48.123Z`), as Railway writes
/// `createdAt`.
pub fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_map_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_788), (2026, 12, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
