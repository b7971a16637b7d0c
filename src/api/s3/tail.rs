//! Finding the last rows of a listing S3 can only read forward, without walking it: a search
//! of the key space for a `start-after` key after which fewer than a page of keys remain.
//!
//! Every probe lists one page after a candidate key `x` and learns `f(x)`, how many entries
//! follow it (exactly, when the page is not truncated), or that more than a page does, and
//! then its last key is a better lower bound than `x` itself. Probes are spread evenly
//! between the bounds as base-256 fractions of the keys' UTF-8 bytes (byte order is S3's
//! order), repaired into valid UTF-8, several in flight per round.

use futures::future::join_all;

use crate::api::dialect::{Page, PageRequest};
use crate::api::{ApiError, Client, ListQuery};

/// Probes per round, in flight together.
const PROBES: usize = 7;
/// Rounds before giving up (each narrows the key range about sevenfold).
const ROUNDS: usize = 12;
/// Keys above every UTF-8 string S3 stores: the upper bound before any probe says better.
const TOP: &[u8] = &[0xF4, 0x90];

/// Where the last rows start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// List after this key to get the last rows (`None`: the whole listing is short).
    pub start_after: Option<String>,
    /// How many rows follow it.
    pub rows: usize,
    /// Requests the search made.
    pub requests: usize,
}

/// The key just past an entry: itself for an object, past everything under it for a
/// folder (a common prefix rolls up every key below it).
fn past(id: &str) -> String {
    if id.ends_with('/') {
        format!("{id}\u{10FFFF}")
    } else {
        id.to_string()
    }
}

/// Every byte a key may hold at any position, for bounds no key has shown the alphabet of.
fn all_bytes() -> Vec<u8> {
    (0x20..=0xF4).collect()
}

/// `count` probe keys strictly between `lo` and `hi` (byte order), spread evenly over the
/// strings made of `alphabet` (sorted bytes: those the listing's keys were seen to use, so
/// no probe is spent where no key can be). A digit 0 ends the string.
pub fn spread(lo: &[u8], hi: &[u8], count: usize, alphabet: &[u8]) -> Vec<String> {
    let common = lo.iter().zip(hi).take_while(|(a, b)| a == b).count();
    let base = alphabet.len() as u128 + 1;
    // As many digits as fit in 126 bits.
    let mut places = 0u32;
    while places < 16 && base.pow(places + 1) < (1u128 << 126) {
        places += 1;
    }
    let digit = |b: u8| alphabet.partition_point(|s| *s <= b) as u128;
    let value = |bytes: &[u8]| -> u128 {
        (0..places as usize).fold(0u128, |acc, i| {
            acc * base + bytes.get(common + i).map_or(0, |b| digit(*b))
        })
    };
    let (a, b) = (value(lo), value(hi));
    if b <= a + 1 {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for i in 1..=count as u128 {
        let mut v = a + (b - a) * i / (count as u128 + 1);
        let mut digits = Vec::with_capacity(places as usize);
        for _ in 0..places {
            digits.push((v % base) as usize);
            v /= base;
        }
        let mut bytes = lo[..common].to_vec();
        for d in digits.into_iter().rev() {
            if d == 0 {
                break;
            }
            bytes.push(alphabet[d - 1]);
        }
        // No control characters in a probe: servers that echo `start-after` unencoded (some
        // S3-compatible ones do) would write them into XML, where they cannot be. A space
        // is the next key up; what lies between is keys with control characters, which are
        // rare.
        if let Some(at) = bytes[common..].iter().position(|b| *b < 0x20) {
            bytes.truncate(common + at);
            bytes.push(b' ');
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                // Keep the valid beginning, then the smallest character at or above the
                // first invalid byte's lead, so the key stays near the point.
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let mut text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                let next = match bytes[valid] {
                    0x80..=0xC1 => '\u{80}',
                    0xC2..=0xDF => {
                        char::from_u32(u32::from(bytes[valid] & 0x1F) << 6).unwrap_or('\u{80}')
                    }
                    0xE0..=0xEF => {
                        char::from_u32((u32::from(bytes[valid] & 0x0F) << 12).max(0x800))
                            .unwrap_or('\u{E000}')
                    }
                    _ => '\u{10000}',
                };
                text.push(next);
                text
            }
        };
        if text.as_bytes() > lo && text.as_bytes() < hi && out.last() != Some(&text) {
            out.push(text);
        }
    }
    out
}

/// What one probe learned.
enum Probe {
    /// More than a page follows `x`; the page's last key is a better lower bound.
    More(String),
    /// Exactly this many entries follow `x`.
    Rows(usize),
}

/// Lists one page after `after`; also adds the bytes its keys use (past `skip`, the
/// listing's prefix) to `alphabet`.
async fn probe(
    client: &Client,
    query: &ListQuery,
    after: Option<String>,
    size: usize,
    skip: usize,
) -> Result<(Probe, std::collections::BTreeSet<u8>), ApiError> {
    let mut q = query.clone();
    q.start_after = after;
    let page: Page = client
        .list_page(&q, PageRequest { number: 1, size })
        .await?;
    let seen = page
        .records
        .iter()
        .flat_map(|r| r.id.as_bytes().iter().skip(skip).copied())
        .filter(|b| *b >= 0x20)
        .collect();
    let probe = if page.has_next == Some(true) {
        Probe::More(page.records.last().map(|r| past(&r.id)).unwrap_or_default())
    } else {
        Probe::Rows(page.records.len())
    };
    Ok((probe, seen))
}

/// Finds a key after which between `want` and a page (1,000) of entries of `query` remain,
/// starting from `from` (the last key already known, if any). With fewer entries in all, the
/// whole listing is the tail.
pub async fn find_tail(
    client: &Client,
    query: &ListQuery,
    want: usize,
    from: Option<&str>,
) -> Result<Tail, ApiError> {
    let size = client.dialect().capabilities().max_page_size;
    let want = want.clamp(1, size);
    let mut requests = 0;
    let mut lo: Option<String> = from.map(past);
    // Every key of the listing starts with its prefix: the probes look nowhere else.
    let prefix = client.dialect().key_prefix(query).into_bytes();
    let above = |tail: &[u8]| [prefix.as_slice(), tail].concat();
    // The listing from `lo` on may itself be short.
    requests += 1;
    let mut alphabet = match probe(client, query, lo.clone(), size, prefix.len()).await? {
        (Probe::Rows(rows), _) => {
            return Ok(Tail {
                start_after: lo,
                rows,
                requests,
            });
        }
        (Probe::More(last), seen) => {
            lo = Some(last);
            seen
        }
    };
    let mut hi: Vec<u8> = above(TOP);
    // Found so far: a key with fewer than `want` entries after it, and how many.
    let mut short: Option<(String, usize)> = None;
    for round in 0..ROUNDS {
        let lo_bytes = lo.clone().unwrap_or_default().into_bytes();
        let symbols: Vec<u8> = alphabet.iter().copied().collect();
        let points = |lo: &[u8], hi: &[u8], count: usize| {
            let p = spread(lo, hi, count, &symbols);
            if p.is_empty() {
                spread(lo, hi, count, &all_bytes())
            } else {
                p
            }
        };
        // The first round looks where the keys seen so far are, and asks once whether any
        // key lies beyond ASCII.
        let points = if round == 0 && symbols.iter().all(u8::is_ascii) {
            let mut p = points(&lo_bytes, &above(b"\x7f"), PROBES - 1);
            let beyond = String::from_utf8(above("\u{80}".as_bytes())).unwrap_or_default();
            if beyond.as_bytes() > lo_bytes.as_slice() {
                p.push(beyond);
            }
            p
        } else {
            points(&lo_bytes, &hi, PROBES)
        };
        if points.is_empty() {
            break;
        }
        requests += points.len();
        let answers = join_all(
            points
                .iter()
                .map(|x| probe(client, query, Some(x.clone()), size, prefix.len())),
        )
        .await;
        let mut next_lo = lo.clone();
        let mut next_hi: Option<String> = None;
        for (x, answer) in points.iter().zip(answers) {
            let (answer, seen) = answer?;
            alphabet.extend(seen);
            match answer {
                Probe::More(last) => {
                    if next_lo.as_deref().is_none_or(|l| last.as_str() > l) {
                        next_lo = Some(last);
                    }
                }
                Probe::Rows(rows) if rows >= want => {
                    return Ok(Tail {
                        start_after: Some(x.clone()),
                        rows,
                        requests,
                    });
                }
                Probe::Rows(rows) => {
                    if next_hi.is_none() {
                        next_hi = Some(x.clone());
                        if rows > 0 {
                            short = Some((x.clone(), rows));
                        }
                    }
                }
            }
        }
        lo = next_lo;
        if let Some(h) = next_hi
            && h.as_bytes() < hi.as_slice()
        {
            hi = h.into_bytes();
        }
    }
    // Bounds that no longer separate: the lower one has at most a page after it, or the
    // short tail found is all there is to show.
    requests += 1;
    match probe(client, query, lo.clone(), size, prefix.len())
        .await?
        .0
    {
        Probe::Rows(rows) => Ok(Tail {
            start_after: lo,
            rows,
            requests,
        }),
        Probe::More(_) => match short {
            Some((x, rows)) => Ok(Tail {
                start_after: Some(x),
                rows,
                requests,
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

    #[test]
    fn probes_lie_strictly_between_and_in_order() {
        let p = spread(b"documents/2020", b"z", 6, &all_bytes());
        assert_eq!(p.len(), 6);
        for w in p.windows(2) {
            assert!(w[0] < w[1]);
        }
        assert!(
            p.iter()
                .all(|x| x.as_str() > "documents/2020" && x.as_str() < "z")
        );
        // Close bounds share their beginning, and the probes keep it.
        let p = spread(b"logs/2025/03/a", b"logs/2025/03/c", 3, &all_bytes());
        assert!(p.iter().all(|x| x.starts_with("logs/2025/03/")), "{p:?}");
        assert!(spread(b"a", b"a\x00", 3, &all_bytes()).is_empty());
        // No control characters, whatever the bounds.
        let p = spread(b"flat/0", b"flat/1", 6, &all_bytes());
        assert!(!p.is_empty());
        assert!(p.iter().all(|x| !x.bytes().any(|b| b < 0x20)), "{p:?}");
    }

    #[test]
    fn probes_use_the_bytes_keys_were_seen_to_use() {
        let hex: Vec<u8> = b"0123456789abcdef".to_vec();
        let p = spread(b"k/3", b"k/c", 4, &hex);
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(
            p.iter().all(|x| x[2..].bytes().all(|b| hex.contains(&b))),
            "{p:?}"
        );
    }

    #[test]
    fn probes_past_ascii_are_valid_utf8() {
        let p = spread("日本".as_bytes(), TOP, 6, &all_bytes());
        assert!(!p.is_empty());
        for x in &p {
            assert!(
                x.as_bytes() > "日本".as_bytes() && x.as_bytes() < TOP,
                "{x:?}"
            );
        }
    }
}
