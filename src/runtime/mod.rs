//! The runtime: the event loop and the executors that carry effects out. One message queue
//! is fed by the terminal, finished requests and timers. The loop drains every queued message
//! before drawing, so a burst of answers costs one frame, and it draws only when something
//! changed: an idle explorer uses no CPU and writes no bytes.
//!
//! Effects come in three groups, each with its executor: [`listing`] (pages, records, scans),
//! [`files`] (downloads, previews, export, delete) and [`terminal`] (suspend, clipboard, pager).
//! Each executor matches its group exhaustively and answers only with messages.

mod files;
mod host;
mod listing;
mod terminal;

use std::io;
use std::time::Instant;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::unbounded_channel;

pub use host::Host;

/// Asks the terminal for mouse reports: clicks (1000), drags (1002), in SGR form (1006), so
/// tmux hands the wheel to the explorer instead of entering copy mode.
pub const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1002h\x1b[?1006h";
/// Gives the mouse back to the terminal (selecting text by hand, on quit and suspend).
pub const MOUSE_OFF: &str = "\x1b[?1006l\x1b[?1002l\x1b[?1000l";
pub use listing::spawn_fetch;
// The tests and the benchmark drive this executor itself (`test_support::Executor`).
#[cfg(any(test, feature = "test-support"))]
pub(crate) use listing::Listings;

use crate::api::Client;
use crate::app::{App, Effect, Msg};
use crate::ui;

/// What a signal asks of the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// End, restoring the terminal (SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGALRM, …).
    Terminate,
    /// Give the terminal back and stop, as Ctrl-z does (SIGTSTP, SIGTTIN, SIGTTOU).
    Stop,
}

/// Runs the app until it quits. `events` is the terminal's event stream; `signals` says when
/// a signal asks the explorer to end or to stop; `host` suspends, writes clipboard sequences
/// and runs the pager.
pub async fn run<B, E, S, H>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    client: Client,
    mut events: E,
    mut signals: S,
    host: &mut H,
) -> anyhow::Result<()>
where
    H: Host<B>,
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
    S: Stream<Item = Interrupt> + Unpin,
{
    let (tx, mut rx) = unbounded_channel::<Msg>();
    // Retries and region changes are shown in the status line as they happen.
    let client = client.with_notifier({
        let tx = tx.clone();
        move |notice| {
            let _ = tx.send(Msg::ClientNotice(notice));
        }
    });
    let mut listings = listing::Listings::new(client.clone(), tx.clone());
    let mut files = files::Files::new(client.clone(), tx.clone());
    let mut terminals = terminal::Terminals::new(tx.clone());
    let mut execute =
        |effects: Vec<Effect>, terminal: &mut Terminal<B>, host: &mut H| -> io::Result<()> {
            for effect in effects {
                match effect {
                    Effect::Listing(effect) => listings.run(effect),
                    Effect::Files(effect) => files.run(effect),
                    Effect::Terminal(effect) => terminals.run(effect, terminal, host)?,
                }
            }
            Ok(())
        };

    let size = terminal.size()?;
    let effects = app.start(size.width, size.height, Instant::now());
    execute(effects, terminal, host)?;
    // The terminal was set up with the mouse as the settings say (tui::init).
    let mut mouse = app.settings().mouse;

    loop {
        // A value shown to be selected by hand gets the mouse back to the terminal.
        if app.wants_mouse() != mouse {
            mouse = app.wants_mouse();
            let bytes = if mouse { MOUSE_ON } else { MOUSE_OFF };
            host.write_raw(terminal, bytes.as_bytes())?;
        }
        if app.take_dirty() {
            terminal.draw(|frame| ui::draw(frame, app))?;
        }
        if app.should_quit() {
            break;
        }
        let deadline = app.next_deadline();
        let msg = tokio::select! {
            biased;
            Some(interrupt) = signals.next() => match interrupt {
                Interrupt::Terminate => Msg::Terminate,
                Interrupt::Stop => Msg::Stop,
            },
            Some(event) = events.next() => match event? {
                Event::Key(key) => Msg::Key(key),
                Event::Mouse(mouse) => Msg::Mouse(mouse),
                Event::Resize(width, height) => Msg::Resize { width, height },
                _ => continue,
            },
            Some(msg) = rx.recv() => msg,
            () = sleep_until(deadline), if deadline.is_some() => Msg::Tick,
        };
        let effects = app.update(msg, Instant::now());
        execute(effects, terminal, host)?;
        // Everything already queued is handled before the next frame.
        while let Ok(msg) = rx.try_recv() {
            let effects = app.update(msg, Instant::now());
            execute(effects, terminal, host)?;
        }
    }
    listings.abort_all();
    Ok(())
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline.into()).await;
    }
}
