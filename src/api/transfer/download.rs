//! Downloads to disk: into a hidden part file beside the final one, resumed by Range after a
//! dropped connection or an earlier attempt, checked against the published checksum, and
//! only then given the file's name.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, HeaderMap};
use tokio::io::AsyncWriteExt;

use super::checksum::digest_file;
use super::{Algorithm, Checksum, Published};
use crate::api::client::Client;
use crate::api::error::{ApiError, display_url};
use crate::api::record::FileRecord;

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
}
