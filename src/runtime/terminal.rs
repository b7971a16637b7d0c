//! Carrying out what needs the terminal itself: suspending, the clipboard (OSC 52 written to
//! the terminal, or a clipboard command), and handing the terminal to `$PAGER`. The results
//! come back as messages, like every other executor's.

use std::io::{self, Write as _};

use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedSender;

use super::Host;
use crate::api::content::safe_file_name;
use crate::app::{Delivered, FileMsg, Msg, Status, TerminalEffect};
use crate::clipboard::{self, Delivery, Mux};

pub(super) struct Terminals {
    tx: UnboundedSender<Msg>,
    mux: Mux,
    term: Option<String>,
}

impl Terminals {
    pub(super) fn new(tx: UnboundedSender<Msg>) -> Self {
        Terminals {
            tx,
            mux: Mux::detect(|k| std::env::var(k).ok()),
            term: std::env::var("TERM").ok(),
        }
    }

    /// Carries out one terminal effect. Only an error writing to the terminal itself ends the
    /// loop; everything else is reported in a message.
    pub(super) fn run<B: Backend>(
        &mut self,
        effect: TerminalEffect,
        terminal: &mut Terminal<B>,
        host: &mut impl Host<B>,
    ) -> io::Result<()> {
        match effect {
            TerminalEffect::Suspend => {
                host.suspend(terminal)?;
                let _ = self.tx.send(Msg::Resumed);
            }
            TerminalEffect::Clipboard {
                label,
                text,
                command,
            } => {
                let argv = command.as_ref().map(|c| c.argv().to_vec());
                let via =
                    match clipboard::plan(&text, argv.as_deref(), self.mux, self.term.as_deref()) {
                        Delivery::Osc52(bytes) => host
                            .write_raw(terminal, &bytes)
                            .map(|()| Delivered::Via(self.mux.describe().to_string()))
                            .map_err(|e| e.to_string()),
                        Delivery::Command(argv) => {
                            // A command that hangs must not freeze the screen: it runs on its own
                            // thread.
                            let tx = self.tx.clone();
                            tokio::task::spawn_blocking(move || {
                                let via = run_clipboard_command(&argv, &text).map(Delivered::Via);
                                let _ = tx.send(Msg::Files(FileMsg::Copied { label, text, via }));
                            });
                            return Ok(());
                        }
                        Delivery::Show => Ok(Delivered::ShowByHand),
                    };
                let _ = self
                    .tx
                    .send(Msg::Files(FileMsg::Copied { label, text, via }));
            }
            TerminalEffect::Pager { name, bytes } => {
                if let Err(e) = page(&name, &bytes, terminal, host) {
                    let _ = self.tx.send(Msg::Notice(Status::Error(format!(
                        "cannot run the pager: {e}"
                    ))));
                }
                let _ = self.tx.send(Msg::Resumed);
            }
        }
        Ok(())
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
