//! The terminal: raw mode and the alternate screen on the way in, everything put back on the
//! way out, whether the way out is a quit, a panic, a signal or a Ctrl-z. Every catchable
//! signal whose default action would end the process ends the explorer through its quit, and
//! SIGTSTP, SIGTTIN and SIGTTOU from outside give the terminal back before the process stops.

use std::io::{self, Stdout, Write};
use std::sync::Once;

use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::style::Print;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

static PANIC_HOOK: Once = Once::new();
/// Whether the explorer asks for mouse reports (`[ui] mouse`), again after a suspend or the
/// pager.
static MOUSE: AtomicBool = AtomicBool::new(false);
/// Whether the terminal is the explorer's (raw mode, alternate screen): set once [`enter`] has
/// taken it, cleared as soon as [`restore`] starts to give it back (a suspend, the pager, the
/// way out). A stop signal while it is not ours stops the process at once.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Takes over the terminal, with mouse reports if `mouse`. The panic hook installed here
/// restores it before the panic message is printed, so a crash never leaves a raw,
/// invisible-cursor terminal behind.
pub fn init(mouse: bool) -> io::Result<Term> {
    MOUSE.store(mouse, Ordering::Relaxed);
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
    enter()
}

/// Raw mode, a cleared alternate screen, and a fresh `Terminal` whose buffers match it.
/// (`Terminal::clear` would ask the terminal where its cursor is: a round trip that costs a
/// whole latency over SSH before the first paint, so the screen is cleared directly instead.)
fn enter() -> io::Result<Term> {
    // In the background (continued by `bg`, or started with `&`) the terminal is the shell's:
    // stay stopped until `fg` gives it over. (The kernel would stop the process with SIGTTOU
    // at the first change, but that signal is caught, and the change would only be retried.)
    while in_background() && under_job_control() {
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP).map_err(io::Error::other)?;
    }
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        Hide,
        Clear(ClearType::All)
    )?;
    if MOUSE.load(Ordering::Relaxed) {
        execute!(io::stdout(), Print(crate::runtime::MOUSE_ON))?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    TAKEN.store(true, Ordering::SeqCst);
    Ok(terminal)
}

/// Puts the terminal back as it was, mouse reports off. Safe to call more than once.
pub fn restore() -> io::Result<()> {
    TAKEN.store(false, Ordering::SeqCst);
    let mut stdout = io::stdout();
    let screen = execute!(
        stdout,
        Print(crate::runtime::MOUSE_OFF),
        LeaveAlternateScreen,
        Show
    );
    let raw = disable_raw_mode();
    stdout.flush()?;
    screen.and(raw)
}

/// Ctrl-z: gives the terminal back to the shell, stops the process, and takes the terminal
/// again when the shell resumes it (`fg`), redrawing everything.
pub fn suspend(terminal: &mut Term) -> io::Result<()> {
    restore()?;
    stop_process()?;
    // Execution continues here after SIGCONT; the new terminal redraws everything.
    *terminal = enter()?;
    Ok(())
}

/// Stops the process as SIGTSTP's default action would. SIGTSTP itself is caught (so that the
/// terminal is given back first), so the stop is SIGSTOP — except where the kernel would ignore
/// SIGTSTP: in an orphaned process group (run by no job-control shell, e.g. straight under
/// `ssh -t` or in a fresh session), nothing could ever continue a stopped process.
fn stop_process() -> io::Result<()> {
    if !under_job_control() {
        return Ok(());
    }
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP).map_err(io::Error::other)
}

/// Whether this process group is not orphaned: some ancestor in this session belongs to
/// another process group (a job-control shell that can `fg` it).
fn under_job_control() -> bool {
    use nix::unistd::{getpgid, getpgrp, getppid, getsid};
    let (group, Ok(session)) = (getpgrp(), getsid(None)) else {
        return false;
    };
    let mut pid = getppid();
    // Wrapper scripts run in the explorer's own group: look past them.
    for _ in 0..64 {
        if pid.as_raw() <= 1 {
            return false;
        }
        match (getsid(Some(pid)), getpgid(Some(pid))) {
            (Ok(s), Ok(g)) if s == session && g != group => return true,
            (Ok(s), Ok(_)) if s == session => match parent_of(pid) {
                Some(parent) => pid = parent,
                // No /proc to look further: a parent in this session and group was started
                // by something with job control far more often than not.
                None => return true,
            },
            _ => return false,
        }
    }
    false
}

/// A process's parent, from `/proc/PID/stat` (Linux): the field after the state, which follows
/// the parenthesised command name (itself free to hold spaces and parentheses).
fn parent_of(pid: nix::unistd::Pid) -> Option<nix::unistd::Pid> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after) = stat.rsplit_once(')')?;
    let ppid: i32 = after.split_whitespace().nth(1)?.parse().ok()?;
    Some(nix::unistd::Pid::from_raw(ppid))
}

/// Whether the terminal has a foreground process group other than the explorer's (a
/// background process cannot take the terminal or give it back: the kernel would stop it for
/// trying).
fn in_background() -> bool {
    nix::unistd::tcgetpgrp(io::stdout()).is_ok_and(|g| g != nix::unistd::getpgrp())
}

/// The real terminal, as the event loop's [`crate::runtime::Host`].
pub struct Console;

impl crate::runtime::Host<CrosstermBackend<Stdout>> for Console {
    fn suspend(&mut self, terminal: &mut Term) -> io::Result<()> {
        suspend(terminal)
    }

    fn write_raw(&mut self, terminal: &mut Term, bytes: &[u8]) -> io::Result<()> {
        let out = terminal.backend_mut();
        out.write_all(bytes)?;
        out.flush()
    }

    /// The program gets the terminal as the shell would give it (main screen, cooked mode);
    /// ours is taken back and redrawn whole afterwards, whatever the program did.
    fn hand_over(
        &mut self,
        terminal: &mut Term,
        command: &mut std::process::Command,
    ) -> io::Result<std::process::ExitStatus> {
        restore()?;
        let status = command.status();
        *terminal = enter()?;
        status
    }
}

/// The terminal's events: keys and resizes.
pub fn events() -> impl futures::Stream<Item = io::Result<crossterm::event::Event>> + Unpin {
    // A panic on a key, for the end-to-end test of the panic hook; never in a release build.
    #[cfg(feature = "test-support")]
    {
        panic_on_key(crossterm::event::EventStream::new())
    }
    #[cfg(not(feature = "test-support"))]
    {
        crossterm::event::EventStream::new()
    }
}

/// The events, with a panic when the key named by `FILESCOPE_TEST_PANIC_KEY` (a character) is
/// pressed: the end-to-end test of the panic hook runs the real binary in a pseudo-terminal
/// and presses it. Compiled only with the `test-support` feature, which test builds turn on
/// and release builds never do.
#[cfg(feature = "test-support")]
fn panic_on_key<S>(
    events: S,
) -> impl futures::Stream<Item = io::Result<crossterm::event::Event>> + Unpin
where
    S: futures::Stream<Item = io::Result<crossterm::event::Event>> + Unpin,
{
    use futures::StreamExt as _;
    let trigger = std::env::var("FILESCOPE_TEST_PANIC_KEY")
        .ok()
        .and_then(|k| k.chars().next());
    events.map(move |event| {
        if let (Some(c), Ok(crossterm::event::Event::Key(key))) = (trigger, &event)
            && key.code == crossterm::event::KeyCode::Char(c)
        {
            panic!("a test asked for a panic on {c:?} (FILESCOPE_TEST_PANIC_KEY)");
        }
        event
    })
}

/// Every catchable signal whose default action ends the process. SIGPIPE and SIGXFSZ are not
/// among them: the process starts with both ignored (a closed pipe or a file past its size
/// limit is an error to handle, not a death), and catching them would make a write to a
/// finished clipboard command, or a download past `ulimit -f`, end the explorer.
fn terminating() -> Vec<tokio::signal::unix::SignalKind> {
    use nix::sys::signal::Signal::*;
    let mut signals = vec![
        SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU,
        SIGSYS, SIGTRAP, SIGABRT,
    ];
    // On Linux these end a process too (elsewhere SIGIO is ignored by default).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    signals.extend([SIGIO, SIGPWR, SIGSTKFLT]);
    #[allow(unused_mut)]
    let mut kinds: Vec<_> = signals
        .into_iter()
        .map(|s| tokio::signal::unix::SignalKind::from_raw(s as i32))
        .collect();
    // The real-time signals, which end a process unless it handles them.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    kinds.extend(
        (nix::libc::SIGRTMIN()..=nix::libc::SIGRTMAX())
            .map(tokio::signal::unix::SignalKind::from_raw),
    );
    kinds
}

/// Listens for `kinds`; the signals that could not be listened for keep their default action.
fn listen(kinds: &[tokio::signal::unix::SignalKind]) -> Vec<tokio::signal::unix::Signal> {
    kinds
        .iter()
        .filter_map(|kind| tokio::signal::unix::signal(*kind).ok())
        .collect()
}

/// Resolves when any of `signals` arrives.
async fn any(signals: &mut [tokio::signal::unix::Signal]) {
    std::future::poll_fn(|cx| {
        for signal in signals.iter_mut() {
            if signal.poll_recv(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// The explorer's signals, from the moment this is called: every terminating one (see
/// [`terminating`]) asks it to end, SIGTSTP/SIGTTIN/SIGTTOU to give the terminal back and stop
/// (as Ctrl-z). A stop signal while the terminal is not the explorer's (the pager has it, or
/// it is being given back or taken again) or while the explorer is in the background stops
/// the process at once, on a task of its own, so a busy event loop never delays it.
pub fn signals() -> impl futures::Stream<Item = crate::runtime::Interrupt> + Unpin {
    use crate::runtime::Interrupt;
    use tokio::signal::unix::SignalKind;
    let mut ends = listen(&terminating());
    let mut stops = listen(&[
        SignalKind::from_raw(nix::sys::signal::Signal::SIGTSTP as i32),
        SignalKind::from_raw(nix::sys::signal::Signal::SIGTTIN as i32),
        SignalKind::from_raw(nix::sys::signal::Signal::SIGTTOU as i32),
    ]);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let interrupt = tokio::select! {
                () = any(&mut ends) => Interrupt::Terminate,
                () = any(&mut stops) => Interrupt::Stop,
            };
            if interrupt == Interrupt::Stop {
                let (taken, background) = (TAKEN.load(Ordering::SeqCst), in_background());
                tracing::debug!(taken, background, "a stop signal");
                if background || !taken {
                    let _ = stop_process();
                    continue;
                }
            }
            if tx.send(interrupt).is_err() {
                return;
            }
        }
    });
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Resolves when the process is asked to end (`serve`): any of the signals that would end it
/// (SIGTERM, SIGHUP — the SSH session dropped —, SIGINT, SIGQUIT, SIGUSR1, …), so that it ends
/// cleanly.
pub async fn termination() {
    let mut ends = listen(&terminating());
    if ends.is_empty() {
        // Without signal handlers the default actions still stop the process.
        return std::future::pending().await;
    }
    any(&mut ends).await
}
