//! Finding the last rows of a listing S3 can only read forward, without walking it: a search
//! of the key space for a `start-after` key after which fewer than a page of keys remain.
//!
//! Every probe lists one page after a candidate key `x` and learns `f(x)`, how many entries
//! follow it (exactly, when the page is not truncated), or that more than a page does, and
//! then its last key is a better lower bound than `x` itself. Probes are spread evenly
//! between the bounds over the strings made of the bytes the listing's keys were seen to use,
//! so few probes are spent where no key is. Byte order is S3's order; probes are valid UTF-8; several are in flight per
//! round, and the last one's page is the answer.

use std::collections::BTreeSet;

use futures::future::join_all;

use crate::api::dialect::{Page, PageRequest};
use crate::api::{ApiError, Client, FileRecord, ListQuery};

/// Probes per round, in flight together.
const PROBES: usize = 7;
/// Rounds before giving up (each narrows the range of keys about eightfold).
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
    /// The rows themselves, as the last request listed them.
    pub records: Vec<FileRecord>,
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

/// Every byte a key may hold at any position, for places no key has shown the alphabet of.
fn all_bytes() -> Vec<u8> {
    (0x20..=0xF4).collect()
}

/// The bytes the keys seen so far use (past the listing's prefix), sorted: the probes are
/// made of them, so few are spent where no key can be. Every byte, before any key is seen.
fn alphabet(seen: &BTreeSet<u8>) -> Vec<Vec<u8>> {
    if seen.len() < 2 {
        vec![all_bytes()]
    } else {
        vec![seen.iter().copied().collect()]
    }
}

/// `count` probe keys strictly between `lo` and `hi` (byte order), spread evenly over the
/// strings whose byte at each position (after the shared beginning) is one of that
/// position's alphabet (sorted; the last alphabet serves every later position). A digit 0
/// ends the string.
pub fn spread(lo: &[u8], hi: &[u8], count: usize, alphabets: &[Vec<u8>]) -> Vec<String> {
    let common = lo.iter().zip(hi).take_while(|(a, b)| a == b).count();
    let Some(last) = alphabets.last() else {
        return Vec::new();
    };
    let alphabet = |i: usize| alphabets.get(i).unwrap_or(last);
    // Mixed radix: as many places as fit in 126 bits.
    let mut bases = Vec::new();
    let mut span: u128 = 1;
    for i in 0..24 {
        let base = alphabet(i).len() as u128 + 1;
        match span.checked_mul(base) {
            Some(next) if next < (1u128 << 126) => {
                span = next;
                bases.push(base);
            }
            _ => break,
        }
    }
    let value = |bytes: &[u8]| -> u128 {
        bases.iter().enumerate().fold(0u128, |acc, (i, base)| {
            let d = bytes
                .get(common + i)
                .map_or(0, |b| alphabet(i).partition_point(|s| s <= b) as u128);
            acc * base + d
        })
    };
    let (a, b) = (value(lo), value(hi));
    if b <= a + 1 {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for i in 1..=count as u128 {
        let mut v = a + (b - a) * i / (count as u128 + 1);
        let mut digits = vec![0usize; bases.len()];
        for (place, base) in bases.iter().enumerate().rev() {
            digits[place] = (v % base) as usize;
            v /= base;
        }
        let mut bytes = lo[..common].to_vec();
        for (place, d) in digits.into_iter().enumerate() {
            if d == 0 {
                break;
            }
            bytes.push(alphabet(place)[d - 1]);
        }
        // No control characters in a probe: servers that echo `start-after` unencoded (some
        // S3-compatible ones do) would write them into XML, where they cannot be. A space
        // is the next key up; what lies between is keys with control characters, which are
        // rare.
        if let Some(at) = bytes[common..].iter().position(|b| *b < 0x20) {
            bytes.truncate(common + at);
            bytes.push(b' ');
        }
        let text = valid_utf8(bytes);
        if text.as_bytes() > lo && text.as_bytes() < hi && out.last() != Some(&text) {
            out.push(text);
        }
    }
    out
}

/// The smallest key after every key that starts with `lo`'s first `chars` characters: their
/// last character, one up. Probing these from the longest beginning to the shortest finds how
/// far the keys near `lo` reach, where spreading over the whole range would need a round per
/// character of a long key.
fn past_prefix(lo: &str, chars: usize) -> Option<String> {
    let mut kept: Vec<char> = lo.chars().take(chars).collect();
    let last = kept.pop()?;
    let mut next = u32::from(last) + 1;
    if (0xD800..0xE000).contains(&next) {
        next = 0xE000;
    }
    kept.push(char::from_u32(next)?);
    Some(kept.into_iter().collect())
}

/// Probes past the beginnings of `lo` that end a path segment (`videos/2021/03/` →
/// `videos/2021/030`), and past a few beginnings between, longest first, below `hi`.
fn prefix_probes(lo: &str, hi: &[u8], count: usize) -> Vec<String> {
    let common = lo
        .bytes()
        .zip(hi.iter())
        .take_while(|(a, b)| a == *b)
        .count();
    let chars: Vec<char> = lo.chars().collect();
    let start = lo[..common].chars().count() + 1;
    let mut depths: Vec<usize> = (start..chars.len())
        .filter(|&n| chars[n - 1] == '/')
        .collect();
    // Between segment ends too, so a long name is not one step.
    let mut extra: Vec<usize> = (start..chars.len()).step_by(4).collect();
    depths.append(&mut extra);
    depths.sort_unstable();
    depths.dedup();
    let mut out: Vec<String> = depths
        .into_iter()
        .rev()
        .filter_map(|n| past_prefix(lo, n))
        .filter(|p| p.as_str() > lo && p.as_bytes() < hi)
        .collect();
    out.dedup();
    // Spread over the depths, the longest beginnings first.
    if out.len() > count {
        let step = out.len() as f64 / count as f64;
        out = (0..count)
            .map(|i| out[(i as f64 * step) as usize].clone())
            .collect();
    }
    out.sort();
    out
}

/// Bytes as a key: the valid beginning, then the smallest character at or above the first
/// invalid byte's lead, so the key stays near the point.
fn valid_utf8(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let mut text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let next = match bytes[valid] {
                0x80..=0xC1 => '\u{80}',
                0xC2..=0xDF => {
                    char::from_u32(u32::from(bytes[valid] & 0x1F) << 6).unwrap_or('\u{80}')
                }
                0xE0..=0xEF => char::from_u32((u32::from(bytes[valid] & 0x0F) << 12).max(0x800))
                    .unwrap_or('\u{E000}'),
                _ => '\u{10000}',
            };
            text.push(next);
            text
        }
    }
}

/// What one probe learned.
enum Probe {
    /// More than a page follows `x`; the page's last key is a better lower bound.
    More(String),
    /// Exactly these entries follow `x`.
    Rows(Vec<FileRecord>),
}

/// Lists one page after `after`; remembers its keys in `seen`.
async fn probe(
    client: &Client,
    query: &ListQuery,
    after: Option<String>,
    size: usize,
) -> Result<(Probe, Vec<String>), ApiError> {
    let mut q = query.clone();
    q.start_after = after;
    let page: Page = client
        .list_page(&q, PageRequest { number: 1, size })
        .await?;
    let keys = page.records.iter().map(|r| r.id.clone()).collect();
    let probe = if page.has_next == Some(true) {
        Probe::More(page.records.last().map(|r| past(&r.id)).unwrap_or_default())
    } else {
        Probe::Rows(page.records)
    };
    Ok((probe, keys))
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
    let mut requests = 0;
    let mut lo: Option<String> = from.map(past);
    // Every key of the listing starts with its prefix: the probes look nowhere else.
    let prefix = client.dialect().key_prefix(query).into_bytes();
    let above = |tail: &[u8]| [prefix.as_slice(), tail].concat();
    let mut seen: BTreeSet<u8> = BTreeSet::new();
    let skip = prefix.len();
    let remember = |seen: &mut BTreeSet<u8>, keys: Vec<String>| {
        for key in keys {
            seen.extend(key.bytes().skip(skip).filter(|b| *b >= 0x20));
        }
    };
    // The listing from `lo` on may itself be short.
    requests += 1;
    match probe(client, query, lo.clone(), size).await? {
        (Probe::Rows(records), _) => {
            return Ok(Tail {
                start_after: lo,
                rows: records.len(),
                requests,
                records,
            });
        }
        (Probe::More(last), keys) => {
            lo = Some(last);
            remember(&mut seen, keys);
        }
    }
    let mut hi: Vec<u8> = above(TOP);
    // Found so far: a key with fewer than `want` entries after it, and those.
    let mut short: Option<(String, Vec<FileRecord>)> = None;
    for round in 0..ROUNDS {
        let lo_bytes = lo.clone().unwrap_or_default().into_bytes();
        let points = |lo: &[u8], hi: &[u8], count: usize| {
            let p = spread(lo, hi, count, &alphabet(&seen));
            if p.is_empty() {
                spread(lo, hi, count, &[all_bytes()])
            } else {
                p
            }
        };
        // The first round looks among ASCII keys, and asks once whether any lies beyond.
        let points = if round == 0 {
            let mut p = points(&lo_bytes, &above(b"\x7f"), PROBES - 1);
            let beyond = String::from_utf8(above("\u{80}".as_bytes())).unwrap_or_default();
            if beyond.as_bytes() > lo_bytes.as_slice() {
                p.push(beyond);
            }
            p
        } else {
            // Past the beginnings of the lower bound first: most keys near it share a long
            // beginning with it; then evenly between the bounds.
            let lo_text = lo.clone().unwrap_or_default();
            let mut p = prefix_probes(&lo_text, &hi, PROBES / 2 + 1);
            let spread_count = PROBES - p.len();
            p.extend(points(&lo_bytes, &hi, spread_count));
            p.sort();
            p.dedup();
            p
        };
        if points.is_empty() {
            break;
        }
        requests += points.len();
        tracing::debug!(round, lo = ?lo, hi = %String::from_utf8_lossy(&hi), points = ?points, "tail probes");
        let answers = join_all(
            points
                .iter()
                .map(|x| probe(client, query, Some(x.clone()), size)),
        )
        .await;
        let mut next_lo = lo.clone();
        let mut next_hi: Option<String> = None;
        for (x, answer) in points.iter().zip(answers) {
            let (answer, keys) = answer?;
            remember(&mut seen, keys);
            tracing::debug!(x = %x, result = %match &answer { Probe::More(l) => format!("more, last {l}"), Probe::Rows(r) => format!("{} rows", r.len()) }, "tail probe");
            match answer {
                Probe::More(last) => {
                    if next_lo.as_deref().is_none_or(|l| last.as_str() > l) {
                        next_lo = Some(last);
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
                    if next_hi.is_none() {
                        next_hi = Some(x.clone());
                        if !records.is_empty() {
                            short = Some((x.clone(), records));
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
    match probe(client, query, lo.clone(), size).await?.0 {
        Probe::Rows(records) => Ok(Tail {
            start_after: lo,
            rows: records.len(),
            requests,
            records,
        }),
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

    #[test]
    fn probes_lie_strictly_between_and_in_order() {
        let p = spread(b"documents/2020", b"z", 6, &[all_bytes()]);
        assert_eq!(p.len(), 6);
        for w in p.windows(2) {
            assert!(w[0] < w[1]);
        }
        assert!(
            p.iter()
                .all(|x| x.as_str() > "documents/2020" && x.as_str() < "z")
        );
        // Close bounds share their beginning, and the probes keep it.
        let p = spread(b"logs/2025/03/a", b"logs/2025/03/c", 3, &[all_bytes()]);
        assert!(p.iter().all(|x| x.starts_with("logs/2025/03/")), "{p:?}");
        assert!(spread(b"a", b"a\x00", 3, &[all_bytes()]).is_empty());
        // No control characters, whatever the bounds.
        let p = spread(b"flat/0", b"flat/1", 6, &[all_bytes()]);
        assert!(!p.is_empty());
        assert!(p.iter().all(|x| !x.bytes().any(|b| b < 0x20)), "{p:?}");
    }

    #[test]
    fn probes_use_the_bytes_keys_were_seen_to_use() {
        let hex: Vec<u8> = b"0123456789abcdef".to_vec();
        let p = spread(b"k/3", b"k/c", 4, std::slice::from_ref(&hex));
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(
            p.iter().all(|x| x[2..].bytes().all(|b| hex.contains(&b))),
            "{p:?}"
        );
    }

    #[test]
    fn prefix_probes_step_past_the_segments_of_the_lower_bound() {
        let p = prefix_probes("videos/2021/03/Onboarding.mp4", b"v\xc2\x80", 8);
        // Past whole segments: every key under `videos/2021/03/`, `videos/2021/` is below.
        assert!(p.contains(&"videos/2021/030".to_string()), "{p:?}");
        assert!(p.contains(&"videos/20210".to_string()), "{p:?}");
        assert!(
            p.iter()
                .all(|x| x.as_str() > "videos/2021/03/Onboarding.mp4")
        );
        assert!(p.iter().all(|x| x.as_bytes() < b"v\xc2\x80".as_slice()));
        assert_eq!(past_prefix("a/b", 2).as_deref(), Some("a0"));
        assert_eq!(past_prefix("\u{D7FF}", 1).as_deref(), Some("\u{E000}"));
    }

    #[test]
    fn probes_past_ascii_are_valid_utf8() {
        let p = spread("日本".as_bytes(), TOP, 6, &[all_bytes()]);
        assert!(!p.is_empty());
        for x in &p {
            assert!(
                x.as_bytes() > "日本".as_bytes() && x.as_bytes() < TOP,
                "{x:?}"
            );
        }
    }
}
