//! A file's bytes and what else the API can do with one file: resolve a download link (each
//! dialect its own way), read the first bytes or the extracted text for a preview, download
//! to disk with resume and checksum, delete, and say the listing request as a curl command.
//! Links are secrets (signed URLs): they appear in no log line and no error message.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_RANGE, HeaderMap, RANGE};
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::client::Client;
use super::dialect::{Auth, ContentSource, PageRequest};
use super::error::{ApiError, display_url};
use super::query::ListQuery;
use super::record::FileRecord;

/// Where to fetch a file's bytes, and whether the credential goes along: only to an endpoint of
/// the API itself, never with a link the API handed out (a CDN, a signed URL), even on the same
/// origin. `Debug` hides the query string, where signatures live.
#[derive(Clone)]
pub struct ContentLink {
    pub url: Url,
    pub authed: bool,
}

impl fmt::Debug for ContentLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ContentLink({}, authed: {})",
            display_url(&self.url),
            self.authed
        )
    }
}

/// How far a download has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    /// The whole size, once the server has said.
    pub total: Option<u64>,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    pub bytes: u64,
    /// The checksum the API published was checked and matched (in this algorithm).
    pub verified: Option<Algorithm>,
    /// Bytes that were already on disk from an earlier attempt and were not fetched again.
    pub resumed_from: u64,
    /// What the user should know about it: a published checksum that could not be used, a
    /// size that differs from the listing's.
    pub notes: Vec<String>,
}

/// An algorithm an API publishes a file's digest in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha1,
    /// CRC-32 (ISO-HDLC, as zlib), S3's `CRC32`.
    Crc32,
    /// CRC-32C (Castagnoli), S3's `CRC32C`.
    Crc32c,
    /// CRC-64/NVME, S3's default for new uploads.
    Crc64Nvme,
    /// S3's ETag of a single-part upload that is not encrypted with KMS or a customer key: the
    /// MD5 of the bytes. Weak evidence: a store may make its ETags otherwise, so a mismatch is
    /// said beside the saved file rather than throwing the download away.
    EtagMd5,
}

impl Algorithm {
    /// How the transfers panel and errors name it.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha1 => "sha1",
            Algorithm::Crc32 => "crc32",
            Algorithm::Crc32c => "crc32c",
            Algorithm::Crc64Nvme => "crc64nvme",
            Algorithm::EtagMd5 => "md5 (ETag)",
        }
    }

    /// Whether a mismatch proves the bytes wrong (every published checksum but the ETag).
    pub fn proves(self) -> bool {
        self != Algorithm::EtagMd5
    }
}

/// A digest the API published for a file: its algorithm and the value in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: Algorithm,
    pub hex: String,
}

/// The checksum an API publishes for a file, as far as it can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    None,
    /// A digest this can check before the file is named.
    Sum(Checksum),
    /// Something was published, but nothing this can check (`sha256:ZZZ`, a per-part S3
    /// checksum): said, not silently ignored.
    Unusable(String),
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("cannot write {path}: {reason}")]
    Io { path: String, reason: String },
    #[error(
        "checksum mismatch: nothing saved ({} published {}…, received {}…)",
        algorithm.label(),
        &expected[..expected.len().min(12)],
        &actual[..actual.len().min(12)]
    )]
    Checksum {
        algorithm: Algorithm,
        expected: String,
        actual: String,
    },
    #[error("{0} already exists; not overwritten")]
    Exists(String),
    #[error("{0} is already being downloaded")]
    Busy(String),
    #[error("gave up after {0} attempts that did not move the download on")]
    Stuck(u32),
    #[error("cancelled; the bytes so far are kept for a later download to resume from")]
    Cancelled,
}

fn io_error(path: &Path, err: io::Error) -> TransferError {
    TransferError::Io {
        path: path.display().to_string(),
        reason: err.to_string(),
    }
}

/// Where the bytes of a download in progress are kept: beside the final file, hidden, and
/// named for the file's id too, so a later attempt at the same file resumes from them while a
/// different file of the same name never does. Nothing partial ever has the final name.
pub fn part_path(final_path: &Path, id: &str) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // FNV-1a: stable across runs and builds, unlike the std hasher, so a later run finds it.
    let tag = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    final_path.with_file_name(format!(".{name}.{:08x}.filescope-part", tag as u32))
}

/// Where the validator (ETag or Last-Modified) of a part file's bytes is kept, for `If-Range`.
fn validator_path(part: &Path) -> PathBuf {
    let mut name = part.as_os_str().to_owned();
    name.push(".validator");
    PathBuf::from(name)
}

/// A server's file name made safe to create in a directory: no path separators, no control
/// characters, no `.`/`..`, no leading dot (which would hide it), at most 200 bytes; an
/// unusable name becomes the file's id.
pub fn safe_file_name(name: &str, id: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || crate::text::is_unsafe(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut cleaned = cleaned.trim().trim_start_matches('.').to_string();
    while cleaned.len() > 200 {
        cleaned.pop();
    }
    if cleaned.is_empty() {
        let id = safe_id(id);
        if id.is_empty() {
            "file".to_string()
        } else {
            id
        }
    } else {
        cleaned
    }
}

fn safe_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(100)
        .collect()
}

/// What to do when the final name is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Fail with [`TransferError::Exists`].
    Fail,
    /// Replace the existing file (the user said so).
    Overwrite,
    /// Save as `name (1).ext`, `name (2).ext`, … whichever is free.
    Rename,
}

/// Final paths that a download in this process is writing: two downloads never share a part
/// file, and a renamed one never picks a name another is about to take.
static CLAIMED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A final path held by one download until it ends (or its task is aborted).
#[derive(Debug)]
pub struct Claim(PathBuf);

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut claimed) = CLAIMED.lock() {
            claimed.retain(|p| *p != self.0);
        }
    }
}

/// Claims `wanted`, or with [`Conflict::Rename`] and `wanted` taken (on disk or by another
/// download), the first free `name (n).ext` beside it.
pub fn claim(wanted: &Path, conflict: Conflict) -> Result<Claim, TransferError> {
    let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
    let taken = |p: &Path, claimed: &Vec<PathBuf>| claimed.iter().any(|c| c == p) || p.exists();
    let path = match conflict {
        Conflict::Rename if taken(wanted, &claimed) => {
            let dir = wanted.parent().unwrap_or(Path::new("."));
            let name = wanted
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (1..)
                .map(|n| dir.join(numbered(&name, n)))
                .find(|p| !taken(p, &claimed))
                .expect("a free name exists")
        }
        _ => {
            if claimed.iter().any(|c| c == wanted) {
                return Err(TransferError::Busy(wanted.display().to_string()));
            }
            if conflict == Conflict::Fail && wanted.exists() {
                return Err(TransferError::Exists(wanted.display().to_string()));
            }
            wanted.to_path_buf()
        }
    };
    claimed.push(path.clone());
    Ok(Claim(path))
}

/// `name (n).ext`: the n-th other file of the same name.
pub fn numbered(name: &str, n: usize) -> String {
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({n})"),
    }
}

impl Client {
    /// Where the file's bytes are, resolved now. For FileGuard this call counts a download.
    pub async fn content_link(&self, record: &FileRecord) -> Result<ContentLink, ApiError> {
        let source = self.dialect().content_source(record);
        let endpoint = matches!(source, ContentSource::Endpoint(_));
        let url = match source {
            ContentSource::Link(link) => Url::parse(&link).map_err(|_| ApiError::Decode {
                url: "the record's link".to_string(),
                reason: "it is not a URL".to_string(),
            })?,
            ContentSource::Endpoint(spec) => self.url_for(&spec.path, &spec.query)?,
            ContentSource::Resolve { request, pointer } => {
                let at = self.url_for(&request.path, &request.query)?;
                let link = self
                    .get_decoded(&request, |body| {
                        let value: serde_json::Value =
                            serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
                        value
                            .pointer(&pointer)
                            .and_then(|v| v.as_str())
                            .map(str::to_string)
                            .ok_or_else(|| format!("no download link at {pointer}"))
                    })
                    .await?;
                Url::parse(&link).map_err(|_| ApiError::Decode {
                    url: display_url(&at),
                    reason: format!("the link at {pointer} is not a URL"),
                })?
            }
            ContentSource::Unavailable(reason) => return Err(ApiError::Config(reason)),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ApiError::Config(format!(
                "the file's link is not http or https ({}:)",
                url.scheme()
            )));
        }
        // A dialect that places its own requests (S3) places its links too.
        let own = self.dialect().request_url("", &[]).is_some();
        let authed = endpoint && (own || url.origin() == self.connection().base_url.origin());
        Ok(ContentLink { url, authed })
    }

    /// The checksum the API publishes for the file, if any (from the record, or FileGuard's
    /// `/metadata`, which is free to call).
    pub async fn published_checksum(&self, record: &FileRecord) -> Result<Published, ApiError> {
        let judge = |record: &FileRecord| match self.dialect().checksum(record) {
            Some(sum) => Published::Sum(sum),
            None => match self.dialect().checksum_text(record) {
                Some(text) => Published::Unusable(text),
                None => Published::None,
            },
        };
        let here = judge(record);
        if here != Published::None || !self.dialect().checksum_in_detail() {
            return Ok(here);
        }
        Ok(self
            .detail(&record.id)
            .await?
            .map_or(Published::None, |full| judge(&full)))
    }

    /// Starts fetching the bytes from `from` on (a Range request when `from > 0` or `upto`
    /// is set). Retries like every request; errors come in the API's envelope when the link is
    /// the API's own.
    pub async fn open_content(
        &self,
        link: &ContentLink,
        from: u64,
        upto: Option<u64>,
        if_range: Option<&str>,
    ) -> Result<reqwest::Response, ApiError> {
        let shown = display_url(&link.url);
        let range = match (from, upto) {
            (0, None) => None,
            (from, None) => Some(format!("bytes={from}-")),
            (from, Some(last)) => Some(format!("bytes={from}-{last}")),
        };
        let (status, mut response, _) = self
            .with_retries(&link.url, || async {
                let mut request = if link.authed {
                    // No limit on the whole transfer; the read timeout still catches a stall.
                    self.request(
                        reqwest::Method::GET,
                        &link.url,
                        &self.dialect().content_headers(),
                    )?
                    .timeout(Duration::from_secs(7 * 24 * 3600))
                } else {
                    self.bare.get(link.url.clone())
                };
                if let Some(range) = &range {
                    request = request.header(RANGE, range);
                    if let Some(validator) = if_range {
                        // S3 ignores If-Range: there, If-Match makes changed bytes a 412.
                        let condition = if self.dialect().resumes_with_if_match() {
                            reqwest::header::IF_MATCH
                        } else {
                            reqwest::header::IF_RANGE
                        };
                        request = request.header(condition, validator);
                    }
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| self.transport_error(&shown, e))?;
                let headers = response.headers().clone();
                Ok((response.status(), response, headers))
            })
            .await?;
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::RANGE_NOT_SATISFIABLE
            || (status == StatusCode::PRECONDITION_FAILED && if_range.is_some())
        {
            return Ok(response);
        }
        // An error page is read only as far as its message can be shown (a refused link may
        // answer with the whole object, or gigabytes of nothing).
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(ERROR_BODY_BYTES);
        if link.authed {
            Err(self.http_error(status, shown, &body))
        } else {
            Err(ApiError::Http {
                status: status.as_u16(),
                url: shown,
                code: None,
                message: status
                    .canonical_reason()
                    .unwrap_or("the link was refused")
                    .to_string(),
                hint: matches!(status.as_u16(), 401 | 403)
                    .then(|| "the link may have expired; try again for a fresh one".to_string()),
            })
        }
    }

    /// The first `limit` bytes of the file (fewer when it is shorter), by Range where the
    /// server allows it; a server that ignores Range is read only as far as needed.
    pub async fn head_bytes(&self, record: &FileRecord, limit: usize) -> Result<Vec<u8>, ApiError> {
        let link = self.content_link(record).await?;
        let shown = display_url(&link.url);
        let mut response = self
            .open_content(&link, 0, Some(limit.saturating_sub(1) as u64), None)
            .await?;
        if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(limit.min(1 << 20));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&shown, e))?
        {
            let room = limit - out.len();
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The file's extracted text, where the API keeps one (Open WebUI).
    pub async fn extracted_text(&self, id: &str) -> Result<Option<String>, ApiError> {
        let Some((spec, pointer)) = self.dialect().text_request(id) else {
            return Ok(None);
        };
        self.get_decoded(&spec, |body| {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
            Ok(value
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .map(str::to_string))
        })
        .await
    }

    /// Deletes a file; `Ok` only when the server confirmed it.
    pub async fn delete_file(&self, id: &str) -> Result<(), ApiError> {
        if !self.connection().allow_delete {
            return Err(ApiError::Config(
                "read-only: deleting needs allow_delete = true in the connection's profile"
                    .to_string(),
            ));
        }
        let Some(spec) = self.dialect().delete_request(id) else {
            return Err(ApiError::Config(format!(
                "{} has no delete endpoint",
                self.dialect().id()
            )));
        };
        let url = self.url_for(&spec.path, &spec.query)?;
        let (status, body, _) = self
            .with_retries(&url, || self.send_once(reqwest::Method::DELETE, &url))
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(self.http_error(status, display_url(&url), &body))
        }
    }

    /// The request for a page of `query` as a curl command, the credential written as
    /// `$FILESCOPE_API_KEY` so the command can be shared and still works where it is set.
    /// Every value is one word quoted by [`crate::text::shell`], whatever it holds.
    pub fn curl_command(&self, query: &ListQuery, page: PageRequest) -> Result<String, ApiError> {
        use crate::text::shell::{self, Part, text};
        const KEY_VAR: &str = "FILESCOPE_API_KEY";
        let spec = self.dialect().list_request(query, page);
        let url = self.url_without_key(&spec.path, &spec.query)?;
        let auth = self.dialect().auth();
        let mut words = vec![vec![text("curl")], vec![text("-sS")]];
        words.push(match auth {
            // The key joins the URL outside the quotes, where the shell expands it.
            Auth::Query(param) => vec![
                text(format!(
                    "{url}{}{param}=",
                    if url.query().is_some() { "&" } else { "?" }
                )),
                Part::Var(KEY_VAR),
            ],
            _ => vec![text(url.as_str())],
        });
        let marker = format!("${KEY_VAR}");
        if let Some((name, value)) = auth.header(&marker) {
            // The header's value around the key, the key itself a variable.
            let mut header = vec![text(format!("{name}: "))];
            let mut rest = value.as_str();
            while let Some(at) = rest.find(&marker) {
                if at > 0 {
                    header.push(text(rest[..at].to_string()));
                }
                header.push(Part::Var(KEY_VAR));
                rest = &rest[at + marker.len()..];
            }
            if !rest.is_empty() {
                header.push(text(rest.to_string()));
            }
            words.push(vec![text("-H")]);
            words.push(header);
        }
        words.extend(self.dialect().curl_auth());
        for (name, value) in &self.connection().headers {
            words.push(vec![text("-H")]);
            words.push(vec![text(format!("{name}: {value}"))]);
        }
        shell::command(&words)
            .map_err(|e| ApiError::Config(format!("cannot write the request as a command: {e}")))
    }
}

/// How much of a refused content request's body is read for its message.
const ERROR_BODY_BYTES: usize = 64 << 10;

/// Bytes gathered before each write to the part file (a cancel loses at most this much,
/// fetched again on resume).
const WRITE_BUFFER: usize = 256 << 10;

/// How often progress is reported while bytes stream in.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Downloads `record` to `wanted` (or, with [`Conflict::Rename`], a free name beside it):
/// into a hidden part file, resuming from what an earlier attempt at the same file left there
/// (HTTP Range, with `If-Range` so changed content starts over), continuing after a dropped
/// connection the same way, verifying the API's SHA-256 when it publishes one, and only then
/// giving the file its name.
///
/// `cancel` stops it between chunks: what was received is written and flushed first, so when
/// this returns no write to the part file is still under way and the name is free again.
pub async fn download(
    client: &Client,
    record: &FileRecord,
    wanted: &Path,
    conflict: Conflict,
    cancel: &tokio_util::sync::CancellationToken,
    mut progress: impl FnMut(Progress),
) -> Result<Saved, TransferError> {
    let claim = claim(wanted, conflict)?;
    let final_path = claim.0.clone();
    // FileGuard: the checksum first (free), the link second (counted as a download).
    let published = client.published_checksum(record).await?;
    let (expected, mut notes) = match published {
        Published::Sum(sum) => (Some(sum), Vec::new()),
        Published::Unusable(text) => {
            let shown: String = text.chars().take(32).collect();
            (
                None,
                vec![format!(
                    "the published checksum {shown:?} is not one this can check: not verified"
                )],
            )
        }
        Published::None => (None, Vec::new()),
    };
    let link = client.content_link(record).await?;
    let part = part_path(&final_path, &record.id);
    let validator_file = validator_path(&part);
    let mut on_disk = match tokio::fs::metadata(&part).await {
        Ok(meta) => meta.len(),
        Err(_) => 0,
    };
    let mut validator = tokio::fs::read_to_string(&validator_file)
        .await
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let mut resumed_from = None;
    let attempts = client.connection().retry.attempts.max(1);
    let mut attempt = 0;
    let mut total = None;
    loop {
        attempt += 1;
        // Restarts (a 416, a range that does not fit) count too, so no server loops us.
        if attempt > attempts + 2 {
            return Err(TransferError::Stuck(attempt - 1));
        }
        let if_range = validator.as_deref().filter(|_| on_disk > 0);
        let mut response = client.open_content(&link, on_disk, None, if_range).await?;
        let status = response.status();
        let mut file = tokio::fs::OpenOptions::new();
        file.create(true).write(true);
        if status == StatusCode::RANGE_NOT_SATISFIABLE
            || status == StatusCode::PRECONDITION_FAILED
            || (status == StatusCode::PARTIAL_CONTENT
                && range_start(response.headers()) != Some(on_disk))
        {
            // What is on disk does not fit what the server has (or it changed since, by
            // If-Match): start over, without a range.
            drop(response);
            tokio::fs::remove_file(&part).await.ok();
            tokio::fs::remove_file(&validator_file).await.ok();
            validator = None;
            on_disk = 0;
            continue;
        }
        if status == StatusCode::PARTIAL_CONTENT {
            file.append(true);
            total = range_total(response.headers()).or(total);
        } else {
            // A whole answer: a first attempt, changed content, or a server without ranges.
            file.truncate(true);
            on_disk = 0;
            total = response.content_length();
            validator = strong_validator(response.headers());
            match &validator {
                Some(v) => tokio::fs::write(&validator_file, v).await.ok(),
                None => tokio::fs::remove_file(&validator_file).await.ok(),
            };
        }
        resumed_from.get_or_insert(on_disk);
        // Every tokio file write is a trip to the blocking pool: write in large pieces.
        let mut file = tokio::io::BufWriter::with_capacity(
            WRITE_BUFFER,
            file.open(&part).await.map_err(|e| io_error(&part, e))?,
        );
        progress(Progress {
            done: on_disk,
            total,
        });
        let shown = display_url(&link.url);
        let mut last_report = Instant::now();
        let mut cut_short = None;
        let mut cancelled = false;
        loop {
            let next = tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    cancelled = true;
                    break;
                }
                next = response.chunk() => next,
            };
            match next {
                Ok(Some(chunk)) => {
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| io_error(&part, e))?;
                    on_disk += chunk.len() as u64;
                    if last_report.elapsed() >= PROGRESS_EVERY {
                        last_report = Instant::now();
                        progress(Progress {
                            done: on_disk,
                            total,
                        });
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    cut_short = Some(client.transport_error(&shown, e));
                    break;
                }
            }
        }
        file.flush().await.map_err(|e| io_error(&part, e))?;
        // The data, not every timestamp, must be on disk before the file takes its name.
        file.get_ref()
            .sync_data()
            .await
            .map_err(|e| io_error(&part, e))?;
        drop(file);
        if cancelled {
            return Err(TransferError::Cancelled);
        }
        let short = total.is_some_and(|t| on_disk < t);
        match cut_short {
            Some(err) if attempt >= attempts => return Err(err.into()),
            Some(err) => {
                tracing::info!(error = %err, done = on_disk, "download cut short; resuming");
                continue;
            }
            None if short && attempt < attempts => continue,
            None if short => {
                return Err(ApiError::Network {
                    url: shown,
                    reason: format!(
                        "the connection ended after {on_disk} of {} bytes",
                        total.unwrap_or(0)
                    ),
                }
                .into());
            }
            None => break,
        }
    }
    progress(Progress {
        done: on_disk,
        total: Some(on_disk),
    });
    let verified = match expected {
        Some(Checksum { algorithm, hex }) => {
            let actual = digest_file(&part, algorithm)
                .await
                .map_err(|e| io_error(&part, e))?;
            if actual == hex {
                Some(algorithm)
            } else if algorithm.proves() {
                tracing::warn!(algorithm = algorithm.label(), expected = %hex, %actual, "checksum mismatch");
                tokio::fs::remove_file(&part).await.ok();
                tokio::fs::remove_file(&validator_file).await.ok();
                return Err(TransferError::Checksum {
                    algorithm,
                    expected: hex,
                    actual,
                });
            } else {
                tracing::warn!(etag = %hex, md5 = %actual, "the ETag is not the MD5 of the bytes");
                notes.push(
                    "the ETag is not the MD5 of the bytes received: not verified (stores that \
                     encrypt with KMS or their own keys make other ETags; check the file)"
                        .to_string(),
                );
                None
            }
        }
        None => None,
    };
    let (from, to) = (part.clone(), final_path.clone());
    let overwrite = conflict == Conflict::Overwrite;
    tokio::task::spawn_blocking(move || finish(&from, &to, overwrite))
        .await
        .map_err(|e| TransferError::Io {
            path: final_path.display().to_string(),
            reason: e.to_string(),
        })??;
    tokio::fs::remove_file(&validator_file).await.ok();
    drop(claim);
    if let Some(listed) = record.size.filter(|listed| *listed != on_disk) {
        notes.push(format!(
            "{} saved where the listing said {}",
            crate::text::human_size(on_disk),
            crate::text::human_size(listed)
        ));
    }
    Ok(Saved {
        path: final_path,
        bytes: on_disk,
        verified,
        resumed_from: resumed_from.unwrap_or(0),
        notes,
    })
}

/// An ETag that names exact bytes (not a weak `W/` one), else Last-Modified: what `If-Range`
/// can be given so a changed file is sent whole instead of spliced.
fn strong_validator(headers: &HeaderMap) -> Option<String> {
    let get = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    get(reqwest::header::ETAG)
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| get(reqwest::header::LAST_MODIFIED))
}

/// Gives the finished part its name. Without `overwrite`, a hard link makes "only if nothing
/// is there" atomic; where links are not supported, a check then a rename.
pub fn finish(part: &Path, final_path: &Path, overwrite: bool) -> Result<(), TransferError> {
    if overwrite {
        return std::fs::rename(part, final_path).map_err(|e| io_error(final_path, e));
    }
    match std::fs::hard_link(part, final_path) {
        Ok(()) => {
            std::fs::remove_file(part).ok();
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(TransferError::Exists(final_path.display().to_string()))
        }
        Err(_) if final_path.exists() => {
            Err(TransferError::Exists(final_path.display().to_string()))
        }
        Err(_) => std::fs::rename(part, final_path).map_err(|e| io_error(final_path, e)),
    }
}

/// The digest of a file on disk, lowercase hex (CRCs as their big-endian bytes, as S3
/// publishes them).
async fn digest_file(path: &Path, algorithm: Algorithm) -> io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// One running digest of any [`Algorithm`].
pub enum Hasher {
    Sha256(Sha256),
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
    /// A CRC and its width in bytes.
    Crc(crc_fast::Digest, usize),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        use crc_fast::CrcAlgorithm;
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha1 => Hasher::Sha1(sha1::Digest::new()),
            Algorithm::EtagMd5 => Hasher::Md5(md5::Digest::new()),
            Algorithm::Crc32 => Hasher::Crc(crc_fast::Digest::new(CrcAlgorithm::Crc32IsoHdlc), 4),
            Algorithm::Crc32c => Hasher::Crc(crc_fast::Digest::new(CrcAlgorithm::Crc32Iscsi), 4),
            Algorithm::Crc64Nvme => Hasher::Crc(crc_fast::Digest::new(CrcAlgorithm::Crc64Nvme), 8),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha1(h) => sha1::Digest::update(h, bytes),
            Hasher::Md5(h) => md5::Digest::update(h, bytes),
            Hasher::Crc(h, _) => h.update(bytes),
        }
    }

    /// The digest in lowercase hex.
    pub fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => hex(&h.finalize()),
            Hasher::Sha1(h) => hex(sha1::Digest::finalize(h).as_slice()),
            Hasher::Md5(h) => hex(md5::Digest::finalize(h).as_slice()),
            Hasher::Crc(h, width) => hex(&h.finalize().to_be_bytes()[8 - width..]),
        }
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first byte of a `Content-Range: bytes A-B/T` answer.
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let range = value.strip_prefix("bytes ")?;
    range.split('-').next()?.trim().parse().ok()
}

/// The whole length in a `Content-Range: bytes A-B/T` answer.
fn range_total(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    value.rsplit('/').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_algorithm_gives_the_catalogues_check_value_across_chunks() {
        // The check values of "123456789" (CRC catalogue; FIPS and RFC test vectors).
        let cases = [
            (Algorithm::Crc32, "cbf43926"),
            (Algorithm::Crc32c, "e3069283"),
            (Algorithm::Crc64Nvme, "ae8b14860a799888"),
            (Algorithm::Sha1, "f7c3bc1d808e04732adf679965ccc34ca7ae3441"),
            (Algorithm::EtagMd5, "25f9e794323b453885f5181f1b624d0b"),
            (
                Algorithm::Sha256,
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            ),
        ];
        for (algorithm, want) in cases {
            let mut whole = Hasher::new(algorithm);
            whole.update(b"123456789");
            assert_eq!(whole.finish(), want, "{algorithm:?}");
            let mut pieces = Hasher::new(algorithm);
            for piece in [&b"1"[..], b"2345", b"", b"6789"] {
                pieces.update(piece);
            }
            assert_eq!(pieces.finish(), want, "{algorithm:?} in pieces");
        }
    }

    #[test]
    fn server_names_become_safe_local_names() {
        assert_eq!(safe_file_name("report.pdf", "x"), "report.pdf");
        assert_eq!(safe_file_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(safe_file_name("a/b\\c", "x"), "a_b_c");
        assert_eq!(safe_file_name("\u{1b}[31mred.txt", "x"), "_[31mred.txt");
        assert_eq!(
            safe_file_name("invoice\u{202e}fdp.exe", "x"),
            "invoice_fdp.exe"
        );
        assert_eq!(safe_file_name(".hidden", "x"), "hidden");
        assert_eq!(safe_file_name("..", "id-1/2"), "id-12");
        assert_eq!(safe_file_name("", ""), "file");
        assert!(safe_file_name(&"é".repeat(300), "x").len() <= 200);
    }

    #[test]
    fn parts_are_hidden_beside_the_final_file_and_named_for_the_id() {
        let part = part_path(Path::new("/tmp/d/report.pdf"), "id-1");
        assert_eq!(part.parent(), Some(Path::new("/tmp/d")));
        let name = part.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".report.pdf.") && name.ends_with(".filescope-part"));
        assert_eq!(part, part_path(Path::new("/tmp/d/report.pdf"), "id-1"));
        assert_ne!(part, part_path(Path::new("/tmp/d/report.pdf"), "id-2"));
    }

    #[test]
    fn claims_keep_downloads_apart_and_renames_count_up() {
        let dir = std::env::temp_dir().join(format!("filescope-claims-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), b"1").unwrap();
        let first = claim(&dir.join("a.txt"), Conflict::Rename).unwrap();
        assert_eq!(first.0, dir.join("a (1).txt"));
        // Not on disk yet, but claimed: the next one skips it too.
        let second = claim(&dir.join("a.txt"), Conflict::Rename).unwrap();
        assert_eq!(second.0, dir.join("a (2).txt"));
        assert!(matches!(
            claim(&dir.join("a (1).txt"), Conflict::Overwrite),
            Err(TransferError::Busy(_))
        ));
        assert!(matches!(
            claim(&dir.join("a.txt"), Conflict::Fail),
            Err(TransferError::Exists(_))
        ));
        drop(first);
        assert!(claim(&dir.join("a (1).txt"), Conflict::Fail).is_ok());
        drop(second);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn content_range_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_RANGE, "bytes 100-199/1000".parse().unwrap());
        assert_eq!(range_start(&headers), Some(100));
        assert_eq!(range_total(&headers), Some(1000));
    }

    /// A link refused with a body that never ends (an error page streaming forever) is
    /// reported from the first 64 KiB at once; it was read to its end before.
    #[tokio::test]
    async fn a_refused_link_is_reported_without_reading_an_endless_error_body() {
        let app = axum::Router::new().fallback(|| async {
            let chunk = axum::body::Bytes::from(vec![b'e'; 16 << 10]);
            let endless =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            (
                axum::http::StatusCode::FORBIDDEN,
                axum::body::Body::from_stream(endless),
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::new(super::super::Connection::new(
            super::super::dialect::by_id("openwebui").unwrap(),
            Url::parse(&url).unwrap(),
            Some(super::super::Secret::new("k")),
        ))
        .unwrap();
        let record = crate::test_support::bare_record("f1");
        let error = tokio::time::timeout(Duration::from_secs(60), client.head_bytes(&record, 10))
            .await
            .expect("the error body was read to its end")
            .unwrap_err();
        assert!(error.to_string().starts_with("HTTP 403 from "), "{error}");
        assert!(
            error.to_string().len() < 8 << 10,
            "{} bytes",
            error.to_string().len()
        );
    }

    /// An id of `.` or `..` from any JSON dialect never becomes a request: as a path segment
    /// a URL resolves it away (Open WebUI's delete of `..` was `DELETE /api/v1/`). Refused
    /// before anything is sent (nothing listens on port 9: a request would say "cannot
    /// reach"); an id holding `/` stays one segment.
    #[tokio::test]
    async fn an_id_of_dot_or_dot_dot_is_refused_before_any_request_in_every_dialect() {
        let mut checked = 0;
        for dialect in super::super::dialect::ids() {
            if dialect == "s3" {
                continue;
            }
            let mut conn = super::super::Connection::new(
                super::super::dialect::by_id(dialect).unwrap(),
                Url::parse("http://127.0.0.1:9/base").unwrap(),
                Some(super::super::Secret::new("k")),
            );
            conn.allow_delete = true;
            conn.retry.attempts = 1;
            let client = Client::new(conn).unwrap();
            for id in [".", ".."] {
                let mut errors = Vec::new();
                if client.dialect().delete_request(id).is_some() {
                    errors.push(client.delete_file(id).await.unwrap_err());
                }
                if client.dialect().detail_request(id).is_some() {
                    errors.push(client.detail(id).await.unwrap_err());
                }
                let record = crate::test_support::bare_record(id);
                if matches!(
                    client.dialect().content_source(&record),
                    ContentSource::Endpoint(_)
                ) {
                    errors.push(client.content_link(&record).await.unwrap_err());
                }
                checked += errors.len();
                if dialect == "openwebui" {
                    assert!(errors.len() >= 2, "delete and content: {errors:?}");
                }
                for error in errors {
                    assert!(
                        error.to_string().contains("cannot be addressed over HTTP"),
                        "{dialect} {id:?}: {error}"
                    );
                }
            }
            if let Some(spec) = client.dialect().delete_request("a/../b") {
                let url = client.url_for(&spec.path, &spec.query).unwrap();
                assert!(url.path().contains("/a%2F..%2Fb"), "{dialect}: {url}");
            }
        }
        assert!(checked >= 8, "{checked} requests by id checked");
    }

    /// The key goes with an API endpoint, never with a link the API handed out, even one on
    /// the API's own host.
    #[tokio::test]
    async fn the_key_goes_only_to_api_endpoints() {
        let client = |dialect: &str| {
            Client::new(super::super::Connection::new(
                super::super::dialect::by_id(dialect).unwrap(),
                Url::parse("http://127.0.0.1:9").unwrap(),
                Some(super::super::Secret::new("k")),
            ))
            .unwrap()
        };
        let record = FileRecord {
            id: "f1".into(),
            name: "a.txt".into(),
            size: None,
            content_type: None,
            created_at: None,
            updated_at: None,
            url: Some("http://127.0.0.1:9/cdn/a.txt".to_string()),
            problems: Vec::new(),
            raw: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        };
        let jar = client("filejar").content_link(&record).await.unwrap();
        assert!(!jar.authed, "a CDN link on the API's host gets no key");
        let webui = client("openwebui").content_link(&record).await.unwrap();
        assert!(webui.authed);
        assert_eq!(webui.url.path(), "/api/v1/files/f1/content");
        assert!(!format!("{webui:?}").contains('?'));
    }

    #[test]
    fn curl_commands_never_hold_the_key() {
        let conn = super::super::Connection::new(
            super::super::dialect::by_id("filejar").unwrap(),
            Url::parse("http://127.0.0.1:9").unwrap(),
            Some(super::super::Secret::new("sk-canary-0000")),
        );
        let client = Client::new(conn).unwrap();
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        let curl = client
            .curl_command(
                &query,
                PageRequest {
                    number: 1,
                    size: 50,
                },
            )
            .unwrap();
        assert!(!curl.contains("sk-canary"), "{curl}");
        assert!(
            curl.contains("-H 'x-api-key: '\"$FILESCOPE_API_KEY\""),
            "{curl}"
        );
        assert!(curl.starts_with("curl -sS 'http://127.0.0.1:9/"), "{curl}");
    }

    /// Every value in `y c`'s command is one word: a search, a header from the profile and the
    /// key's variable, run through `sh` with `curl` a function printing its arguments, reach
    /// curl exactly, and nothing else runs.
    #[test]
    fn a_curl_command_gives_curl_exactly_its_words_whatever_the_values_hold() {
        let hostile = "a';touch pwned;echo '$(touch pwned2)`touch pwned3`";
        for dialect in ["openwebui", "filejar", "flextell"] {
            let mut conn = super::super::Connection::new(
                super::super::dialect::by_id(dialect).unwrap(),
                Url::parse("http://127.0.0.1:9").unwrap(),
                Some(super::super::Secret::new("sk-canary-0000")),
            );
            conn.headers = vec![("X-Tenant".into(), hostile.into())];
            let client = Client::new(conn).unwrap();
            let mut query = ListQuery::new(client.dialect().capabilities().default_sort);
            query.search = hostile.to_string();
            let page = PageRequest {
                number: 1,
                size: 50,
            };
            let curl = client.curl_command(&query, page).unwrap();
            let dir = std::env::temp_dir()
                .join(format!("filescope-curl-{dialect}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("curl() {{ printf '%s\\n' \"$@\"; }}; {curl}"))
                .current_dir(&dir)
                .env("FILESCOPE_API_KEY", "the-key")
                .output()
                .unwrap();
            assert!(out.status.success(), "{curl}: {out:?}");
            assert_eq!(
                std::fs::read_dir(&dir).unwrap().count(),
                0,
                "{curl} ran a command"
            );
            let words: Vec<String> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            let url = client
                .url_without_key(
                    &client.dialect().list_request(&query, page).path,
                    &client.dialect().list_request(&query, page).query,
                )
                .unwrap();
            let mut expected = vec!["-sS".to_string(), url.to_string()];
            if let Some((name, value)) = client.dialect().auth().header("the-key") {
                expected.extend(["-H".to_string(), format!("{name}: {value}")]);
            } else {
                expected[1] = client
                    .url_for(
                        &client.dialect().list_request(&query, page).path,
                        &client.dialect().list_request(&query, page).query,
                    )
                    .unwrap()
                    .to_string()
                    .replace("sk-canary-0000", "the-key");
            }
            expected.extend(["-H".to_string(), format!("X-Tenant: {hostile}")]);
            assert_eq!(words, expected, "{dialect}: {curl}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
