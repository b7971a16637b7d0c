//! Azurite, the official Azure Storage emulator, as the Azure tests' server: installed with
//! npm into `target/azurite` on first use (with the Azure SDK for JavaScript, the tests'
//! second opinion), started on a free loopback port with its data in memory, and stopped
//! when dropped. Without npm the tests fail with one line saying so: never skipped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The versions installed: Azurite and the SDK that seeds and lists for the tests.
const AZURITE: &str = "azurite@3.37.0";
const SDK: &str = "@azure/storage-blob@12.34.0";
/// The SDK script (`node azurite.mjs COMMAND`, its arguments as JSON on standard input),
/// copied next to its node_modules.
const SCRIPT: &str = include_str!("azurite.mjs");

pub const ACCOUNT: &str = "devstoreaccount1";
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

static INSTALL: Mutex<()> = Mutex::new(());

/// `target/azurite`, beside the binary under test (`target/debug/filescope`).
fn home() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_filescope"));
    exe.parent()
        .and_then(|p| p.parent())
        .map_or_else(|| PathBuf::from("target"), |t| t.to_path_buf())
        .join("azurite")
}

/// Installs Azurite and the SDK into `target/azurite` unless they are there.
fn install() -> PathBuf {
    let _one = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let home = home();
    let ready = |home: &PathBuf| {
        home.join("node_modules/.bin/azurite-blob").exists()
            && home
                .join("node_modules/@azure/storage-blob/package.json")
                .exists()
    };
    if !ready(&home) {
        std::fs::create_dir_all(&home).unwrap();
        let out = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&home)
            .args([AZURITE, SDK])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "the Azure tests need npm (Node.js) to install Azurite into {}: {e}",
                    home.display()
                )
            });
        assert!(
            out.status.success() && ready(&home),
            "npm install {AZURITE} {SDK} into {} failed: {}",
            home.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    let script = home.join("azurite.mjs");
    if std::fs::read_to_string(&script).ok().as_deref() != Some(SCRIPT) {
        std::fs::write(&script, SCRIPT).unwrap();
    }
    home
}

/// A running Azurite blob service.
pub struct Azurite {
    child: Child,
    pub port: u16,
    home: PathBuf,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Azurite {
    /// Starts one on a free port and waits until it says it listens.
    pub fn start() -> Azurite {
        let home = install();
        let dir = super::fresh_dir(&format!("azurite-{}", rand_tag()));
        let mut child = Command::new(home.join("node_modules/.bin/azurite-blob"))
            .args([
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableTelemetry",
                "--silent",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--extentMemoryLimit",
                "256",
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Azurite from {}: {e}", home.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut told = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !told && let Some(at) = line.find("listens on http://127.0.0.1:") {
                    let port = line[at + "listens on http://127.0.0.1:".len()..]
                        .trim()
                        .parse::<u16>()
                        .ok();
                    let _ = tx.send(port);
                    told = true;
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .ok()
            .flatten()
            .expect("Azurite did not say it listens within a minute");
        Azurite { child, port, home }
    }

    /// The account's blob endpoint (path style).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port)
    }

    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={};",
            self.endpoint()
        )
    }

    /// Runs the SDK script: `command` with `args` (the connection string added).
    pub fn sdk(&self, command: &str, mut args: serde_json::Value) -> serde_json::Value {
        args["conn"] = self.connection_string().into();
        // The arguments on standard input: a blob's content may be longer than a command line.
        let mut child = Command::new("node")
            .arg(self.home.join("azurite.mjs"))
            .arg(command)
            .current_dir(&self.home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs the Azure SDK script");
        let mut stdin = child.stdin.take().unwrap();
        let text = args.to_string();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(text.as_bytes()).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(
            out.status.success(),
            "azurite.mjs {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Creates `container` with these blobs (name, content).
    pub fn seed(&self, container: &str, blobs: &[(&str, &str)]) {
        let blobs: Vec<serde_json::Value> = blobs
            .iter()
            .map(|(name, content)| serde_json::json!({ "name": name, "content": content }))
            .collect();
        self.sdk(
            "seed",
            serde_json::json!({ "container": container, "blobs": blobs }),
        );
    }

    /// The SDK's listing of `container` under `prefix`, one level (`delimiter`) or every
    /// blob: the names in its order (a folder's ends with `/`).
    pub fn list(&self, container: &str, prefix: &str, delimiter: bool) -> Vec<String> {
        let rows = self.sdk(
            "list",
            serde_json::json!({
                "container": container,
                "prefix": prefix,
                "delimiter": if delimiter { "/" } else { "" },
            }),
        );
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    }
}

/// A tag for this start's directory (tests start several in one process).
fn rand_tag() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst).to_string()
}

/// The binary with no Azure setting of the machine's: every `AZURE_*`, `IDENTITY_*` and
/// `MSI_*` variable removed, the managed identity service pointed at a closed loopback port
/// (never 169.254.169.254), a home and configuration of its own under `dir`, then `set`.
pub fn isolated<'a>(
    cmd: &'a mut Command,
    dir: &std::path::Path,
    set: &[(&str, &str)],
) -> &'a mut Command {
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if ["AZURE_", "IDENTITY_", "MSI_"]
            .iter()
            .any(|p| name_text.starts_with(p))
        {
            cmd.env_remove(name);
        }
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", dir)
        .env("FILESCOPE_CONFIG", dir.join("none.toml"))
        .env("FILESCOPE_DATA_DIR", dir);
    for (name, value) in set {
        cmd.env(name, value);
    }
    cmd
}

/// Runs `filescope ARGS` isolated, with `set` in its environment.
pub async fn filescope(
    dir: &std::path::Path,
    set: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let dir = dir.to_path_buf();
    let set: Vec<(String, String)> = set
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let set: Vec<(&str, &str)> = set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_filescope"));
        isolated(&mut cmd, &dir, &set)
            .env("FILESCOPE_LOG", "trace")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}
