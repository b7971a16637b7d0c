//! Carrying out the effects of acting on files: resolving values to copy, downloads (bounded,
//! each one cancellable), previews, opening links, export and delete. Each runs as a task that
//! answers with a message tagged by what it was for; none touches the terminal or the app.

use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::api::content::{TransferError, download, safe_file_name};
use crate::api::{Client, FileRecord};
use crate::app::actions::{
    CopySource, DOWNLOAD_CONCURRENCY, DownloadJob, ExportJob, ExportSource, PREVIEW_BYTES,
    PreviewData, TransferEvent, TransferId,
};
use crate::app::{FileEffect, FileMsg, Msg, Status};

/// The runtime side of file actions.
pub(super) struct Files {
    client: Client,
    tx: UnboundedSender<Msg>,
    downloads: Arc<Semaphore>,
    /// Running and queued downloads, by transfer id: cancelled cooperatively, so a cancelled
    /// download has finished writing before its name is free again.
    transfers: HashMap<TransferId, CancellationToken>,
}

impl Files {
    pub(super) fn new(client: Client, tx: UnboundedSender<Msg>) -> Self {
        Files {
            client,
            tx,
            downloads: Arc::new(Semaphore::new(DOWNLOAD_CONCURRENCY)),
            transfers: HashMap::new(),
        }
    }

    /// Carries out one file effect; the result comes back as a message.
    pub(super) fn run(&mut self, effect: FileEffect) {
        match effect {
            FileEffect::ResolveCopy { label, source } => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let msg = match source {
                        CopySource::Curl(query, page) => match client.curl_command(&query, page) {
                            Ok(text) => Msg::Files(FileMsg::CopyReady { label, text }),
                            Err(e) => Msg::Files(FileMsg::Copied {
                                label,
                                text: String::new(),
                                via: Err(e.to_string()),
                            }),
                        },
                        CopySource::CurlFile(record) => match client.curl_file(&record) {
                            Ok(text) => Msg::Files(FileMsg::CopyReady { label, text }),
                            Err(e) => Msg::Files(FileMsg::Copied {
                                label,
                                text: String::new(),
                                via: Err(e.to_string()),
                            }),
                        },
                        CopySource::Link(record) => match client.content_link(&record).await {
                            Ok(link) => Msg::Files(FileMsg::CopyReady {
                                label,
                                text: link.url.to_string(),
                            }),
                            Err(e) => Msg::Files(FileMsg::Copied {
                                label,
                                text: String::new(),
                                via: Err(e.to_string()),
                            }),
                        },
                    };
                    let _ = tx.send(msg);
                });
            }
            FileEffect::PrepareDownload { dir, records } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let dir = expand_home(dir);
                    if let Err(e) = std::fs::create_dir_all(&dir) {
                        let _ = tx.send(Msg::Notice(Status::Error(format!(
                            "cannot use {} for downloads: {e}",
                            dir.display()
                        ))));
                        return;
                    }
                    let existing = records
                        .iter()
                        .map(|r| safe_file_name(&r.name, &r.id))
                        .filter(|name| dir.join(name).exists())
                        .collect();
                    let _ = tx.send(Msg::Files(FileMsg::TargetsChecked {
                        dir,
                        records,
                        existing,
                    }));
                });
            }
            FileEffect::Download(jobs) => {
                self.transfers.retain(|_, token| !token.is_cancelled());
                for job in jobs {
                    let token = CancellationToken::new();
                    self.transfers.insert(job.id, token.clone());
                    self.spawn_download(job, token);
                }
            }
            FileEffect::CancelTransfers(ids) => {
                for id in ids {
                    if let Some(token) = self.transfers.remove(&id) {
                        token.cancel();
                    }
                }
            }
            FileEffect::Preview(record) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = preview(&client, &record).await;
                    let _ = tx.send(Msg::Files(FileMsg::Previewed {
                        id: record.id.clone(),
                        result,
                    }));
                });
            }
            FileEffect::OpenLink(record) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let _ = tx.send(open_link(&client, &record).await);
                });
            }
            FileEffect::Export(job) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let path = job.path.clone();
                    // A file that exists is never written over: a free name beside it is
                    // offered instead.
                    let wanted = expand_home(path.clone());
                    if wanted.exists() {
                        let _ = tx.send(Msg::Files(FileMsg::ExportExists {
                            free: free_name(&path),
                            path,
                        }));
                        return;
                    }
                    let result = export(&client, job).await;
                    let _ = tx.send(Msg::Files(FileMsg::Exported { path, result }));
                });
            }
            FileEffect::Delete(ids) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    // One at a time: each row goes only once the server confirmed it.
                    for id in ids {
                        let result = client.delete_file(&id).await.map_err(|e| e.to_string());
                        let _ = tx.send(Msg::Files(FileMsg::Deleted { id, result }));
                    }
                });
            }
        }
    }

    fn spawn_download(&self, job: DownloadJob, cancel: CancellationToken) {
        let (client, tx) = (self.client.clone(), self.tx.clone());
        let permits = Arc::clone(&self.downloads);
        tokio::spawn(async move {
            // Queued: a cancel before its turn ends it without a request.
            let permit = tokio::select! {
                () = cancel.cancelled() => None,
                permit = permits.acquire_owned() => permit.ok(),
            };
            let Some(_permit) = permit else {
                let _ = tx.send(Msg::Files(FileMsg::Transfer {
                    id: job.id,
                    event: TransferEvent::Failed(TransferError::Cancelled.to_string()),
                }));
                return;
            };
            let id = job.id;
            let _ = tx.send(Msg::Files(FileMsg::Transfer {
                id,
                event: TransferEvent::Started,
            }));
            let path = job.path.clone();
            let progress_tx = tx.clone();
            let result = download(
                &client,
                &job.record,
                &path,
                job.conflict,
                &cancel,
                move |p| {
                    let _ = progress_tx.send(Msg::Files(FileMsg::Transfer {
                        id,
                        event: TransferEvent::Progress(p),
                    }));
                },
            )
            .await;
            // Local paths and sizes only: the link may be signed and never goes in the log.
            let event = match result {
                Ok(saved) => {
                    tracing::info!(path = %saved.path.display(), bytes = saved.bytes, verified = saved.verified.map(|a| a.label()), resumed_from = saved.resumed_from, "download saved");
                    TransferEvent::Done(saved)
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "download failed");
                    TransferEvent::Failed(e.to_string())
                }
            };
            let _ = tx.send(Msg::Files(FileMsg::Transfer { id, event }));
        });
    }
}

/// `~/x` as the home directory's `x`.
/// `name (1).ext`, `name (2).ext`, … beside `path`: the first that does not exist.
fn free_name(path: &std::path::Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    (1..10_000)
        .map(|n| path.with_file_name(crate::api::content::numbered(&name, n)))
        .find(|p| !expand_home(p.clone()).exists())
}

fn expand_home(dir: PathBuf) -> PathBuf {
    expand_home_in(dir, std::env::var_os("HOME"))
}

/// `~/x` under `home`; unchanged without a home or a leading `~`.
fn expand_home_in(dir: PathBuf, home: Option<std::ffi::OsString>) -> PathBuf {
    let Ok(rest) = dir.strip_prefix("~") else {
        return dir;
    };
    match home {
        Some(home) => PathBuf::from(home).join(rest),
        None => dir,
    }
}

async fn preview(client: &Client, record: &FileRecord) -> Result<PreviewData, String> {
    // An empty extracted text (an image, say) says nothing: the bytes are shown instead.
    if let Some(text) = client
        .extracted_text(&record.id)
        .await
        .map_err(|e| e.to_string())?
        .filter(|t| !t.trim().is_empty())
    {
        return Ok(PreviewData {
            bytes: text.into_bytes(),
            extracted: true,
            size: None,
        });
    }
    let bytes = client
        .head_bytes(record, PREVIEW_BYTES)
        .await
        .map_err(|e| e.to_string())?;
    Ok(PreviewData {
        bytes,
        extracted: false,
        size: record.size,
    })
}

/// Whether a browser would open where the user sits: a display here and no SSH session.
fn local_display(env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let ssh = set("SSH_CONNECTION") || set("SSH_TTY");
    let display = set("DISPLAY") || set("WAYLAND_DISPLAY") || cfg!(target_os = "macos");
    display && !ssh
}

async fn open_link(client: &Client, record: &FileRecord) -> Msg {
    let link = match client.content_link(record).await {
        Ok(link) => link,
        Err(e) => return Msg::Notice(Status::Error(format!("no link to open: {e}"))),
    };
    let url = link.url.to_string();
    if link.authed {
        return Msg::Files(FileMsg::ShowValue {
            title: "link (it needs your API key, so a browser cannot open it; select it by hand)"
                .to_string(),
            text: url,
        });
    }
    if !local_display(|k| std::env::var(k).ok()) {
        return Msg::Files(FileMsg::ShowValue {
            title: "link (no local display: select it by hand, or y l copies it)".to_string(),
            text: url,
        });
    }
    let opener = std::env::var("BROWSER").ok().unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".to_string()
        } else {
            "xdg-open".to_string()
        }
    });
    let spawned = std::process::Command::new(&opener)
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reaped when it ends, so no zombie stays behind for the session.
            tokio::task::spawn_blocking(move || child.wait());
            Msg::Notice(Status::Info(format!("opened the link with {opener}")))
        }
        Err(e) => Msg::Files(FileMsg::ShowValue {
            title: format!("link ({opener} failed: {e}; select it by hand)"),
            text: url,
        }),
    }
}

/// Writes the export into a hidden part file and names it only once complete (never over an
/// existing file), so a failed or interrupted export leaves nothing under the name. The file
/// is written on a blocking thread: the listing streams to it through a channel, so no file
/// I/O runs on the async workers.
async fn export(client: &Client, job: ExportJob) -> Result<usize, String> {
    let path = expand_home(job.path.clone());
    let part = crate::api::content::part_path(&path, "export");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let writer = {
        let (path, part) = (path.clone(), part.clone());
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            if path.exists() {
                return Err("the file exists; not overwritten".to_string());
            }
            let file = std::fs::File::create(&part).map_err(|e| e.to_string())?;
            let mut out = io::BufWriter::new(file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk).map_err(|e| e.to_string())?;
            }
            out.flush().map_err(|e| e.to_string())?;
            crate::api::content::finish(&part, &path, false).map_err(|e| e.to_string())
        })
    };
    let mut out = ChannelWriter::new(tx);
    let result = match job.source {
        ExportSource::Marked(records) => {
            crate::export::write_records(&records, job.format, &mut out).map_err(|e| e.to_string())
        }
        ExportSource::View {
            sort,
            filter,
            versions,
        } => {
            let opts = crate::ls::Options {
                sort,
                filter,
                limit: None,
                all: true,
                format: job.format,
                raw: false,
                jobs: 4,
                terminal: false,
                safe: true,
                columns: Vec::new(),
                width: None,
                versions,
            };
            crate::ls::run(client, &opts, &mut out)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let flushed = out.flush().map_err(|e| e.to_string());
    // Closing the channel lets the writer finish and name the file.
    drop(out);
    let written = writer
        .await
        .map_err(|e| format!("the export's writer failed: {e}"))
        .and_then(|r| r);
    let named = result
        .and_then(|n| flushed.map(|()| n))
        .and_then(|n| written.map(|()| n));
    if named.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    named
}

/// A `Write` for async code that never blocks: bytes are gathered and handed, a chunk at a
/// time, to a writer thread. A closed channel (the writer failed) reads as a broken pipe, so
/// the listing stops.
struct ChannelWriter {
    tx: tokio::sync::mpsc::UnboundedSender<Vec<u8>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    const CHUNK: usize = 64 << 10;

    fn new(tx: tokio::sync::mpsc::UnboundedSender<Vec<u8>>) -> Self {
        ChannelWriter {
            tx,
            buffer: Vec::with_capacity(Self::CHUNK),
        }
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= Self::CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(Self::CHUNK));
        self.tx
            .send(chunk)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_name_counts_up_beside_the_file_taken() {
        let dir = std::env::temp_dir().join(format!("filescope-free-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let taken = dir.join("view.ndjson");
        std::fs::write(&taken, "").unwrap();
        std::fs::write(dir.join("view (1).ndjson"), "").unwrap();
        assert_eq!(free_name(&taken), Some(dir.join("view (2).ndjson")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_browser_opens_only_with_a_display_and_no_ssh() {
        assert!(local_display(env(&[("DISPLAY", ":0")])));
        assert!(local_display(env(&[("WAYLAND_DISPLAY", "wayland-0")])));
        // X forwarding sets DISPLAY over SSH, but the browser would open on the server's side
        // of the tunnel, slowly: the link is shown instead.
        assert!(!local_display(env(&[
            ("DISPLAY", "localhost:10.0"),
            ("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22"),
        ])));
        assert!(!local_display(env(&[
            ("DISPLAY", ":0"),
            ("SSH_TTY", "/dev/pts/3")
        ])));
        assert_eq!(local_display(env(&[])), cfg!(target_os = "macos"));
    }

    #[test]
    fn home_is_expanded_in_directories() {
        let home = || Some(std::ffi::OsString::from("/home/tester"));
        assert_eq!(
            expand_home_in(PathBuf::from("~/dl"), home()),
            PathBuf::from("/home/tester/dl")
        );
        assert_eq!(
            expand_home_in(PathBuf::from("~"), home()),
            PathBuf::from("/home/tester")
        );
        // Only a leading `~` is a home; without a home the path stays as written.
        assert_eq!(
            expand_home_in(PathBuf::from("/tmp/~x"), home()),
            PathBuf::from("/tmp/~x")
        );
        assert_eq!(
            expand_home_in(PathBuf::from("~/dl"), None),
            PathBuf::from("~/dl")
        );
    }
}
