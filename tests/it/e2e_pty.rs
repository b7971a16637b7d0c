//! End to end: the real binary in a pseudo-terminal, its screen read back with vt100.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use filescope::text::sanitize;
use filescope_demo::{Dataset, DemoServer};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// A generous guard against a hung binary; not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
    /// Hangs up when the reader thread has read the pty to its end (EOF or EIO: every
    /// process holding the terminal is gone).
    read_all: std::sync::mpsc::Receiver<()>,
}

/// The test's own data directory, emptied the first time this process names it (a directory
/// left by an earlier run with the same process id never leaks a log or a download in).
fn data_dir(name: &str) -> std::path::PathBuf {
    static FRESH: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let dir = std::env::temp_dir().join(format!("filescope-e2e-{}-{name}", std::process::id()));
    let mut fresh = FRESH.lock().unwrap();
    if !fresh.iter().any(|n| n == name) {
        let _ = std::fs::remove_dir_all(&dir);
        fresh.push(name.to_string());
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spawn(args: &[&str], name: &str) -> Session {
    spawn_with(args, name, &[])
}

/// Runs the binary in a 100x30 pty with its own data directory and (unless `env` names one) a
/// configuration file of its own, `none.toml` there, absent unless the test writes it:
/// whatever the developer's own configuration says (keys remapped, one attempt) never
/// reaches a test.
fn spawn_with(args: &[&str], name: &str, env: &[(&str, &str)]) -> Session {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_filescope"));
    // No instance metadata service is asked: tests stay on loopback.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.args(args);
    cmd.env_remove("FILESCOPE_API_KEY");
    cmd.env_remove("NO_COLOR");
    spawn_command(cmd, name, env)
}

/// Runs `cmd` in a 100x30 pty, `env` set last (over the defaults here).
fn spawn_command(mut cmd: CommandBuilder, name: &str, env: &[(&str, &str)]) -> Session {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
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
    for (k, v) in env {
        cmd.env(k, v);
    }
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
    let (done, read_all) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let _done = done;
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
        read_all,
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
                // Every byte the binary wrote is read (and parsed) before anything is judged.
                match self.read_all.recv_timeout(PATIENCE) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        panic!("the pty's output never ended after the binary exited")
                    }
                    Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {}
                }
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
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse reports are still on"
        );
        assert!(self.cooked(), "the terminal is still in raw mode");
    }

    /// Whether the pty is in cooked mode (line editing and echo on), as a shell leaves it.
    fn cooked(&self) -> bool {
        let termios = self._master.get_termios().expect("the pty's settings");
        let flags = termios.local_flags.bits();
        flags & nix::libc::ICANON != 0 && flags & nix::libc::ECHO != 0
    }

    /// The number of the screen's cells drawn in a colour other than the terminal's own.
    fn coloured_cells(&self) -> usize {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        let (rows, cols) = screen.size();
        (0..rows.get())
            .flat_map(|r| (0..cols.get()).map(move |c| (r, c)))
            .filter(|&(r, c)| {
                screen.cell(r, c).is_some_and(|cell| {
                    cell.fgcolor() != vt100::Color::Default
                        || cell.bgcolor() != vt100::Color::Default
                })
            })
            .count()
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
    // The clipboard write a page down (issue 27, Expected 1: the first screen is plain).
    let hostile = dataset.file(files - 31).file_name;
    assert!(hostile.contains("\u{1b}]52"), "{hostile:?}");
    let mut s = spawn(&["demo", "--files", "1000"], "main");
    s.wait_for("row 1 of 1,000");
    s.wait_for(&sanitize(&newest));
    assert!(!newest.chars().any(char::is_control), "{newest:?}");
    s.press("\x1b[6~"); // PgDn
    s.wait_for(&sanitize(&hostile));
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

/// SIGTERM (a kill), SIGHUP (the SSH session dropped), SIGINT (`kill -INT`) and every other
/// catchable signal that would end the process (SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, …, a
/// real-time signal) each end the program with the terminal restored: main screen, cursor
/// shown, mouse reports off, cooked mode.
#[test]
fn termination_signals_restore_the_terminal() {
    use nix::sys::signal::Signal;
    let mut signals: Vec<(String, i32)> = [
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGALRM,
        Signal::SIGVTALRM,
        Signal::SIGPROF,
        Signal::SIGXCPU,
        Signal::SIGSYS,
        Signal::SIGTRAP,
        Signal::SIGABRT,
        Signal::SIGIO,
        Signal::SIGPWR,
    ]
    .into_iter()
    .map(|s| (s.as_str().to_string(), s as i32))
    .collect();
    signals.push(("SIGRTMIN+3".into(), nix::libc::SIGRTMIN() + 3));
    for (name, number) in signals {
        let mut s = spawn(&["demo", "--files", "200"], &name);
        s.wait_for("row 1 of 200");
        s.wait_raw(0, &MOUSE_ON);
        let pid = s.child.process_id().expect("a pid");
        // `kill` the command: nix's `kill` takes no real-time signal.
        let sent = std::process::Command::new("kill")
            .args([format!("-{number}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "{name}");
        s.wait_exit();
        s.assert_restored();
    }
}

/// A process's state (`R`, `S`, `T` for stopped, …), from `/proc/PID/stat`.
fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The pid of `parent`'s child process named `name`, once it runs.
fn child_named(parent: u32, name: &str) -> i32 {
    let start = Instant::now();
    loop {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let ppid = stat[close + 1..].split_whitespace().nth(1);
            if &stat[open + 1..close] == name && ppid == Some(&parent.to_string()) {
                return stat[..open].trim().parse().unwrap();
            }
        }
        assert!(start.elapsed() < PATIENCE, "no {name} under {parent}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An interactive bash (job control on) in the pty, at its prompt `shell$ `.
fn job_control_shell(name: &str, env: &[(&str, &str)]) -> Session {
    let mut cmd = CommandBuilder::new("bash");
    // No line editing: bash leaves the terminal cooked while it waits, as the explorer must.
    cmd.args(["--norc", "--noprofile", "--noediting", "-i"]);
    cmd.env("PS1", "shell$ ");
    cmd.env(
        "FILESCOPE_CONFIG",
        data_dir(name).join("no-such-config.toml"),
    );
    let s = spawn_command(cmd, name, env);
    s.wait_for("shell$ ");
    s
}

/// Waits until `what` holds.
fn wait_until(what: &str, mut holds: impl FnMut() -> bool) {
    let start = Instant::now();
    while !holds() {
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ctrl-z while the pager has the terminal: the pager and the explorer both stop (the
/// explorer catches SIGTSTP, and with the terminal not its own it stops at once), so the
/// shell gets the terminal; `fg` continues both, and the explorer takes the terminal back
/// when the pager ends.
#[test]
fn ctrl_z_while_the_pager_runs_stops_the_explorer_too() {
    let files = 300;
    let row = files - text_file(&Dataset::new(42, files), files);
    // A pager that waits for a line from the terminal.
    let mut s = job_control_shell("pager-stop", &[("PAGER", "sh -c 'read line' pager")]);
    s.press(&format!(
        "{} demo --files {files}\r",
        env!("CARGO_BIN_EXE_filescope")
    ));
    s.wait_for("row 1 of 300");
    s.press(&format!(":{row}\r"));
    s.wait_for(&format!("row {row} of 300"));
    s.press("p");
    s.wait_for("e opens in $PAGER");
    s.press("e");
    let explorer = child_named(s.child.process_id().expect("a pid"), "filescope");
    let pager = child_named(explorer as u32, "sh");
    wait_until("the pager has the terminal", || {
        !s.parser.lock().unwrap().screen().alternate_screen()
    });
    s.press("\x1a");
    s.wait_for("Stopped");
    wait_until("both stopped", || {
        process_state(explorer) == Some('T') && process_state(pager) == Some('T')
    });
    s.press("fg\r");
    wait_until("both continued", || {
        process_state(explorer) != Some('T') && process_state(pager) != Some('T')
    });
    // The pager reads its line and ends: the explorer is back, redrawn.
    s.press("\r");
    wait_until("back on the alternate screen", || {
        s.parser.lock().unwrap().screen().alternate_screen()
    });
    s.wait_for("e opens in $PAGER");
    s.press("qq");
    s.wait_for("shell$ ");
    s.assert_restored();
    s.press("exit\r");
    s.wait_exit();
}

/// SIGTSTP, SIGTTIN and SIGTTOU sent from outside to the explorer under a job-control shell:
/// the terminal is given back first (main screen, cursor, mouse off, cooked) and the shell
/// has it; `fg` brings the explorer back, redrawn.
#[test]
fn stop_signals_from_outside_give_the_terminal_back_and_fg_resumes() {
    use nix::sys::signal::Signal;
    for signal in [Signal::SIGTSTP, Signal::SIGTTIN, Signal::SIGTTOU] {
        stopped_and_resumed(&format!("stop-{}", signal.as_str()), |s| {
            let shell = s.child.process_id().expect("a pid");
            let pid = child_named(shell, "filescope");
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).unwrap();
        });
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
    // Tab: the detail pane, Tab: the folder pane (the footer says so); Enter goes into the
    // first folder. The folders may still be loading on a busy machine: Enter again until the
    // pane is titled with the folder entered.
    s.press("\t\t");
    s.wait_for("move in folders");
    let start = Instant::now();
    loop {
        s.press("\r");
        let pressed = Instant::now();
        while !s.screen().contains("(Backspace: up) ─")
            && pressed.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        if s.screen().contains("(Backspace: up) ─") {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "never went into a folder:\n{}",
            s.screen()
        );
    }
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
    let index = text_file(&dataset, files);
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

/// The index of the newest text file of more than 100 bytes in the demo's dataset.
fn text_file(dataset: &Dataset, files: usize) -> usize {
    (0..files)
        .rev()
        .find(|i| {
            let f = dataset.file(*i);
            f.content_type == "text/plain" && f.size > 100
        })
        .unwrap()
}

/// A Flextell download through the real binary: the file arrives, and neither the signed
/// `temporary_url` (its signature and expiry) nor the key is in the debug log.
#[test]
fn a_download_leaves_no_signed_link_in_the_log() {
    const KEY: &str = "flextell-key-5c0ffee1";
    let (_runtime, server) = demo_server("flextell", 200, KEY);
    let mut s = spawn_with(
        &["--dialect", "flextell", "--url", &server.base_url],
        "signed",
        &[("FILESCOPE_API_KEY", KEY)],
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
    for secret in ["signature=", "expires=", KEY, "5c0ffee1"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    let saved = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "filescope.log")
        .count();
    assert_eq!(saved, 1, "one file downloaded beside the log");
}

/// A demo server on 127.0.0.1 for tests that run the binary against `--url`, on a runtime of
/// its own (the pty tests are plain threads).
fn demo_server(dialect: &str, files: usize, key: &str) -> (tokio::runtime::Runtime, DemoServer) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(
        filescope::test_support::Demo::new(files)
            .key(key)
            .dialect(dialect)
            .start(),
    );
    (runtime, server)
}

/// A panic inside the event loop (a trigger compiled only into test builds) leaves the
/// terminal restored — main screen, cursor shown, cooked mode — and the panic message on it.
#[test]
fn a_panic_restores_the_terminal_and_says_why() {
    let mut s = spawn_with(
        &["demo", "--files", "50"],
        "panic",
        &[("FILESCOPE_TEST_PANIC_KEY", "!"), ("RUST_BACKTRACE", "0")],
    );
    s.wait_for("row 1 of 50");
    assert!(!s.cooked(), "raw mode while the explorer runs");
    s.press("!");
    let status = s.wait_exit();
    assert!(!status.success(), "a panic is a failure: {status:?}");
    s.assert_restored();
    // The message comes after the terminal was given back, so it is there to read.
    let raw = s.raw.lock().unwrap();
    let find = |needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
    let left = find(b"\x1b[?1049l").expect("the alternate screen was left");
    let said = find(b"a test asked for a panic").expect("the panic message");
    assert!(left < said, "restored before the message was printed");
}

/// Ctrl-z gives the terminal back to the shell (main screen, cooked mode) and stops the
/// explorer; `fg` brings it back, redrawn.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_resumes() {
    stopped_and_resumed("suspend", |s| s.press("\x1a"));
}

/// Runs the explorer under an interactive bash (job control on), stops it with `stop`, and
/// checks that the shell got the terminal back restored, that `bg` does not let it take the
/// terminal from the background, and that `fg` brings the explorer back, redrawn, until `q`
/// gives the terminal back again.
fn stopped_and_resumed(name: &str, stop: impl FnOnce(&mut Session)) {
    let mut s = job_control_shell(name, &[]);
    s.press(&format!(
        "{} demo --files 50\r",
        env!("CARGO_BIN_EXE_filescope")
    ));
    s.wait_for("row 1 of 50");
    stop(&mut s);
    s.wait_for("Stopped");
    s.assert_restored();
    // Continued in the background (`bg`), it cannot take the terminal: it stops again at
    // once, leaving the terminal as the shell has it.
    let explorer = child_named(s.child.process_id().expect("a pid"), "filescope");
    s.press("bg\r");
    s.wait_for("demo --files 50 &");
    wait_until("stopped again after bg", || {
        process_state(explorer) == Some('T')
    });
    s.press("jobs\r");
    wait_until("jobs says it is stopped", || {
        s.screen().matches("Stopped").count() >= 2
    });
    s.assert_restored();
    s.press("fg\r");
    s.wait_for("row 1 of 50");
    assert!(
        s.parser.lock().unwrap().screen().alternate_screen(),
        "back on the alternate screen"
    );
    assert!(!s.cooked(), "raw mode again");
    s.press("q");
    s.wait_for("shell$ ");
    s.assert_restored();
    s.press("exit\r");
    s.wait_exit();
}

/// The configuration file's `[ui]` reaches the screen: the columns shown, the date format,
/// the mono theme; NO_COLOR does what mono does; `max_loaded_rows` makes far pages be
/// forgotten and fetched again.
#[test]
fn the_configuration_reaches_the_screen() {
    let files = 3_000;
    let (_runtime, server) = demo_server("filejar", files, "cfg-key");
    let newest = server.dataset.file(files - 1);
    let date = chrono::DateTime::from_timestamp(newest.created_at, 0)
        .unwrap()
        .format("%d.%m.%Y")
        .to_string();
    let dir = data_dir("config-screen");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[ui]\ncolumns = [\"date\"]\ndate_format = \"%d.%m.%Y\"\ntheme = \"mono\"\nmax_loaded_rows = 1000\n",
    )
    .unwrap();
    let args = ["--dialect", "filejar", "--url", &server.base_url];
    let key = ("FILESCOPE_API_KEY", "cfg-key");
    let config_env = ("FILESCOPE_CONFIG", config.to_str().unwrap());
    let mut s = spawn_with(&args, "config-screen", &[key, config_env]);
    s.wait_for("row 1 of 3,000");
    s.wait_for(&date);
    let screen = s.screen();
    let header = screen.lines().nth(1).unwrap_or_default();
    assert!(header.contains("Created"), "{screen}");
    assert!(
        !header.contains("Size") && !header.contains("Type"),
        "only the date column: {screen}"
    );
    assert_eq!(s.coloured_cells(), 0, "mono: no colours\n{screen}");
    // Twelve pages far apart, then back to the top: with a budget of 1,000 rows (ten pages)
    // the first page was forgotten and is fetched again.
    for percent in (8..=96).step_by(8) {
        let row = files * percent / 100;
        s.press(&format!(":{row}\r"));
        s.wait_for(&format!("row {} of 3,000", thousands(row)));
        s.wait_until_loaded();
    }
    let before = server.stats.list_requests();
    s.press("g");
    s.wait_for("row 1 of 3,000");
    s.wait_until_loaded();
    let refetched = server.stats.list_requests() - before;
    assert!(refetched >= 1, "the first page was fetched again");
    s.press("q");
    s.wait_exit();
    s.assert_restored();

    // The defaults: every column, colours; the first page is kept, so `g` asks for nothing.
    let mut s = spawn_with(&args, "config-default", &[key]);
    s.wait_for("row 1 of 3,000");
    let header = s.screen().lines().nth(1).unwrap_or_default().to_string();
    assert!(
        header.contains("Size") && header.contains("Type"),
        "{header}"
    );
    // The header may be read before the rest of its frame: wait for the colours to be drawn.
    wait_until("the default theme's colours on screen", || {
        s.coloured_cells() > 0
    });
    for percent in (8..=96).step_by(8) {
        let row = files * percent / 100;
        s.press(&format!(":{row}\r"));
        s.wait_for(&format!("row {} of 3,000", thousands(row)));
        s.wait_until_loaded();
    }
    let before = server.stats.list_requests();
    s.press("g");
    s.wait_for("row 1 of 3,000");
    s.wait_for(&sanitize(&newest.file_name));
    assert_eq!(server.stats.list_requests(), before, "nothing forgotten");
    s.press("q");
    s.wait_exit();

    // NO_COLOR=1 with the default theme: no colours either.
    let mut s = spawn_with(&args, "config-no-color", &[key, ("NO_COLOR", "1")]);
    s.wait_for("row 1 of 3,000");
    s.wait_until_loaded();
    assert_eq!(s.coloured_cells(), 0, "NO_COLOR: no colours");
    s.press("q");
    s.wait_exit();
}

fn thousands(n: usize) -> String {
    filescope::text::thousands(n)
}

impl Session {
    /// Waits until no row on screen is a placeholder (`…`) and no spinner turns.
    fn wait_until_loaded(&self) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            let spinning = screen
                .lines()
                .next()
                .is_some_and(|l| l.chars().any(|c| ('\u{2800}'..='\u{28ff}').contains(&c)));
            if !spinning && !screen.lines().any(|l| l.trim() == "…") {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the rows never loaded:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The explorer opens a profile: `-p NAME`, or the configuration's `default_profile` with no
/// flags at all; the profile's key (from its `api_key_env`) is the one the server accepts.
#[test]
fn the_explorer_opens_a_profile_and_the_default_profile() {
    let (_runtime, lab) = demo_server("fileguard", 40, "lab-key");
    let (_runtime2, prod) = demo_server("filejar", 70, "prod-key");
    let dir = data_dir("profiles");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"prod\"\n[profiles.prod]\ndialect = \"filejar\"\nurl = \"{}\"\napi_key_env = \"PROD_KEY\"\n[profiles.lab]\ndialect = \"fileguard\"\nurl = \"{}\"\napi_key_env = \"LAB_KEY\"\n",
            prod.base_url, lab.base_url
        ),
    )
    .unwrap();
    let env = [
        ("FILESCOPE_CONFIG", config.to_str().unwrap()),
        ("PROD_KEY", "prod-key"),
        ("LAB_KEY", "lab-key"),
    ];
    let mut s = spawn_with(&["-p", "lab"], "profile-p", &env);
    s.wait_for("row 1 of 40");
    assert!(s.screen().contains("lab (fileguard)"), "{}", s.screen());
    s.press("q");
    assert!(s.wait_exit().success());
    let mut s = spawn_with(&[], "profile-default", &env);
    s.wait_for("row 1 of 70");
    assert!(s.screen().contains("prod (filejar)"), "{}", s.screen());
    s.press("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
    assert!(lab.stats.list_requests() >= 1 && prod.stats.list_requests() >= 1);
}

/// The canary key, sent by the explorer through listing, the detail, a preview and a
/// download (Open WebUI sends it with every content fetch), with the log at trace level:
/// never on the screen, in what the binary wrote to the terminal, or in the log.
#[test]
fn the_explorer_never_shows_or_logs_the_key() {
    const CANARY: &str = "sk-canary-pty-4d1e9b77";
    let (_runtime, server) = demo_server("openwebui", 60, CANARY);
    let name = "canary";
    let mut s = spawn_with(
        &["--dialect", "openwebui", "--url", &server.base_url],
        name,
        &[("FILESCOPE_API_KEY", CANARY), ("FILESCOPE_LOG", "trace")],
    );
    s.wait_for("row 1 of 60");
    s.press("p");
    s.wait_for("e opens in $PAGER");
    s.press("q");
    s.press("yc");
    s.wait_for("copied this view's request as curl");
    s.press("d");
    s.wait_for(" to: ");
    s.press("\r");
    s.wait_for("downloads finished: 1 saved");
    s.press("qq");
    s.wait_exit();
    s.assert_restored();
    assert!(
        server.stats.content_requests() >= 1,
        "the bytes were fetched"
    );
    let log = std::fs::read_to_string(data_dir(name).join("filescope.log")).unwrap();
    assert!(
        log.contains("TRACE") || log.contains("trace"),
        "a trace log"
    );
    assert!(log.contains("download saved"), "{log}");
    let raw = String::from_utf8_lossy(&s.raw.lock().unwrap()).into_owned();
    for (what, text) in [("log", &log), ("terminal", &raw)] {
        assert!(!text.contains(CANARY), "the key is in the {what}");
        assert!(
            !text.contains("4d1e9b77"),
            "part of the key is in the {what}"
        );
    }
}

/// A TLS server with a self-signed certificate, in front of the demo: refused (exit 4, the
/// certificate named); accepted with `--insecure`, which `ls` warns about on stderr and the
/// explorer says in its header.
#[test]
fn a_self_signed_certificate_is_refused_and_accepted_with_insecure() {
    let (runtime, server) = demo_server("filejar", 30, "tls-key");
    let url = runtime.block_on(tls_front(&server.base_url));
    let dir = data_dir("tls");
    let ls = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("FILESCOPE_CONFIG", dir.join("no-such-config.toml"))
            .env("FILESCOPE_API_KEY", "tls-key")
            .args(["ls", "--dialect", "filejar", "--url", &url, "--limit", "5"])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = ls(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(refused.stdout.is_empty());
    let accepted = ls(&["--insecure"]);
    let stderr = String::from_utf8_lossy(&accepted.stderr);
    assert_eq!(accepted.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("--insecure: the server's TLS certificate is not verified"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&accepted.stdout).lines().count(), 5);

    let mut s = spawn_with(
        &["--dialect", "filejar", "--url", &url, "--insecure"],
        "tls-explorer",
        &[("FILESCOPE_API_KEY", "tls-key")],
    );
    s.wait_for("row 1 of 30");
    s.wait_for("TLS NOT VERIFIED (--insecure)");
    s.press("q");
    s.wait_exit();
    s.assert_restored();
}

/// Listens on 127.0.0.1 with a fresh self-signed certificate for 127.0.0.1 and passes every
/// connection's bytes to `backend` (plain HTTP). Returns the front's https URL.
async fn tls_front(backend: &str) -> String {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let backend = backend.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to pass on.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut plain = tokio::net::TcpStream::connect(&backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    url
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

/// `filescope demo --dialect gcs`: the demo's GCS bucket in the real binary, through its own
/// token: folders as rows, a `/prefix` listed by the server, and `G` finding the last rows by
/// `startOffset`.
#[test]
fn the_gcs_demo_lists_folders_filters_by_prefix_and_finds_the_end_by_key() {
    let mut s = spawn(
        &["demo", "--dialect", "gcs", "--files", "20000"],
        "gcs-demo",
    );
    s.wait_for("row 1 of");
    s.wait_for("analytics/");
    s.press("/");
    s.press("/uploads/");
    s.press("\r");
    s.wait_for("filter \"/uploads/\"");
    s.wait_for("2021-q1-agenda");
    s.press("G");
    s.wait_for("of the last");
    s.wait_for("the last rows, found with");
    s.press("q");
    s.wait_exit();
    s.assert_restored();
}

/// `filescope demo --dialect s3`: a bucket in the real binary, folders as rows, a `/prefix`
/// filter listed by the server, and `G` finding the last rows by key.
#[test]
fn the_s3_demo_lists_folders_filters_by_prefix_and_finds_the_end_by_key() {
    let mut s = spawn(&["demo", "--dialect", "s3", "--files", "20000"], "s3-demo");
    s.wait_for("row 1 of");
    s.wait_for("analytics/");
    s.press("/");
    s.press("/uploads/");
    s.press("\r");
    s.wait_for("filter \"/uploads/\"");
    s.wait_for("2021-q1-agenda");
    s.press("G");
    s.wait_for("of the last");
    s.wait_for("the last rows, found with");
    s.press("g");
    // Back at the top of the prefix: the count is open again.
    let start = Instant::now();
    while s.screen().contains("of the last") || !s.screen().contains("row 1 of") {
        assert!(
            start.elapsed() < PATIENCE,
            "never back at the top:\n{}",
            s.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for("2021-q1-agenda");
    s.press("q");
    s.wait_exit();
    s.assert_restored();
}

/// Issue 24, items 2 and 3: `filescope s3://` (a location, no --dialect) in the real binary
/// shows the buckets as folder rows; Enter goes into one, Backspace returns to the list;
/// `filescope s3://demo/uploads/` opens the bucket at the prefix.
#[test]
fn a_location_opens_the_explorer_on_the_buckets_and_on_a_bucket() {
    let (_runtime, server) = demo_server("s3", 500, "unused");
    let session = |location: &str, name: &str| {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_filescope"));
        // No instance metadata service is asked: tests stay on loopback.
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.args([location, "--endpoint", server.base_url.as_str()]);
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(var);
            }
        }
        let home = data_dir(name);
        let home = home.to_string_lossy().to_string();
        spawn_command(
            cmd,
            name,
            &[
                ("HOME", home.as_str()),
                ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
                (
                    "AWS_SHARED_CREDENTIALS_FILE",
                    "/nonexistent/aws-credentials",
                ),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_ACCESS_KEY_ID", filescope_demo::S3_ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", filescope_demo::S3_SECRET_KEY),
            ],
        )
    };
    let mut s = session("s3://", "s3-buckets");
    s.wait_for("demo/");
    s.wait_for("row 1 of 1");
    s.press("\r");
    s.wait_for("analytics/");
    s.press("\x7f"); // Backspace
    s.wait_for("row 1 of 1");
    s.press("q");
    assert!(s.wait_exit().success());
    s.assert_restored();

    let mut s = session("s3://demo/uploads/", "s3-location");
    s.wait_for("s3://demo/uploads/ (s3)");
    s.wait_for("uploads/2");
    s.press("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}
