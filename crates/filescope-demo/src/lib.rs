//! The embedded demo server: an honest stand-in for a real file-storage service.
//!
//! It speaks one of six API dialects ([`DIALECTS`]: FileJar, Open WebUI,
//! Flextell, FileGuard, AstraCollab, each built from the written contract in
//! the dialect spec, and S3 ([`s3`]), built from the AWS documentation), over
//! real HTTP on a local port, serving a deterministic
//! synthetic [`Dataset`] that can be millions of files large yet costs nothing
//! to start. Every dialect serves the same files (names, sizes, types, dates,
//! hostile names); what a dialect adds (owners, categories, folders, download
//! counts, ...) is derived from each record's index and the seed. Instead of a
//! dialect it can also speak one of six real-world list-API shapes
//! ([`shapes::Shape`]: GitHub, Django REST framework, Stripe, Google Drive,
//! JSON:API, Box) over the same dataset. It is used by
//! `demo`, `serve`, integration tests and benchmarks, so it behaves like a real
//! server on purpose: optional latency, the dialect's own auth, paging and
//! error bodies, strict parameter validation, and hostile file names.

mod astracollab;
mod common;
pub mod content;
pub mod dataset;
mod fileguard;
mod filejar;
mod flextell;
pub mod gcs;
pub mod hostile;
mod openwebui;
pub mod s3;
pub mod shapes;

pub use dataset::{Dataset, DemoFile};
pub use gcs::{GCS_BUCKET, GCS_TOKEN, GcsOptions};
pub use s3::azure::{AZURE_ACCOUNT, AZURE_KEY};
pub use s3::{S3_ACCESS_KEY, S3_BUCKET, S3_REGION, S3_SECRET_KEY, S3Options};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What the demo server serves and how.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Number of files in the organisation. S3 serves them as objects plus
    /// five awkward keys ([`s3::AWKWARD_KEYS`]), and at most [`s3::MAX_FILES`].
    pub files: usize,
    /// Delay added before answering every request, to simulate a slow link.
    pub latency: Duration,
    /// Seed of the synthetic dataset: same seed and size, same files.
    pub seed: u64,
    /// The only accepted credential (`x-api-key` or Bearer token, as the dialect wants).
    /// Not used by S3, whose key pair is [`S3_ACCESS_KEY`] / [`S3_SECRET_KEY`].
    pub api_key: String,
    /// The API dialect spoken: one of [`DIALECTS`].
    pub dialect: String,
    /// Fault injection: the share of requests (0.0–1.0) answered with a fault instead — a
    /// 503, a 429 with `Retry-After: 0`, a body cut short, or extra latency — to test and
    /// show what clients do with a bad network or server.
    pub chaos: f64,
    /// Throttle for file contents: bytes per second per response (`None`:
    /// unlimited), so a demo download shows visible progress. Listings and
    /// other JSON answers are never throttled.
    pub bandwidth: Option<u64>,
    /// Misbehave on purpose instead of serving the dataset (see [`hostile::Hostile`]).
    pub hostile: Option<hostile::Hostile>,
    /// Speak a real-world list-API shape instead of `dialect` (see
    /// [`shapes::Shape`]). `hostile`, when set, still wins.
    pub shape: Option<shapes::Shape>,
}

/// The dialects the demo server speaks, by the ids the CLI uses.
pub const DIALECTS: [&str; 8] = [
    "filejar",
    "openwebui",
    "flextell",
    "fileguard",
    "astracollab",
    "s3",
    "azure",
    "gcs",
];

/// The router of a dialect, by id.
fn router_for(dialect: &str) -> Option<fn(common::Context) -> axum::Router> {
    Some(match dialect {
        "filejar" => filejar::router,
        "openwebui" => openwebui::router,
        "flextell" => flextell::router,
        "fileguard" => fileguard::router,
        "astracollab" => astracollab::router,
        "s3" => s3::router,
        "azure" => s3::azure::router,
        "gcs" => gcs::router,
        _ => return None,
    })
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            files: 100_000,
            latency: Duration::ZERO,
            seed: 42,
            api_key: "demo".to_owned(),
            dialect: "filejar".to_owned(),
            chaos: 0.0,
            bandwidth: None,
            hostile: None,
            shape: None,
        }
    }
}

/// Counts requests the server has answered (for tests and benchmarks).
#[derive(Debug, Default)]
pub struct ServerStats {
    requests: AtomicU64,
    list_requests: AtomicU64,
    content_requests: AtomicU64,
    range_requests: AtomicU64,
    /// S3 object requests (GET or HEAD) that carried `If-Match`: its value and the status
    /// answered (412 when it did not hold).
    if_match: std::sync::Mutex<Vec<(String, u16)>>,
}

impl ServerStats {
    /// Every request answered, to any path, whatever the status.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests answered by the dialect's file-listing endpoint(s), including
    /// rejected ones (401, 400, 422). For Open WebUI that is the paged list, the
    /// search and the legacy bare-array list; FileGuard's contexts and
    /// AstraCollab's folders list no files and are not counted.
    pub fn list_requests(&self) -> u64 {
        self.list_requests.load(Ordering::Relaxed)
    }

    /// Requests answered by a dialect's file-content (download) path with
    /// bytes or a range error (200, 206 or 416, GET or HEAD); refused ones
    /// (bad signature, auth) are not counted.
    pub fn content_requests(&self) -> u64 {
        self.content_requests.load(Ordering::Relaxed)
    }

    /// Content requests that carried a `Range` header and got a 206.
    pub fn range_requests(&self) -> u64 {
        self.range_requests.load(Ordering::Relaxed)
    }

    /// Every `If-Match` an S3 object request carried, in order, with the status it got:
    /// how a test sees that a resumed download was made conditional, and what came of it.
    pub fn if_match(&self) -> Vec<(String, u16)> {
        self.if_match
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn saw_if_match(&self, value: &str, status: u16) {
        let mut seen = self
            .if_match
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.push((value.to_string(), status));
    }
}

/// A running demo server. Dropping it (or [`DemoServer::shutdown`]) stops it.
#[derive(Debug)]
pub struct DemoServer {
    /// The address actually bound (the real port when bound to port 0).
    pub addr: SocketAddr,
    /// `http://HOST:PORT`, no trailing slash; the dialect's paths go after it.
    pub base_url: String,
    pub stats: Arc<ServerStats>,
    pub dataset: Arc<Dataset>,
    /// For S3: what to tell a person about connecting (see [`DemoServer::connect_hint`]).
    hint: Option<Vec<String>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl DemoServer {
    /// Binds (use 127.0.0.1:0 for an ephemeral port) and serves on the current
    /// tokio runtime in a spawned task.
    ///
    /// Must be called within a tokio runtime. Returns `InvalidInput` if
    /// `config.files` exceeds what the dataset supports (`u32::MAX`; for S3
    /// [`s3::MAX_FILES`]) or `config.dialect` is not one of [`DIALECTS`]
    /// (checked even when a `config.shape` is served instead).
    pub async fn start(addr: SocketAddr, config: DemoConfig) -> std::io::Result<DemoServer> {
        DemoServer::start_with_s3(addr, config, S3Options::default()).await
    }

    /// [`DemoServer::start`], with the S3 dialect's own options (its region).
    pub async fn start_with_s3(
        addr: SocketAddr,
        config: DemoConfig,
        s3_options: S3Options,
    ) -> std::io::Result<DemoServer> {
        DemoServer::start_with_key_space(addr, config, s3_options, s3::KeySpace::Dataset).await
    }

    /// [`DemoServer::start_with_s3`], the S3 dialect serving keys shaped as
    /// `key_space` says (one per record of the dataset).
    pub async fn start_with_key_space(
        addr: SocketAddr,
        config: DemoConfig,
        s3_options: S3Options,
        key_space: s3::KeySpace,
    ) -> std::io::Result<DemoServer> {
        DemoServer::start_with_all(addr, config, s3_options, key_space, GcsOptions::default()).await
    }

    /// [`DemoServer::start`], the GCS dialect with its own options (the
    /// service accounts and refresh tokens its token endpoint takes) over
    /// keys shaped as `key_space` says.
    pub async fn start_with_gcs(
        addr: SocketAddr,
        config: DemoConfig,
        gcs_options: GcsOptions,
        key_space: s3::KeySpace,
    ) -> std::io::Result<DemoServer> {
        DemoServer::start_with_all(addr, config, S3Options::default(), key_space, gcs_options).await
    }

    async fn start_with_all(
        addr: SocketAddr,
        config: DemoConfig,
        s3_options: S3Options,
        key_space: s3::KeySpace,
        gcs_options: GcsOptions,
    ) -> std::io::Result<DemoServer> {
        // Azure serves the same bucket of keys as S3; GCS the same keys its own way.
        let serves_keys = matches!(config.dialect.as_str(), "s3" | "azure" | "gcs")
            && config.hostile.is_none()
            && config.shape.is_none();
        if serves_keys && config.files > s3::MAX_FILES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the S3 dialect serves at most {} files (its key index is held in memory)",
                    s3::MAX_FILES
                ),
            ));
        }
        if u32::try_from(config.files).is_err() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the demo server serves at most {} files", u32::MAX),
            ));
        }
        let Some(router) = router_for(&config.dialect) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the demo server does not speak the {:?} dialect; it speaks {}",
                    config.dialect,
                    DIALECTS.join(", ")
                ),
            ));
        };
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let dataset = Arc::new(Dataset::new(config.seed, config.files));
        let stats = Arc::new(ServerStats::default());
        let base_url = format!("http://{}", connectable(addr));
        let context = common::Context {
            origin: base_url.clone(),
            bandwidth: config.bandwidth,
            dataset: Arc::clone(&dataset),
            stats: Arc::clone(&stats),
            api_key: config.api_key,
            latency: config.latency,
            chaos: config.chaos,
            s3: s3_options.clone(),
            s3_keys: key_space,
            gcs: gcs_options,
        };
        let app = match (config.hostile, config.shape) {
            (Some(mode), _) => {
                hostile::router(mode, &config.dialect, config.files, Arc::clone(&stats))
            }
            (None, Some(shape)) => shapes::router(shape, context),
            (None, None) => router(context),
        };

        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Graceful: stop accepting, let in-flight requests finish, close idle
            // keep-alive connections. A dropped sender counts as a signal too.
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "demo server failed");
            }
        });
        let shape = config.shape.map_or("none", shapes::Shape::name);
        tracing::info!(%addr, files = config.files, dialect = %config.dialect, shape, "demo server listening");

        let hint = match (serves_keys, config.dialect.as_str()) {
            (false, _) => None,
            (true, "azure") => Some(s3::azure::connect_hint(&base_url)),
            (true, "gcs") => Some(gcs::connect_hint(&base_url, config.files)),
            (true, _) => Some(s3::connect_hint(
                &base_url,
                config.files,
                &s3_options.region,
            )),
        };
        Ok(DemoServer {
            base_url,
            addr,
            stats,
            dataset,
            hint,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// What to tell a person about connecting, one line each (without a
    /// `filescope: ` prefix), for dialects whose connection is more than a URL
    /// and a key: S3's bucket, region, key pair and endpoint (see
    /// [`s3::connect_hint`]). `None` for the other dialects.
    pub fn connect_hint(&self) -> Option<&[String]> {
        self.hint.as_deref()
    }

    /// Stops accepting and ends the server task (in-flight requests finish first).
    /// Returns at once; use [`DemoServer::shutdown_and_wait`] to wait for the end.
    pub fn shutdown(self) {
        // Drop does the work.
    }

    /// Like [`DemoServer::shutdown`], but resolves once the server task has ended
    /// and the port is closed.
    pub async fn shutdown_and_wait(mut self) {
        self.signal_shutdown();
        if let Some(task) = self.task.take() {
            // A panic in the server task has already been reported by tokio.
            let _ = task.await;
        }
    }

    fn signal_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The task may already be gone (runtime shut down): nothing to stop then.
            let _ = shutdown.send(());
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.signal_shutdown();
    }
}

/// An address a client can connect to: a wildcard bind is reached via loopback.
fn connectable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why the server refuses to start with `config`.
    async fn refusal(config: DemoConfig) -> std::io::Error {
        DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap_err()
    }

    #[test]
    fn default_config() {
        let config = DemoConfig::default();
        assert_eq!(config.files, 100_000);
        assert_eq!(config.latency, Duration::ZERO);
        assert_eq!(config.seed, 42);
        assert_eq!(config.api_key, "demo");
        assert_eq!(config.dialect, "filejar");
        assert_eq!(config.shape, None);
    }

    #[test]
    fn every_dialect_has_a_router() {
        for dialect in DIALECTS {
            assert!(router_for(dialect).is_some(), "{dialect}");
        }
        assert!(router_for("FileJar").is_none());
    }

    #[tokio::test]
    async fn refuses_an_unknown_dialect() {
        let error = refusal(DemoConfig {
            dialect: "ftp".into(),
            ..DemoConfig::default()
        })
        .await;
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        let message = error.to_string();
        assert!(
            message.contains("\"ftp\"") && message.contains("astracollab, s3"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn refuses_more_files_than_s3_indexes() {
        let error = refusal(DemoConfig {
            dialect: "s3".into(),
            files: s3::MAX_FILES + 1,
            ..DemoConfig::default()
        })
        .await;
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("S3"), "{error}");
    }

    #[tokio::test]
    async fn every_dialect_starts_and_answers_its_own_404() {
        for dialect in DIALECTS {
            let config = DemoConfig {
                dialect: dialect.into(),
                files: 10,
                ..DemoConfig::default()
            };
            let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
                .await
                .unwrap();
            let url = format!("{}/no/such/path", server.base_url);
            let reply = common::testkit::fetch(reqwest::Method::GET, &url, &[]).await;
            assert_eq!(reply.status, 404, "{dialect}");
            if dialect == "s3" || dialect == "azure" {
                // S3's and Azure's errors are XML: this path names a bucket (an account)
                // that is not there.
                assert_eq!(reply.header("content-type"), "application/xml");
                let body = String::from_utf8(reply.bytes.clone()).unwrap();
                let code = if dialect == "s3" {
                    "<Code>NoSuchBucket</Code>"
                } else {
                    "<Code>ResourceNotFound</Code>"
                };
                assert!(body.contains(code), "{body}");
                assert!(server.connect_hint().is_some());
            } else if dialect == "gcs" {
                // GCS's JSON error envelope, for a path it does not serve.
                assert_eq!(reply.json()["error"]["code"], 404);
                assert!(server.connect_hint().is_some());
            } else {
                assert!(reply.json().is_object(), "{dialect}");
                assert!(server.connect_hint().is_none());
            }
            assert_eq!(server.stats.requests(), 1, "{dialect}");
            assert_eq!(server.stats.list_requests(), 0, "{dialect}");
            server.shutdown_and_wait().await;
        }
    }

    #[test]
    fn wildcard_binds_are_reached_over_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(connectable(any).to_string(), "127.0.0.1:8080");
        let any6: SocketAddr = "[::]:8080".parse().unwrap();
        assert_eq!(connectable(any6).to_string(), "[::1]:8080");
        let local: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(connectable(local), local);
    }

    #[tokio::test]
    async fn starts_instantly_over_ten_million_files_and_stops() {
        let config = DemoConfig {
            files: 10_000_000,
            ..DemoConfig::default()
        };
        let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        assert_eq!(server.dataset.len(), 10_000_000);
        assert!(server.base_url.starts_with("http://127.0.0.1:"));
        assert!(!server.base_url.ends_with('/'));
        let addr = server.addr;
        server.shutdown_and_wait().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn refuses_more_files_than_supported() {
        // Only meaningful where usize is wider than u32.
        let Ok(files) = usize::try_from(u64::from(u32::MAX) + 1) else {
            return;
        };
        let error = refusal(DemoConfig {
            files,
            ..DemoConfig::default()
        })
        .await;
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    }
}
