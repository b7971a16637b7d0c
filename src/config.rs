//! Where filescope keeps its files. `FILESCOPE_DATA_DIR` overrides the platform's data
//! directory (useful for tests and for machines with a read-only home).

use std::path::PathBuf;

use directories::ProjectDirs;

/// The directory for the log file and other state, if one can be determined.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FILESCOPE_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    ProjectDirs::from("", "", "filescope").map(|dirs| dirs.data_dir().to_path_buf())
}

/// The default log file: `<data dir>/filescope.log`.
pub fn default_log_file() -> Option<PathBuf> {
    data_dir().map(|dir| dir.join("filescope.log"))
}
