//! When to try a request again, and how long to wait: connect errors, timeouts, 429 and
//! 500/502/503/504 are retried with capped exponential backoff and jitter; a 429 waits as
//! long as the server says (`Retry-After`, in seconds or as an HTTP date, else
//! `X-RateLimit-Reset` when `X-RateLimit-Remaining` is 0). Other 4xx are never retried.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// How many times and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
    /// No backoff is longer than this.
    pub cap: Duration,
    /// A server asking for a longer wait than this is not waited for.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// A retry about to happen, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// What went wrong, e.g. "rate limited by the server".
    pub reason: String,
    /// The attempt that will follow the wait (2 for the first retry).
    pub attempt: u32,
    pub attempts: u32,
    pub wait: Duration,
    /// The server asked for less (a 429, or S3's 503 SlowDown): a lister reading several
    /// parts at once sends fewer together.
    pub throttled: bool,
}

impl RetryNotice {
    /// "rate limited by the server, retrying in 12 s (attempt 2 of 4)".
    pub fn describe(&self) -> String {
        let secs = self.wait.as_secs_f64();
        let wait = if secs >= 1.0 {
            format!("{:.0} s", secs.ceil())
        } else {
            format!("{} ms", self.wait.as_millis())
        };
        format!(
            "{}, retrying in {wait} (attempt {} of {})",
            self.reason, self.attempt, self.attempts
        )
    }
}

/// Whether an HTTP status is worth another try.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// How long the server asked to wait, if it did: `Retry-After` (seconds or an HTTP date), or
/// `X-RateLimit-Reset` (Unix seconds) when `X-RateLimit-Remaining` is 0.
pub fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(after) = text("retry-after") {
        if let Ok(secs) = after.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(after) {
            return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    if text("x-ratelimit-remaining").and_then(|r| r.parse::<u64>().ok()) == Some(0)
        && let Some(reset) = text("x-ratelimit-reset").and_then(|r| r.parse::<u64>().ok())
    {
        let at = UNIX_EPOCH + Duration::from_secs(reset);
        return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
    }
    None
}

/// The wait before attempt `attempt` (2 for the first retry): `base × 2^(attempt-2)`, capped,
/// then scaled by a jitter in [0.5, 1.0) so many clients do not retry in step.
pub fn backoff(policy: &RetryPolicy, attempt: u32, jitter_seed: u64) -> Duration {
    let exp = policy
        .base
        .saturating_mul(1u32 << attempt.saturating_sub(2).min(16));
    let capped = exp.min(policy.cap);
    // xorshift: cheap, and good enough to spread retries.
    let mut x = jitter_seed | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    let unit = (x % 1_000) as f64 / 1_000.0;
    capped.mul_f64(0.5 + unit / 2.0)
}

/// A seed for the jitter that differs between calls and processes.
pub fn jitter_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()) << 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn what_is_retried() {
        for s in [429, 500, 502, 503, 504] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 422, 501] {
            assert!(!retryable_status(s), "{s}");
        }
    }

    #[test]
    fn the_server_says_how_long() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            server_wait(&headers(&[("retry-after", "12")]), now),
            Some(Duration::from_secs(12))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            server_wait(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(30))
        );
        let reset = (1_700_000_000u64 + 7).to_string();
        assert_eq!(
            server_wait(
                &headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset)
                ]),
                now
            ),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            server_wait(
                &headers(&[
                    ("x-ratelimit-remaining", "5"),
                    ("x-ratelimit-reset", &reset)
                ]),
                now
            ),
            None,
            "requests left: no wait"
        );
        assert_eq!(server_wait(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        for seed in [1u64, 42, 9_999_999] {
            let first = backoff(&p, 2, seed);
            assert!(first >= Duration::from_millis(125) && first < Duration::from_millis(250));
            let third = backoff(&p, 4, seed);
            assert!(third >= Duration::from_millis(500) && third < Duration::from_millis(1000));
            let late = backoff(&p, 30, seed);
            assert!(late <= p.cap && late >= p.cap / 2);
        }
        assert_ne!(
            backoff(&p, 3, 1),
            backoff(&p, 3, 2),
            "jitter spreads retries"
        );
    }

    #[test]
    fn notices_read_as_one_line() {
        let n = RetryNotice {
            reason: "rate limited by the server".into(),
            attempt: 2,
            attempts: 4,
            wait: Duration::from_millis(11_200),
            throttled: true,
        };
        assert_eq!(
            n.describe(),
            "rate limited by the server, retrying in 12 s (attempt 2 of 4)"
        );
    }
}
