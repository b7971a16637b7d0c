//! Carrying out the effects of acting on files: the clipboard, downloads (bounded, each one
//! cancellable), previews, the pager, opening links, export and delete. Each runs as a task
//! that answers with a message tagged by what it was for; only the clipboard write and the
//! pager touch the terminal, through the [`Host`].

use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::actions::{
    CopyJob, CopySource, DOWNLOAD_CONCURRENCY, DownloadJob, ExportJob, ExportSource, PREVIEW_BYTES,
    PreviewData, TransferEvent,
};
use super::{App, Effect, Msg, Status};
use crate::api::content::{TransferError, download, safe_file_name};
use crate::api::{Client, FileRecord};
use crate::clipboard::{self, Delivery, Mux};

/// What the event loop needs from the terminal besides drawing on it.
pub trait Host<B: Backend> {
    /// Ctrl-z: give the terminal back, stop, and take it again once resumed.
    fn suspend(&mut self, terminal: &mut Terminal<B>) -> io::Result<()>;
    /// Writes bytes straight to the terminal (an OSC 52 sequence).
    fn write_raw(&mut self, terminal: &mut Terminal<B>, bytes: &[u8]) -> io::Result<()>;
    /// Gives the terminal to another program (the pager) until it exits, then takes it back.
    fn hand_over(
        &mut self,
        terminal: &mut Terminal<B>,
        command: &mut std::process::Command,
    ) -> io::Result<std::process::ExitStatus>;
}

/// A host for tests: records what would reach the terminal, runs no programs.
#[derive(Debug, Default)]
pub struct RecordingHost {
    pub raw: Vec<u8>,
    pub programs: Vec<String>,
}

impl<B: Backend> Host<B> for RecordingHost {
    fn suspend(&mut self, _terminal: &mut Terminal<B>) -> io::Result<()> {
        Ok(())
    }

    fn write_raw(&mut self, _terminal: &mut Terminal<B>, bytes: &[u8]) -> io::Result<()> {
        self.raw.extend_from_slice(bytes);
        Ok(())
    }

    fn hand_over(
        &mut self,
        _terminal: &mut Terminal<B>,
        command: &mut std::process::Command,
    ) -> io::Result<std::process::ExitStatus> {
        self.programs
            .push(command.get_program().to_string_lossy().into_owned());
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no programs are run in tests",
        ))
    }
}

/// The runtime side of file actions.
pub(super) struct Jobs {
    client: Client,
    tx: UnboundedSender<Msg>,
    downloads: Arc<Semaphore>,
    /// Running and queued downloads, by transfer id: cancelled cooperatively, so a cancelled
    /// download has finished writing before its name is free again.
    transfers: HashMap<u64, CancellationToken>,
    mux: Mux,
    term: Option<String>,
}

impl Jobs {
    pub(super) fn new(client: Client, tx: UnboundedSender<Msg>) -> Self {
        Jobs {
            client,
            tx,
            downloads: Arc::new(Semaphore::new(DOWNLOAD_CONCURRENCY)),
            transfers: HashMap::new(),
            mux: Mux::detect(|k| std::env::var(k).ok()),
            term: std::env::var("TERM").ok(),
        }
    }

    /// Carries out one file-action effect; any other effect is returned untouched.
    pub(super) fn run<B: Backend>(
        &mut self,
        effect: Effect,
        terminal: &mut Terminal<B>,
        host: &mut impl Host<B>,
        app: &mut App,
    ) -> io::Result<Option<Effect>> {
        match effect {
            Effect::Copy(job) => self.copy(job, terminal, host, app)?,
            Effect::PrepareDownload { dir, records } => {
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
                    let _ = tx.send(Msg::TargetsChecked {
                        dir,
                        records,
                        existing,
                    });
                });
            }
            Effect::Download(jobs) => {
                self.transfers.retain(|_, token| !token.is_cancelled());
                for job in jobs {
                    let token = CancellationToken::new();
                    self.transfers.insert(job.id, token.clone());
                    self.spawn_download(job, token);
                }
            }
            Effect::CancelTransfers(ids) => {
                for id in ids {
                    if let Some(token) = self.transfers.remove(&id) {
                        token.cancel();
                    }
                }
            }
            Effect::Preview(record) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = preview(&client, &record).await;
                    let _ = tx.send(Msg::Previewed {
                        id: record.id.clone(),
                        result,
                    });
                });
            }
            Effect::Pager { name, bytes } => {
                let result = page(&name, &bytes, terminal, host);
                app.dirty = true;
                if let Err(e) = result {
                    app.status = Some(Status::Error(format!("cannot run the pager: {e}")));
                }
            }
            Effect::OpenLink(record) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let _ = tx.send(open_link(&client, &record).await);
                });
            }
            Effect::Export(job) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let path = job.path.clone();
                    let result = export(&client, job).await;
                    let _ = tx.send(Msg::Exported { path, result });
                });
            }
            Effect::Delete(ids) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    // One at a time: each row goes only once the server confirmed it.
                    for id in ids {
                        let result = client.delete_file(&id).await.map_err(|e| e.to_string());
                        let _ = tx.send(Msg::Deleted { id, result });
                    }
                });
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    fn copy<B: Backend>(
        &mut self,
        job: CopyJob,
        terminal: &mut Terminal<B>,
        host: &mut impl Host<B>,
        app: &mut App,
    ) -> io::Result<()> {
        let text = match job.source {
            CopySource::Text(text) => text,
            CopySource::Curl(query, page) => self.client.curl_command(&query, page),
            CopySource::Link(record) => {
                // Resolving may take a request: done in a task that hands the text back.
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let msg = match client.content_link(&record).await {
                        Ok(link) => Msg::CopyReady {
                            label: job.label,
                            text: link.url.to_string(),
                        },
                        Err(e) => Msg::Copied {
                            label: job.label,
                            text: String::new(),
                            via: Err(e.to_string()),
                        },
                    };
                    let _ = tx.send(msg);
                });
                return Ok(());
            }
        };
        let command = app.clipboard_cmd.as_deref();
        let via = match clipboard::plan(&text, command, self.mux, self.term.as_deref()) {
            Delivery::Osc52(bytes) => host
                .write_raw(terminal, &bytes)
                .map(|()| self.mux.describe().to_string())
                .map_err(|e| e.to_string()),
            Delivery::Command(argv) => {
                // A command that hangs must not freeze the screen: it runs on its own thread.
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let via = run_clipboard_command(&argv, &text);
                    let _ = tx.send(Msg::Copied {
                        label: job.label,
                        text,
                        via,
                    });
                });
                return Ok(());
            }
            Delivery::Show => Ok("shown".to_string()),
        };
        let _ = self.tx.send(Msg::Copied {
            label: job.label,
            text,
            via,
        });
        Ok(())
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
                let _ = tx.send(Msg::Transfer {
                    id: job.id,
                    event: TransferEvent::Failed(TransferError::Cancelled.to_string()),
                });
                return;
            };
            let id = job.id;
            let _ = tx.send(Msg::Transfer {
                id,
                event: TransferEvent::Started,
            });
            let path = job.path.clone();
            let progress_tx = tx.clone();
            let result = download(
                &client,
                &job.record,
                &path,
                job.conflict,
                &cancel,
                move |p| {
                    let _ = progress_tx.send(Msg::Transfer {
                        id,
                        event: TransferEvent::Progress(p),
                    });
                },
            )
            .await;
            // Local paths and sizes only: the link may be signed and never goes in the log.
            let event = match result {
                Ok(saved) => {
                    tracing::info!(path = %saved.path.display(), bytes = saved.bytes, verified = saved.verified, resumed_from = saved.resumed_from, "download saved");
                    TransferEvent::Done(saved)
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "download failed");
                    TransferEvent::Failed(e.to_string())
                }
            };
            let _ = tx.send(Msg::Transfer { id, event });
        });
    }
}

/// `~/x` as the home directory's `x`.
fn expand_home(dir: PathBuf) -> PathBuf {
    let Ok(rest) = dir.strip_prefix("~") else {
        return dir;
    };
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(rest),
        None => dir,
    }
}

/// Runs a clipboard command with the value on its standard input, without a shell.
fn run_clipboard_command(argv: &[String], text: &str) -> Result<String, String> {
    let (program, args) = argv.split_first().ok_or("clipboard_cmd is empty")?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write to {program}: {e}"))?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(program.clone())
    } else {
        Err(format!("{program} failed ({status})"))
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

/// Writes the bytes to a private temporary file and hands the terminal to `$PAGER` (`less`
/// when unset) to read it.
fn page<B: Backend>(
    name: &str,
    bytes: &[u8],
    terminal: &mut Terminal<B>,
    host: &mut impl Host<B>,
) -> io::Result<()> {
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less".to_string());
    let argv = shell_words::split(&pager)
        .map_err(|e| io::Error::other(format!("PAGER is not a command: {e}")))?;
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::other("PAGER is empty"))?;
    let safe: String = safe_file_name(name, "preview")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    // A new file only this user can read, under a name nobody could have planted.
    let nonce = {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
    };
    let path = std::env::temp_dir().join(format!(
        "filescope-{}-{nonce:016x}-{safe}",
        std::process::id()
    ));
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?
    };
    file.write_all(bytes)?;
    drop(file);
    let mut command = std::process::Command::new(program);
    command.args(args).arg(&path);
    let status = host.hand_over(terminal, &mut command);
    let _ = std::fs::remove_file(&path);
    status.map(|_| ())
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
        return Msg::ShowValue {
            title: "link (it needs your API key, so a browser cannot open it; select it by hand)"
                .to_string(),
            text: url,
        };
    }
    if !local_display(|k| std::env::var(k).ok()) {
        return Msg::ShowValue {
            title: "link (no local display: select it by hand, or y l copies it)".to_string(),
            text: url,
        };
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
        Ok(_) => Msg::Notice(Status::Info(format!("opened the link with {opener}"))),
        Err(e) => Msg::ShowValue {
            title: format!("link ({opener} failed: {e}; select it by hand)"),
            text: url,
        },
    }
}

/// Writes the export into a hidden part file and names it only once complete (never over an
/// existing file), so a failed or interrupted export leaves nothing under the name.
async fn export(client: &Client, job: ExportJob) -> Result<usize, String> {
    let path = expand_home(job.path.clone());
    if path.exists() {
        return Err("the file exists; not overwritten".to_string());
    }
    let part = crate::api::content::part_path(&path, "export");
    let file = std::fs::File::create(&part).map_err(|e| e.to_string())?;
    let mut out = io::BufWriter::new(file);
    let result = match job.source {
        ExportSource::Marked(records) => {
            crate::ls::write_records(&records, job.format, &mut out).map_err(|e| e.to_string())
        }
        ExportSource::View { sort, filter } => {
            let opts = crate::ls::Options {
                sort,
                filter,
                limit: None,
                all: true,
                format: job.format,
                raw: false,
                jobs: 4,
                terminal: false,
            };
            crate::ls::run(client, &opts, &mut out)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let flushed = out.flush().map_err(|e| e.to_string());
    let named = result.and_then(|n| flushed.map(|()| n)).and_then(|n| {
        crate::api::content::finish(&part, &path, false)
            .map(|()| n)
            .map_err(|e| e.to_string())
    });
    if named.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(home) = home {
            assert_eq!(expand_home(PathBuf::from("~/dl")), home.join("dl"));
        }
        assert_eq!(
            expand_home(PathBuf::from("/tmp/~x")),
            PathBuf::from("/tmp/~x")
        );
    }
}
