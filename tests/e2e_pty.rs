//! End to end: the real binary in a pseudo-terminal, its screen read back with vt100.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use filescope::text::sanitize;
use filescope_demo::Dataset;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// A generous guard against a hung binary; not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

fn data_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("filescope-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spawn(args: &[&str], name: &str) -> Session {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_filescope"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("FILESCOPE_DATA_DIR", data_dir(name));
    // Its own configuration (none): never the user's.
    cmd.env("FILESCOPE_CONFIG", data_dir(name).join("none.toml"));
    // Downloads land in the data directory, never in the source tree.
    cmd.cwd(data_dir(name));
    cmd.env("FILESCOPE_LOG", "debug");
    // Plain OSC 52, whatever multiplexer the tests run in; `cat` as the pager.
    cmd.env_remove("TMUX");
    cmd.env_remove("STY");
    // No browser here: a link is shown to select by hand.
    cmd.env_remove("DISPLAY");
    cmd.env_remove("WAYLAND_DISPLAY");
    cmd.env("PAGER", "cat");
    let child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let writer = pty.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        NonZeroU16::new(30).unwrap(),
        NonZeroU16::new(100).unwrap(),
        0,
    )));
    let raw = Arc::new(Mutex::new(Vec::new()));
    let (p, r) = (parser.clone(), raw.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.lock().unwrap().process(&buf[..n]);
            r.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    Session {
        parser,
        raw,
        writer,
        child,
        _master: pty.master,
    }
}

impl Session {
    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) {
        let start = Instant::now();
        while !self.screen().contains(what) {
            assert!(
                start.elapsed() < PATIENCE,
                "never saw {what:?}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits until every one of `sequences` has been written after byte `from`; returns the
    /// position just past the last of them.
    fn wait_raw(&self, from: usize, sequences: &[&str]) -> usize {
        let start = Instant::now();
        loop {
            let found: Option<usize> = {
                let raw = self.raw.lock().unwrap();
                let after = &raw[from.min(raw.len())..];
                sequences
                    .iter()
                    .map(|seq| {
                        after
                            .windows(seq.len())
                            .position(|w| w == seq.as_bytes())
                            .map(|at| from + at + seq.len())
                    })
                    .collect::<Option<Vec<_>>>()
                    .and_then(|ends| ends.into_iter().max())
            };
            if let Some(end) = found {
                return end;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "never saw {sequences:?} after byte {from}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(start.elapsed() < PATIENCE, "the binary did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn assert_restored(&self) {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is still hidden");
    }

    fn assert_no_raw_hostile_bytes(&self) {
        let raw = self.raw.lock().unwrap();
        let find = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
        assert!(
            !find(b"\x1b]52"),
            "an OSC 52 clipboard write reached the terminal"
        );
        assert!(!find(b"\x07"), "a BEL reached the terminal");
        assert!(
            !find("\u{202e}".as_bytes()),
            "a right-to-left override reached the terminal"
        );
        assert!(!find("\u{9b}".as_bytes()), "a C1 CSI reached the terminal");
        assert!(
            !find(b"\x1b[31mred"),
            "a server's colour sequence reached the terminal"
        );
    }
}

#[test]
fn demo_shows_rows_jumps_to_the_end_and_quits_cleanly() {
    let files = 1_000;
    let dataset = Dataset::new(42, files);
    let newest = dataset.file(files - 1).file_name;
    let oldest = dataset.file(0).file_name;
    let mut s = spawn(&["demo", "--files", "1000"], "main");
    s.wait_for("row 1 of 1,000");
    s.wait_for(&sanitize(&newest));
    s.press("G");
    s.wait_for("row 1,000 of 1,000");
    s.wait_for(&sanitize(&oldest));
    s.press("?");
    s.wait_for("q/Esc/? close");
    s.press("q");
    s.press("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
    s.assert_no_raw_hostile_bytes();
}

/// SIGTERM (a kill), SIGHUP (the SSH session dropped) and SIGINT (`kill -INT`) each end the
/// program with the terminal restored: main screen, cursor shown.
#[test]
fn termination_signals_restore_the_terminal() {
    use nix::sys::signal::Signal;
    for signal in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT] {
        let mut s = spawn(&["demo", "--files", "200"], signal.as_str());
        s.wait_for("row 1 of 200");
        let pid = s.child.process_id().expect("a pid") as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).unwrap();
        s.wait_exit();
        s.assert_restored();
    }
}

#[test]
fn astracollab_folders_are_entered_and_left_in_the_real_binary() {
    let mut s = spawn(
        &["demo", "--dialect", "astracollab", "--files", "3000"],
        "folders",
    );
    s.wait_for("row 1 of 3,000");
    s.wait_for("┌ Folders");
    // Tab: the detail pane, Tab: the folder pane; Enter goes into the first folder.
    s.press("\t\t");
    s.press("\r");
    s.wait_for("┌ Folders (Backspace: up)");
    let inside = s.screen();
    let header = inside.lines().next().unwrap_or_default().to_string();
    assert!(header.contains("(astracollab) · / "), "{header}");
    assert!(
        !header.contains("of 3,000"),
        "the folder holds fewer files: {header}"
    );
    s.press("\x7f"); // Backspace
    s.wait_for("row 1 of 3,000");
    s.press("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// `y i` in the real binary: the id of the selected file reaches the terminal as one OSC 52
/// clipboard write (the user's own clipboard, over SSH too), and the status line says so.
#[test]
fn copying_an_id_writes_osc52_to_the_terminal() {
    let files = 300;
    let newest = Dataset::new(42, files).file(files - 1);
    let mut s = spawn(&["demo", "--files", "300"], "osc52");
    s.wait_for("row 1 of 300");
    s.press("yi");
    s.wait_for("copied id (36 chars) via OSC 52");
    let want =
        filescope::clipboard::osc52(newest.id.as_bytes(), filescope::clipboard::Mux::None).unwrap();
    {
        let raw = s.raw.lock().unwrap();
        let count = raw
            .windows(want.len())
            .filter(|w| *w == want.as_slice())
            .count();
        assert_eq!(count, 1, "one OSC 52 write of {}", newest.id);
    }
    s.press("q");
    s.wait_exit();
    s.assert_restored();
}

/// `p` then `e` on a text file: the pager gets the terminal (here `cat`, which prints the
/// text and ends), and the explorer takes it back and redraws the preview.
#[test]
fn the_pager_gets_the_terminal_and_gives_it_back() {
    let files = 300;
    let dataset = Dataset::new(42, files);
    let index = (0..files)
        .rev()
        .find(|i| {
            let f = dataset.file(*i);
            f.content_type == "text/plain" && f.size > 100
        })
        .unwrap();
    let bytes = filescope_demo::content::content(&dataset, index);
    let first = String::from_utf8_lossy(&bytes)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut s = spawn(&["demo", "--files", "300"], "pager");
    s.wait_for("row 1 of 300");
    s.press(&format!(":{}\r", files - index));
    s.wait_for(&format!("row {} of 300", files - index));
    s.press("p");
    s.wait_for("e opens in $PAGER");
    let before = s.raw.lock().unwrap().len();
    s.press("e");
    // The explorer is back: the preview is drawn again after cat has printed the file.
    let start = Instant::now();
    loop {
        let printed = {
            let raw = s.raw.lock().unwrap();
            let after = String::from_utf8_lossy(&raw[before..]).into_owned();
            after.contains(&first) && after.contains("\x1b[?1049h")
        };
        if printed {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the pager never ran and returned"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for("e opens in $PAGER");
    s.press("qq");
    s.wait_exit();
    s.assert_restored();
}

/// A Flextell download through the real binary: the file arrives, and neither the signed
/// `temporary_url` (its signature and expiry) nor the demo's key is in the debug log.
#[test]
fn a_download_leaves_no_signed_link_in_the_log() {
    let mut s = spawn(
        &["demo", "--dialect", "flextell", "--files", "200"],
        "signed",
    );
    // Flextell hides trashed files: fewer than 200 rows.
    s.wait_for("row 1 of 1");
    s.press("d");
    s.wait_for(" to: ");
    s.press("\r");
    s.wait_for("downloads finished: 1 saved");
    s.press("qq");
    s.wait_exit();
    s.assert_restored();
    let dir = data_dir("signed");
    let log = std::fs::read_to_string(dir.join("filescope.log")).unwrap();
    assert!(
        log.contains("download saved"),
        "the download is in the log:\n{log}"
    );
    for secret in ["signature=", "expires=", "Bearer"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    let saved = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "filescope.log")
        .count();
    assert_eq!(saved, 1, "one file downloaded beside the log");
}

const MOUSE_ON: [&str; 3] = ["\x1b[?1000h", "\x1b[?1002h", "\x1b[?1006h"];
const MOUSE_OFF: [&str; 3] = ["\x1b[?1000l", "\x1b[?1002l", "\x1b[?1006l"];

/// The real binary asks for mouse reports 1000, 1002 and 1006 (so tmux hands it the wheel
/// rather than entering copy mode) and gives them back on Ctrl-z (asking again on resume),
/// while a link is shown to select by hand, and on quit.
#[test]
fn mouse_reports_are_asked_for_and_given_back_on_suspend_a_shown_link_and_quit() {
    let mut s = spawn(&["demo", "--files", "200"], "mouse");
    s.wait_for("row 1 of 200");
    let at = s.wait_raw(0, &MOUSE_ON);
    // Ctrl-z: the terminal (and the mouse) go back to the shell.
    s.press("\x1a");
    let at = s.wait_raw(at, &MOUSE_OFF);
    // Resumed (a pty's session cannot stop on SIGTSTP, so it may already be running: SIGCONT
    // is then a no-op), the mouse is asked for again.
    let pid = s.child.process_id().expect("a pid") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGCONT,
    )
    .unwrap();
    let at = s.wait_raw(at, &MOUSE_ON);
    s.wait_for("row 1 of 200");
    // A link shown to be selected by hand: the terminal gets the mouse for the selection.
    s.press("O");
    s.wait_for("select it by hand");
    let at = s.wait_raw(at, &MOUSE_OFF);
    s.press("x");
    let at = s.wait_raw(at, &MOUSE_ON);
    s.press("q");
    s.wait_exit();
    s.wait_raw(at, &MOUSE_OFF);
    s.assert_restored();
}

/// `[ui] mouse = false`: no mouse report is asked for; the terminal keeps the mouse.
#[test]
fn mouse_off_in_the_configuration_asks_for_no_reports() {
    std::fs::write(
        data_dir("nomouse").join("none.toml"),
        "[ui]\nmouse = false\n",
    )
    .unwrap();
    let mut s = spawn(&["demo", "--files", "50"], "nomouse");
    s.wait_for("row 1 of 50");
    s.press("q");
    s.wait_exit();
    let raw = s.raw.lock().unwrap();
    assert!(
        !raw.windows(8).any(|w| w == b"\x1b[?1000h"),
        "a mouse report was asked for"
    );
}
