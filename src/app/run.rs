//! The event loop: one message queue fed by the terminal, finished requests and timers. It
//! drains every queued message before drawing, so a burst of answers costs one frame, and it
//! draws only when something changed: an idle explorer uses no CPU and writes no bytes.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::AbortHandle;

use super::jobs::{Host, Jobs};
use super::{App, Effect, Msg};
use crate::api::dialect::PageRequest;
use crate::api::{Client, ListQuery};
use crate::ui;

/// Runs the app until it quits. `events` is the terminal's event stream; `shutdown` resolves
/// on a termination signal; `host` suspends, writes clipboard sequences and runs the pager.
pub async fn run<B, E, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    client: Client,
    mut events: E,
    shutdown: S,
    host: &mut impl Host<B>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
    S: Future<Output = ()>,
{
    let (tx, mut rx) = unbounded_channel::<Msg>();
    // Retries are shown in the status line as they happen.
    let client = client.with_notifier({
        let tx = tx.clone();
        move |notice| {
            let _ = tx.send(Msg::Retrying(notice));
        }
    });
    let mut requests: Vec<(u64, AbortHandle)> = Vec::new();
    let mut jobs = Jobs::new(client.clone(), tx.clone());
    let mut execute = |effects: Vec<Effect>, terminal: &mut Terminal<B>, app: &mut App| {
        for effect in effects {
            let Some(effect) = jobs.run(effect, terminal, host, app)? else {
                continue;
            };
            match effect {
                Effect::Fetch {
                    generation,
                    query,
                    page,
                } => {
                    requests.retain(|(_, handle)| !handle.is_finished());
                    let handle = spawn_fetch(&client, &tx, generation, query, page);
                    requests.push((generation, handle));
                }
                Effect::Scan(job) => {
                    let (client, tx) = (client.clone(), tx.clone());
                    let handle = tokio::spawn(async move {
                        let cancel = Arc::clone(&job.cancel);
                        let result = crate::insight::scan(
                            &client,
                            &job.plan,
                            job.jobs,
                            |stats, progress| {
                                let _ = tx.send(Msg::Scanned {
                                    id: job.id,
                                    stats: Box::new(stats.clone()),
                                    progress,
                                    done: false,
                                    error: None,
                                });
                                !cancel.load(std::sync::atomic::Ordering::Relaxed)
                            },
                        )
                        .await;
                        let (stats, error) = match result {
                            Ok(stats) => (stats, None),
                            Err(e) => (crate::insight::Stats::default(), Some(e.to_string())),
                        };
                        let _ = tx.send(Msg::Scanned {
                            id: job.id,
                            stats: Box::new(stats),
                            progress: crate::api::scan::Progress {
                                pages_done: 0,
                                pages_total: None,
                                first_row: 0,
                            },
                            done: true,
                            error,
                        });
                    });
                    // A scan outlives sort changes but not the app.
                    requests.push((u64::MAX, handle.abort_handle()));
                }
                Effect::BuildView(job) => {
                    let tx = tx.clone();
                    tokio::task::spawn_blocking(move || {
                        // The receiver is gone only when the app has quit.
                        let _ = tx.send(job.run());
                    });
                }
                Effect::FetchScopes {
                    generation,
                    parent,
                    page,
                } => {
                    // Scope requests are few and small; they are not cancelled with the listing.
                    let client = client.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let request = PageRequest {
                            number: page,
                            size: 100,
                        };
                        let result = client.scopes(parent.as_deref(), request).await;
                        let _ = tx.send(Msg::Scopes {
                            generation,
                            page,
                            result,
                        });
                    });
                }
                Effect::FetchDetail { generation, id } => {
                    requests.retain(|(_, handle)| !handle.is_finished());
                    let handle = spawn_detail(&client, &tx, generation, id);
                    requests.push((generation, handle));
                }
                Effect::CancelBefore(generation) => {
                    requests.retain(|(g, handle)| {
                        if *g < generation {
                            handle.abort();
                        }
                        *g >= generation
                    });
                }
                Effect::Suspend => {
                    host.suspend(terminal)?;
                    app.dirty = true;
                }
                // File actions are carried out by `jobs` above.
                _ => {}
            }
        }
        io::Result::Ok(())
    };

    let size = terminal.size()?;
    let effects = app.start(size.width, size.height, Instant::now());
    execute(effects, terminal, app)?;
    tokio::pin!(shutdown);

    loop {
        if app.dirty {
            terminal.draw(|frame| ui::draw(frame, app))?;
            app.dirty = false;
        }
        if app.should_quit {
            break;
        }
        let deadline = app.next_deadline();
        let msg = tokio::select! {
            biased;
            () = &mut shutdown => Msg::Terminate,
            Some(event) = events.next() => match event? {
                Event::Key(key) => Msg::Key(key),
                Event::Resize(width, height) => Msg::Resize { width, height },
                _ => continue,
            },
            Some(msg) = rx.recv() => msg,
            () = sleep_until(deadline), if deadline.is_some() => Msg::Tick,
        };
        let effects = app.update(msg, Instant::now());
        execute(effects, terminal, app)?;
        // Everything already queued is handled before the next frame.
        while let Ok(msg) = rx.try_recv() {
            let effects = app.update(msg, Instant::now());
            execute(effects, terminal, app)?;
        }
    }
    for (_, handle) in requests {
        handle.abort();
    }
    Ok(())
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// Fetches one file's full record in the background and posts it, tagged with its id.
fn spawn_detail(
    client: &Client,
    tx: &UnboundedSender<Msg>,
    generation: u64,
    id: String,
) -> AbortHandle {
    let client = client.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = match client.detail(&id).await {
            Ok(Some(record)) => Ok(record),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        // The receiver is gone only when the app has quit.
        let _ = tx.send(Msg::Detail {
            generation,
            id,
            result,
        });
    })
    .abort_handle()
}

/// Fetches one page in the background and posts the answer, tagged with what it was asked for.
pub fn spawn_fetch(
    client: &Client,
    tx: &UnboundedSender<Msg>,
    generation: u64,
    query: ListQuery,
    page: PageRequest,
) -> AbortHandle {
    let client = client.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = client.list_page(&query, page).await;
        // The receiver is gone only when the app has quit; nothing is waiting for this answer.
        let _ = tx.send(Msg::Page {
            generation,
            page: page.number,
            result,
        });
    })
    .abort_handle()
}
