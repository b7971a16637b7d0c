//! Finding the last rows of a listing S3 can only read forward, without walking it: a search
//! of the key space for a `start-after` key after which fewer than a page of keys remain.
//!
//! Every probe lists one page after a candidate key `x` and learns `f(x)`, how many entries
//! follow it (exactly, when the page is not truncated), or that more than a page does, and
//! then its last key is a better lower bound than `x` itself. The probes of a round (several
//! in flight together) are placed by what the keys seen so far say of the key space
//! ([`crate::api::keyspace`]): spread over the model's keys between the bounds, part evenly and
//! part by scale from the lower bound (a counter or a date fills a corner of the model), the
//! weight moving each round toward the shape that predicted where the boundary was; plus
//! one key past the model's last byte, and one past ASCII, so keys the model has not seen
//! yet are found. Byte order is S3's order; probes are valid UTF-8; the last probe's page is
//! the answer.

use futures::future::join_all;

use crate::api::dialect::{Page, PageRequest};
use crate::api::family::Tail;
use crate::api::keyspace::{Frame, KeyModel, Prior, past};
use crate::api::{ApiError, Client, FileRecord, ListQuery};

/// Probes per round, in flight together.
const PROBES: usize = 6;
/// Rounds before giving up.
const ROUNDS: usize = 12;
/// Bounds closer than this share of the last page's spread hold fewer than a page of keys,
/// if keys are as dense there: the search lists after the lower one.
const NEAR: f64 = 0.95;
/// Keys above every UTF-8 string S3 stores: the upper bound before any probe says better.
const TOP: &[u8] = &[0xF4, 0x90];

/// What one probe learned.
enum Probe {
    /// More than a page follows `x`: these entries first; past the last one is a better
    /// lower bound than `x`.
    More(Vec<FileRecord>),
    /// Exactly these entries follow `x`.
    Rows(Vec<FileRecord>),
}

/// Lists one page after `after`.
async fn probe(
    client: &Client,
    query: &ListQuery,
    after: Option<String>,
    size: usize,
) -> Result<Probe, ApiError> {
    let mut q = query.clone();
    q.start_after = after;
    let page: Page = client
        .list_page(&q, PageRequest { number: 1, size })
        .await?;
    Ok(if page.has_next == Some(true) && !page.records.is_empty() {
        Probe::More(page.records)
    } else {
        Probe::Rows(page.records)
    })
}

/// The full page that set the lower bound: listed after `after`, it ends just below it.
struct Below {
    after: Option<String>,
    records: Vec<FileRecord>,
}

impl Below {
    /// The lower bound: past its last entry.
    fn bound(&self) -> String {
        self.records.last().map(|r| past(&r.id)).unwrap_or_default()
    }

    /// How far its entries reach under `frame`, from its first to the bound.
    fn width(&self, frame: &Frame, lo: u128) -> u128 {
        self.records.first().map_or(1, |r| {
            lo.saturating_sub(frame.value(r.id.as_bytes())).max(1)
        })
    }

    /// The tail when `rows` follow the bound: fewer than `want` are topped up from the end
    /// of this page, which comes just before them.
    fn tail(&self, rows: Vec<FileRecord>, want: usize, requests: usize) -> Tail {
        let take = want.saturating_sub(rows.len()).min(self.records.len());
        let at = self.records.len() - take;
        let start_after = match at {
            0 => self.after.clone(),
            _ => Some(self.records[at - 1].id.clone()),
        };
        let mut records = self.records[at..].to_vec();
        records.extend(rows);
        Tail {
            start_after,
            rows: records.len(),
            requests,
            records,
        }
    }
}

/// Finds a key after which between `want` and a page (1,000) of entries of `query` remain,
/// starting from `from` (the last key already known, if any), and those entries. With fewer
/// entries in all, the whole listing is the tail.
pub async fn find_tail(
    client: &Client,
    query: &ListQuery,
    want: usize,
    from: Option<&str>,
) -> Result<Tail, ApiError> {
    let size = client.dialect().capabilities().max_page_size;
    let want = want.clamp(1, size);
    let mut requests = 1;
    let start = from.map(past);
    // Every key of the listing starts with its prefix: the probes look nowhere else.
    let prefix = client.dialect().key_prefix(query).into_bytes();
    let above = |tail: &[u8]| [prefix.as_slice(), tail].concat();
    let mut model = KeyModel::default();
    // The listing from `from` on may itself be short.
    let mut below = match probe(client, query, start.clone(), size).await? {
        Probe::Rows(records) => {
            return Ok(Tail {
                start_after: start,
                rows: records.len(),
                requests,
                records,
            });
        }
        Probe::More(records) => Below {
            after: start,
            records,
        },
    };
    model.learn(below.records.iter().map(|r| r.id.as_str()));
    let top = above(TOP);
    // The first keys of two-, three- and four-byte UTF-8: asked while nothing bounds the
    // search from above, the first alone (most buckets are ASCII; an answer past it says
    // more lie there).
    let lengths: Vec<String> = ["\u{80}", "\u{800}", "\u{10000}"]
        .iter()
        .filter_map(|c| String::from_utf8(above(c.as_bytes())).ok())
        .collect();
    let mut hi: Vec<u8> = top.clone();
    let mut prior = Prior::default();
    // Found so far: a key with fewer than `want` entries after it, and those.
    let mut short: Option<(String, Vec<FileRecord>)> = None;
    for round in 0..ROUNDS {
        let lo = below.bound();
        let frame = model.frame(lo.as_bytes(), &hi);
        let (a, b) = (frame.value(lo.as_bytes()), frame.value(&hi));
        // How far one page of keys reached under this frame.
        let width = below.width(&frame, a);
        let span = b.saturating_sub(a);
        let mut points: Vec<String> = Vec::new();
        points.extend(model.top(lo.as_bytes(), &hi));
        if hi == top {
            let asked = if round == 0 { 1 } else { lengths.len() };
            points.extend(lengths.iter().take(asked).filter(|x| **x > lo).cloned());
        }
        let spread = PROBES.saturating_sub(points.len());
        points.extend(prior.points(&frame, &lo, &hi, width, spread));
        points.retain(|x| *x > lo && x.as_bytes() < hi.as_slice());
        points.sort();
        points.dedup();
        // Fewer than a page lie between the bounds, if keys are as dense as the last page,
        // or no key the model can write does (between four-byte UTF-8 keys, say): list after
        // the lower one (a full page says otherwise, and moves it on).
        if points.is_empty() || (hi != top && span as f64 <= NEAR * width as f64) {
            requests += 1;
            match probe(client, query, Some(lo), size).await? {
                Probe::Rows(records) => return Ok(below.tail(records, want, requests)),
                Probe::More(records) => {
                    model.learn(records.iter().map(|r| r.id.as_str()));
                    below = Below {
                        after: Some(below.bound()),
                        records,
                    };
                    continue;
                }
            }
        }
        requests += points.len();
        tracing::debug!(round, lo = %lo, hi = %String::from_utf8_lossy(&hi), points = ?points, "tail probes");
        let answers = join_all(
            points
                .iter()
                .map(|x| probe(client, query, Some(x.clone()), size)),
        )
        .await;
        let mut next: Option<Below> = None;
        let mut more_below: Option<&String> = None;
        let mut next_hi: Option<String> = None;
        for (x, answer) in points.iter().zip(answers) {
            match answer? {
                Probe::More(records) => {
                    model.learn(records.iter().map(|r| r.id.as_str()));
                    more_below = Some(x);
                    let page = Below {
                        after: Some(x.clone()),
                        records,
                    };
                    if page.bound() > next.as_ref().map_or_else(|| lo.clone(), Below::bound) {
                        next = Some(page);
                    }
                }
                Probe::Rows(records) if records.len() >= want => {
                    return Ok(Tail {
                        start_after: Some(x.clone()),
                        rows: records.len(),
                        requests,
                        records,
                    });
                }
                Probe::Rows(records) => {
                    model.learn(records.iter().map(|r| r.id.as_str()));
                    if next_hi.is_none() {
                        next_hi = Some(x.clone());
                        if !records.is_empty() {
                            short = Some((x.clone(), records));
                        }
                    }
                }
            }
        }
        // Where the boundary fell says which shape the key space has.
        if span > 1 {
            let offset = |x: &[u8]| frame.value(x).saturating_sub(a);
            prior.learn(
                span,
                width,
                more_below.map_or(0, |x| offset(x.as_bytes())),
                next_hi.as_ref().map_or(span, |x| offset(x.as_bytes())),
            );
        }
        if let Some(page) = next {
            below = page;
        }
        if let Some(h) = next_hi
            && h.as_bytes() < hi.as_slice()
        {
            hi = h.into_bytes();
        }
    }
    // The bounds are close, or no longer separate: the lower one has at most a page after
    // it (topped up from the page before it), or the short tail found is all there is.
    requests += 1;
    match probe(client, query, Some(below.bound()), size).await? {
        Probe::Rows(records) => Ok(below.tail(records, want, requests)),
        Probe::More(_) => match short {
            Some((x, records)) => Ok(Tail {
                start_after: Some(x),
                rows: records.len(),
                requests,
                records,
            }),
            None => Err(ApiError::Inconsistent(
                "could not find the end of the listing by key; walk it with :N instead".to_string(),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::record;

    fn ids(records: &[FileRecord]) -> Vec<String> {
        records.iter().map(|r| r.id.clone()).collect()
    }

    #[test]
    fn a_short_tail_is_topped_up_from_the_end_of_the_page_before_it() {
        let below = Below {
            after: Some("id-0".into()),
            records: (1..=5).map(|i| record(i, "x")).collect(),
        };
        // Two rows after the bound, four wanted: two more from the page, listed after id-3.
        let tail = below.tail(vec![record(6, "x"), record(7, "x")], 4, 9);
        assert_eq!(ids(&tail.records), ["id-4", "id-5", "id-6", "id-7"]);
        assert_eq!(tail.start_after.as_deref(), Some("id-3"));
        assert_eq!((tail.rows, tail.requests), (4, 9));
        // More wanted than the page holds: all of it, listed after what it was listed after.
        let tail = below.tail(vec![record(6, "x")], 10, 9);
        assert_eq!(tail.rows, 6);
        assert_eq!(tail.start_after.as_deref(), Some("id-0"));
        // Enough rows: none taken, listed after the page's last entry.
        let rows: Vec<FileRecord> = (6..=9).map(|i| record(i, "x")).collect();
        let tail = below.tail(rows, 3, 9);
        assert_eq!(ids(&tail.records), ["id-6", "id-7", "id-8", "id-9"]);
        assert_eq!(tail.start_after.as_deref(), Some("id-5"));
    }
}
