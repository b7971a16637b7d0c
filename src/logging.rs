//! Logging to a file, never to the terminal the UI draws on. The level comes from
//! `FILESCOPE_LOG` (e.g. `debug`, `filescope=trace`), `info` by default.
//!
//! Two rules hold whatever the level: every line passes through `text::sanitize` as it is
//! written (a server's key, region or message may carry an escape sequence, and a log is read
//! with `less -R`, `tail -f` and `cat`), and the AWS signer's own events are never recorded
//! (at trace level they hold the canonical request, which carries the session token).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Starts logging to `path` (or the default log file). Returns the path in use, or an error
/// message naming the file when it cannot be opened; logging is then off, nothing else fails.
pub fn init(path: Option<&Path>) -> Result<PathBuf, String> {
    let levels = std::env::var("FILESCOPE_LOG").unwrap_or_default();
    init_at(path, &levels)
}

/// [`init`] at the levels `levels` says (`FILESCOPE_LOG`'s syntax; `info` when empty or not
/// understood).
pub fn init_at(path: Option<&Path>, levels: &str) -> Result<PathBuf, String> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => crate::config::default_log_file()
            .ok_or_else(|| "no home directory for the log file; pass --log-file".to_string())?,
    };
    let file = open(&path).map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
    tracing::subscriber::set_global_default(subscriber(Mutex::new(file), levels))
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(path)
}

/// Targets whose events are dropped at every level: the AWS signer and the SDK crates around
/// it log the canonical request, the string to sign and the signing parameters at trace,
/// which hold the session token (and, for a presigned link, the whole signed query).
const SECRET_TARGETS: [&str; 3] = ["aws_sigv4", "aws_credential_types", "aws_smithy"];

fn secret_target(target: &str) -> bool {
    SECRET_TARGETS.iter().any(|t| target.starts_with(t))
}

/// The subscriber `init` installs, writing to `writer`.
fn subscriber<W>(writer: W, levels: &str) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(levels)
        .ok()
        .filter(|_| !levels.trim().is_empty())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(Escaping(writer))
        .with_ansi(false)
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            !secret_target(meta.target())
        }));
    tracing_subscriber::registry().with(filter).with(lines)
}

/// A `MakeWriter` whose writers pass each line through `text::sanitize`: no field or message
/// can put a control character, a bidi override or a line break into the log, whichever call
/// site logged it.
struct Escaping<W>(W);

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for Escaping<W> {
    type Writer = EscapingWriter<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        EscapingWriter(self.0.make_writer())
    }
}

struct EscapingWriter<W>(W);

impl<W: Write> Write for EscapingWriter<W> {
    /// The formatter writes one whole event (ending with its newline) per call; everything
    /// but that last newline is escaped.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (line, end) = match text.strip_suffix('\n') {
            Some(line) => (line, "\n"),
            None => (text.as_ref(), ""),
        };
        self.0.write_all(crate::text::sanitize(line).as_bytes())?;
        self.0.write_all(end.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Opens the log for appending, readable by its owner only (0600): it may hold file names and
/// URLs of private storage. A log that exists already is narrowed to 0600 too.
fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // On the open handle, so it is the file just opened that is narrowed.
        if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A log in memory.
    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<Vec<u8>>>);

    impl Write for Memory {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Memory {
        type Writer = Memory;
        fn make_writer(&'a self) -> Memory {
            self.clone()
        }
    }

    fn logged(levels: &str, events: impl FnOnce()) -> String {
        let memory = Memory::default();
        tracing::subscriber::with_default(subscriber(memory.clone(), levels), events);
        String::from_utf8(memory.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn server_text_is_escaped_in_every_field_and_message() {
        let hostile = "eu\u{9b}31m\u{202e}\u{85}x\u{1b}]52;c;ZXZpbA==\u{7}\ny\u{7f}";
        let log = logged("trace", || {
            tracing::info!(from = %"us-east-1", to = %hostile, "the bucket answers from another region");
            tracing::debug!(x = %hostile, result = ?hostile, "tail probe");
            tracing::warn!("{hostile}");
        });
        assert_eq!(log.lines().count(), 3, "one line per event: {log:?}");
        for line in log.lines() {
            assert!(
                !line.chars().any(crate::text::is_unsafe),
                "a raw control reached the log: {line:?}"
            );
        }
        assert!(log.contains("\\x1b]52;c;ZXZpbA==\\x07"), "{log}");
        assert!(log.contains("\\u{202e}"), "{log}");
    }

    #[test]
    fn the_signers_events_are_dropped_at_every_level() {
        let token = "canary-session-token-0123456789";
        let secret = "canary-secret-key-abcdefghij";
        let log = logged("trace,aws_sigv4=trace", || {
            tracing::trace!(target: "aws_sigv4::http_request::sign", canonical_request = %token, "calculated signing parameters");
            tracing::trace!(target: "aws_credential_types::credentials", %secret);
            tracing::trace!(target: "filescope::api", "kept");
        });
        assert!(log.contains("kept"), "{log}");
        assert!(!log.contains(token) && !log.contains(secret), "{log}");
    }

    /// The real signer, presigning a link and signing a request with a session token, at
    /// trace: neither the secret key nor the token reaches the log.
    #[test]
    fn presigning_and_signing_at_trace_log_no_secret() {
        use crate::api::Secret;
        use crate::api::family::{self, Credentials, Location};
        let token = "IQoJb3JpZ2luX2VjEBcanaryTOKEN0123456789abcdef";
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYcanarySECRET";
        let store = family::for_scheme("s3").unwrap();
        let conn = (store.connect)(&Location {
            url: "s3://bkt".parse().unwrap(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            credentials: Credentials::Given {
                id: "AKIDEXAMPLE".into(),
                secret: Secret::new(secret),
                token: Some(Secret::new(token)),
                source: "the test".into(),
            },
            path_style: None,
            levels: false,
        })
        .unwrap();
        let s3 = &conn.reach;
        let log = logged("trace", || {
            let record = crate::test_support::bare_record("a/b.txt");
            let link = s3
                .share_link(&record, std::time::Duration::from_secs(60))
                .unwrap()
                .unwrap();
            assert!(link.as_str().contains("X-Amz-Security-Token"));
            tracing::trace!("presigned");
        });
        assert!(log.contains("presigned"), "the log is at trace: {log}");
        for (what, value) in [("token", token), ("secret key", secret)] {
            assert!(!log.contains(value), "the {what} was logged: {log}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_log_is_narrowed_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("filescope-logmode-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.log");
        fs::write(&path, "an old line\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        drop(open(&path).unwrap());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "an old line\n");
        let _ = fs::remove_dir_all(&dir);
    }
}
