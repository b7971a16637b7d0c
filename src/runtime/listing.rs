//! Carrying out the listing's effects: pages, full records, folders and contexts, local views
//! built off the UI task, the insight scan, and cancelling what a newer query made stale.
//! Every answer goes back as a message tagged with what it was asked for.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use crate::api::dialect::{Continuation, PageRequest};
use crate::api::{Client, ListQuery};
use crate::app::{ListingEffect, ListingMsg, Msg};
use crate::listing::Generation;

pub(crate) struct Listings {
    client: Client,
    tx: UnboundedSender<Msg>,
    /// Requests in flight, by the generation they were made for (scans: the highest, so they
    /// outlive sort changes but not the app).
    requests: Vec<(Generation, AbortHandle)>,
    /// The walk under way, if any (also among `requests`, so a newer query stops it).
    walk: Option<AbortHandle>,
}

impl Listings {
    pub(crate) fn new(client: Client, tx: UnboundedSender<Msg>) -> Self {
        Listings {
            client,
            tx,
            requests: Vec::new(),
            walk: None,
        }
    }

    /// Carries out one listing effect; results come back as messages.
    pub(crate) fn run(&mut self, effect: ListingEffect) {
        match effect {
            ListingEffect::Fetch {
                generation,
                query,
                page,
                after,
            } => {
                self.requests.retain(|(_, handle)| !handle.is_finished());
                let handle = spawn_fetch(&self.client, &self.tx, generation, query, page, after);
                self.requests.push((generation, handle));
            }
            ListingEffect::FetchDetail { generation, id } => {
                self.requests.retain(|(_, handle)| !handle.is_finished());
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let handle = tokio::spawn(async move {
                    let result = match client.detail(&id).await {
                        Ok(Some(record)) => Ok(record),
                        Ok(None) => return,
                        Err(e) => Err(e),
                    };
                    // The receiver is gone only when the app has quit.
                    let _ = tx.send(Msg::Listing(ListingMsg::Detail {
                        generation,
                        id,
                        result,
                    }));
                });
                self.requests.push((generation, handle.abort_handle()));
            }
            ListingEffect::FetchScopes {
                generation,
                parent,
                page,
            } => {
                // Scope requests are few and small; they are not cancelled with the listing.
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let request = PageRequest {
                        number: page,
                        size: 100,
                    };
                    let result = client.scopes(parent.as_deref(), request).await;
                    let _ = tx.send(Msg::Listing(ListingMsg::Scopes {
                        generation,
                        page,
                        result,
                    }));
                });
            }
            ListingEffect::FindTail {
                generation,
                query,
                from,
                want,
            } => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let handle = tokio::spawn(async move {
                    let result = client.find_tail(&query, want, from.as_deref()).await;
                    // The receiver is gone only when the app has quit.
                    let _ = tx.send(Msg::Listing(ListingMsg::TailFound { generation, result }));
                });
                self.requests.push((generation, handle.abort_handle()));
            }
            ListingEffect::Walk {
                generation,
                query,
                from,
                after,
                until,
            } => {
                if let Some(walk) = self.walk.take() {
                    walk.abort();
                }
                self.requests.retain(|(_, handle)| !handle.is_finished());
                let handle = spawn_walk(
                    &self.client,
                    &self.tx,
                    generation,
                    query,
                    from,
                    after,
                    until,
                );
                self.walk = Some(handle.clone());
                self.requests.push((generation, handle));
            }
            ListingEffect::StopWalk => {
                if let Some(walk) = self.walk.take() {
                    walk.abort();
                }
            }
            ListingEffect::CancelBefore(generation) => {
                self.requests.retain(|(g, handle)| {
                    if *g < generation {
                        handle.abort();
                    }
                    *g >= generation
                });
            }
            ListingEffect::BuildView(job) => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    // The receiver is gone only when the app has quit.
                    let _ = tx.send(job.run());
                });
            }
            ListingEffect::Scan(job) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let handle = tokio::spawn(async move {
                    let cancel = Arc::clone(&job.cancel);
                    let result =
                        crate::insight::scan(&client, &job.plan, job.jobs, |stats, progress| {
                            let _ = tx.send(Msg::Listing(ListingMsg::Scanned {
                                id: job.id,
                                stats: Box::new(stats.clone()),
                                progress,
                                done: false,
                                error: None,
                            }));
                            !cancel.load(std::sync::atomic::Ordering::Relaxed)
                        })
                        .await;
                    let (stats, error) = match result {
                        Ok(stats) => (stats, None),
                        Err(e) => (crate::insight::Stats::default(), Some(e.to_string())),
                    };
                    let _ = tx.send(Msg::Listing(ListingMsg::Scanned {
                        id: job.id,
                        stats: Box::new(stats),
                        progress: crate::api::scan::Progress {
                            pages_done: 0,
                            pages_total: None,
                            first_row: 0,
                        },
                        done: true,
                        error,
                    }));
                });
                // A scan outlives sort changes but not the app.
                self.requests
                    .push((Generation(u64::MAX), handle.abort_handle()));
            }
        }
    }

    /// Stops everything still in flight (the app quit).
    pub(super) fn abort_all(&mut self) {
        for (_, handle) in self.requests.drain(..) {
            handle.abort();
        }
    }
}

/// Walks a listing read in order from `from` in the background with the one walker
/// (`api::scan::walk_from`: the next request in flight while a page is decoded), posting every
/// page, up to page `until` of the explorer's numbering, then that it stopped.
pub fn spawn_walk(
    client: &Client,
    tx: &UnboundedSender<Msg>,
    generation: Generation,
    query: ListQuery,
    from: PageRequest,
    after: Option<Continuation>,
    until: Option<usize>,
) -> AbortHandle {
    let client = client.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        // The page of the explorer's the next answer fills (an answer larger than a page
        // fills several).
        let mut at = from.number;
        let walked = crate::api::scan::walk_from(&client, &query, from, after, |page| {
            at += page.records.len().div_ceil(from.size.max(1)).max(1);
            // The receiver is gone only when the app has quit.
            let _ = tx.send(Msg::Listing(ListingMsg::Walked {
                generation,
                result: Ok(page),
            }));
            until.is_none_or(|until| at <= until)
        })
        .await;
        if let Err(e) = walked {
            let _ = tx.send(Msg::Listing(ListingMsg::Walked {
                generation,
                result: Err(e),
            }));
        }
        let _ = tx.send(Msg::Listing(ListingMsg::WalkDone { generation }));
    })
    .abort_handle()
}

/// Fetches one page in the background and posts the answer, tagged with what it was asked for.
pub fn spawn_fetch(
    client: &Client,
    tx: &UnboundedSender<Msg>,
    generation: Generation,
    query: ListQuery,
    page: PageRequest,
    after: Option<Continuation>,
) -> AbortHandle {
    let client = client.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = client.list_page_after(&query, page, after.as_ref()).await;
        // The receiver is gone only when the app has quit; nothing is waiting for this answer.
        let _ = tx.send(Msg::Listing(ListingMsg::Page {
            generation,
            page: page.number,
            result,
        }));
    })
    .abort_handle()
}
