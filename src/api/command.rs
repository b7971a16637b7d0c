//! Running a command whose output is a credential (an S3 profile's `credential_process`, a
//! profile's `api_key_cmd`): without a shell, with its output capped and its time limited, so
//! a command that prints gigabytes or never ends cannot take filescope's memory or its start.

use std::io::Read as _;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The most a credential command may print: a key, a JSON document of keys and a session
/// token are far smaller.
pub const MAX_OUTPUT: usize = 1 << 20;

/// How long a credential command may take unless `[network] command_timeout_secs` says
/// otherwise (one that asks for an MFA code has time to be answered).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished command printed and how it ended.
#[derive(Debug)]
pub struct Finished {
    pub stdout: Vec<u8>,
    pub status: ExitStatus,
}

/// Runs `words` (program and arguments, already split) with no standard input, its standard
/// error as `stderr` says, and reads what it prints: at most [`MAX_OUTPUT`] bytes within
/// `timeout`. A command that prints more or takes longer is killed and reaped, and the error
/// is one line starting with `what` (the setting and where it came from, e.g. `profile prod:
/// api_key_cmd "pass"`).
pub fn run_capped(
    words: &[String],
    stderr: Stdio,
    timeout: Duration,
    what: &str,
) -> Result<Finished, String> {
    let (program, args) = words
        .split_first()
        .ok_or_else(|| format!("{what} is empty"))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("{what}: cannot run it: {e}"))?;
    let deadline = Instant::now() + timeout;
    let stopped = |child: &mut std::process::Child, why: String| {
        // Killed and reaped: no process and no zombie is left behind.
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("{what} {why}; it was stopped"))
    };
    let Some(stdout) = child.stdout.take() else {
        return stopped(&mut child, "has no output pipe".to_string());
    };
    // The reading happens on a thread of its own so that a command that never closes its
    // output can be timed out. If it leaves a process of its own holding the pipe, that thread
    // ends when the pipe closes; nothing waits for it.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = stdout
            .take(MAX_OUTPUT as u64 + 1)
            .read_to_end(&mut bytes)
            .map(|_| bytes);
        let _ = tx.send(read);
    });
    let too_slow = format!(
        "did not finish within {} (raise [network] command_timeout_secs if it needs longer)",
        seconds(timeout)
    );
    let stdout = match rx.recv_timeout(timeout) {
        Ok(Ok(bytes)) if bytes.len() > MAX_OUTPUT => {
            return stopped(
                &mut child,
                format!("printed more than {} MiB", MAX_OUTPUT >> 20),
            );
        }
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return stopped(&mut child, format!("could not be read: {e}")),
        Err(_) => return stopped(&mut child, too_slow),
    };
    // Its output is closed: it is ending. Wait for that, within what is left of the time.
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Finished { stdout, status }),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => return stopped(&mut child, too_slow),
            Err(e) => return stopped(&mut child, format!("could not be waited for: {e}")),
        }
    }
}

/// `60 s`, `1.5 s`, `250 ms`.
fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn output_and_status_come_back() {
        let done = run_capped(
            &sh("printf key; exit 3"),
            Stdio::null(),
            Duration::from_secs(30),
            "test",
        )
        .unwrap();
        assert_eq!(done.stdout, b"key");
        assert_eq!(done.status.code(), Some(3));
    }

    #[test]
    fn too_much_output_is_refused_and_the_command_stopped() {
        let start = Instant::now();
        let e = run_capped(
            &sh("yes | head -c 3000000"),
            Stdio::null(),
            Duration::from_secs(30),
            "profile p: api_key_cmd \"sh\"",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "profile p: api_key_cmd \"sh\" printed more than 1 MiB; it was stopped"
        );
        assert!(start.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn a_command_that_hangs_is_timed_out_even_with_its_output_held_open() {
        // In `sleep 5 & wait`, `sleep` inherits the pipe: killing `sh` alone does not close it.
        let commands = [
            vec!["sleep".to_string(), "1000".to_string()],
            sh("exec sleep 1000"),
            sh("sleep 5 & wait"),
        ];
        for words in commands {
            let start = Instant::now();
            let e = run_capped(&words, Stdio::null(), Duration::from_secs(1), "cmd").unwrap_err();
            assert_eq!(
                e,
                "cmd did not finish within 1 s (raise [network] command_timeout_secs if it needs longer); it was stopped"
            );
            assert!(start.elapsed() < Duration::from_secs(30), "{words:?}");
        }
    }

    #[test]
    fn a_command_that_closes_its_output_but_keeps_running_is_timed_out() {
        let e = run_capped(
            &sh("exec >&-; exec sleep 1000"),
            Stdio::null(),
            Duration::from_millis(300),
            "cmd",
        )
        .unwrap_err();
        assert!(e.contains("did not finish within 300 ms"), "{e}");
    }
}
