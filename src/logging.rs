//! Logging to a file, never to the terminal the UI draws on. The level comes from
//! `FILESCOPE_LOG` (e.g. `debug`, `filescope=trace`), `info` by default.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Starts logging to `path` (or the default log file). Returns the path in use, or an error
/// message naming the file when it cannot be opened; logging is then off, nothing else fails.
pub fn init(path: Option<&Path>) -> Result<PathBuf, String> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => crate::config::default_log_file()
            .ok_or_else(|| "no home directory for the log file; pass --log-file".to_string())?,
    };
    let file = open(&path).map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
    let filter =
        EnvFilter::try_from_env("FILESCOPE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(path)
}

/// Opens the log for appending; a new log is readable by its owner only (0600): it may hold
/// file names and URLs of private storage.
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
    options.open(path)
}
