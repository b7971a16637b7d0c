//! The terminal: raw mode and the alternate screen on the way in, everything put back on the
//! way out, whether the way out is a quit, a panic, a signal or a Ctrl-z.

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
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Puts the terminal back as it was, mouse reports off. Safe to call more than once.
pub fn restore() -> io::Result<()> {
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
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP).map_err(io::Error::other)?;
    // Execution continues here after SIGCONT; the new terminal redraws everything.
    *terminal = enter()?;
    Ok(())
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

/// Resolves when the process is asked to stop: SIGTERM, SIGHUP (the SSH session dropped) or
/// SIGINT (a `kill -INT`; Ctrl-c itself arrives as a key in raw mode).
pub async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the default actions still stop the process.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = int.recv() => {}
    }
}
