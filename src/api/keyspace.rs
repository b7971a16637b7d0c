//! The key space of a listing that can only be read forward from a start key (S3's
//! `start-after`), learned from the keys its answers show, so that keys chosen between two
//! bounds fall where keys are: a family's tail search ([`crate::api::Reach::find_tail`])
//! bisects on it, and a key-range splitter can cut a range into parts with it ([`split`]).
//!
//! What is learned: the bytes seen at each position of the keys that share the bounds'
//! common beginning ("the first differing position" and those after it), widened to the class
//! they suggest — a digit to every digit, a digit run that shows a hex letter anywhere to hex,
//! two letters at a position to their case's alphabet; a position that showed a single letter
//! (a `T` between date and time) keeps it alone. Keys map to numbers in that mixed radix, in
//! byte order, so even steps between two numbers are even steps between keys under the model.
//!
//! A model is a guess: keys beyond it (a byte no key showed yet) stay reachable, because every
//! byte maps to the nearest model number below it, answers teach the model what they show,
//! and [`KeyModel::top`] asks each round whether any key lies past the model's last byte.

/// At most this many keys are kept to learn from (the tail search sees at most ~90 pages).
const KEPT: usize = 100_000;
/// Fewer keys than this under the bounds' common beginning: learn from every key seen.
const FOCUS: usize = 50;
/// Places of the mixed radix (as many as fit in 126 bits are used).
const PLACES: usize = 24;

/// Every byte a key may hold, for positions no key has shown.
fn all_bytes() -> Vec<u8> {
    (0x20..=0xF4).collect()
}

/// The key just past an entry: itself for an object, past everything under it for a
/// folder (a common prefix rolls up every key below it).
pub fn past(id: &str) -> String {
    if id.ends_with('/') {
        format!("{id}\u{10FFFF}")
    } else {
        id.to_string()
    }
}

/// What a position's bytes look like.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Digits,
    Hex,
    Other,
}

fn kind(seen: &[bool; 256]) -> Kind {
    let mut any = false;
    let mut hex_letter = false;
    for (b, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
        any = true;
        match b as u8 {
            b'0'..=b'9' => {}
            b'a'..=b'f' => hex_letter = true,
            _ => return Kind::Other,
        }
    }
    match (any, hex_letter) {
        (false, _) => Kind::Other,
        (true, true) => Kind::Hex,
        (true, false) => Kind::Digits,
    }
}

/// The bytes a position's seen bytes suggest it may hold, sorted.
fn widen(seen: &[bool; 256], hex_run: bool) -> Vec<u8> {
    let mut out = [false; 256];
    let letters = seen
        .iter()
        .enumerate()
        .filter(|(b, s)| **s && (*b as u8).is_ascii_alphabetic())
        .count();
    let mut set = |range: std::ops::RangeInclusive<u8>| {
        for b in range {
            out[usize::from(b)] = true;
        }
    };
    for (b, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
        let b = b as u8;
        match b {
            b'0'..=b'9' => set(b'0'..=b'9'),
            b'a'..=b'z' | b'A'..=b'Z' if letters < 2 => set(b..=b),
            b'a'..=b'f' => set(b'a'..=b'f'),
            b'g'..=b'z' => set(b'a'..=b'z'),
            b'A'..=b'F' => set(b'A'..=b'F'),
            b'G'..=b'Z' => set(b'A'..=b'Z'),
            _ => set(b..=b),
        }
    }
    if hex_run {
        set(b'0'..=b'9');
        set(b'a'..=b'f');
    }
    (0..=255u8).filter(|b| out[usize::from(*b)]).collect()
}

/// What the keys seen so far say about the key space.
#[derive(Debug, Default, Clone)]
pub struct KeyModel {
    keys: Vec<Vec<u8>>,
}

impl KeyModel {
    /// Remembers keys an answer showed.
    pub fn learn<'a>(&mut self, keys: impl IntoIterator<Item = &'a str>) {
        for key in keys {
            if self.keys.len() < KEPT {
                self.keys.push(key.as_bytes().to_vec());
            }
        }
    }

    /// The alphabet of each position from `start` on, learned from the keys that begin with
    /// `beginning` (from every key, when few do).
    fn alphabets(&self, beginning: &[u8], start: usize, count: usize) -> Vec<Vec<u8>> {
        let focused = self
            .keys
            .iter()
            .filter(|k| k.starts_with(beginning))
            .count();
        let mut seen: Vec<[bool; 256]> = Vec::new();
        for key in self
            .keys
            .iter()
            .filter(|k| focused < FOCUS || k.starts_with(beginning))
        {
            for (i, b) in key.iter().enumerate() {
                if i >= seen.len() {
                    seen.push([false; 256]);
                }
                if *b >= 0x20 {
                    seen[i][usize::from(*b)] = true;
                }
            }
        }
        let kinds: Vec<Kind> = seen.iter().map(kind).collect();
        let numeric = |i: usize| matches!(kinds.get(i), Some(Kind::Digits | Kind::Hex));
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(count);
        for i in start..start + count {
            let alphabet = match seen.get(i) {
                Some(s) if s.iter().any(|b| *b) => {
                    // A digit run that shows a hex letter anywhere is hex throughout.
                    let hex_run = numeric(i) && {
                        let first = (0..i).rev().take_while(|&j| numeric(j)).last().unwrap_or(i);
                        let last = (i + 1..kinds.len())
                            .take_while(|&j| numeric(j))
                            .last()
                            .unwrap_or(i);
                        kinds[first..=last].contains(&Kind::Hex)
                    };
                    widen(s, hex_run)
                }
                _ => out.last().cloned().unwrap_or_else(all_bytes),
            };
            out.push(alphabet);
        }
        out
    }

    /// Where keys between `lo` and `hi` are measured (see [`Frame`]); over every byte when
    /// the model knows no key between them.
    pub fn frame(&self, lo: &[u8], hi: &[u8]) -> Frame {
        let common = common_len(lo, hi);
        let frame = Frame::new(&lo[..common], self.alphabets(&lo[..common], common, PLACES));
        if frame.value(hi) > frame.value(lo).saturating_add(1) {
            frame
        } else {
            Frame::new(&lo[..common], vec![all_bytes()])
        }
    }

    /// The first key past every byte the model allows at the bounds' first differing
    /// position, if it lies between them: a key there says the model is too narrow.
    pub fn top(&self, lo: &[u8], hi: &[u8]) -> Option<String> {
        let common = common_len(lo, hi);
        let alphabet = self.alphabets(&lo[..common], common, 1).pop()?;
        let last = *alphabet.last()?;
        let mut bytes = lo[..common].to_vec();
        bytes.push(last.saturating_add(1).min(0xF4));
        let key = valid_utf8(bytes);
        (key.as_bytes() > lo && key.as_bytes() < hi).then_some(key)
    }
}

fn common_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Keys after a common beginning as numbers: each place one of its alphabet's bytes (1…n)
/// or the end of the key (0). Order-preserving: a byte outside the alphabet counts as the
/// model key just below it.
#[derive(Debug, Clone)]
pub struct Frame {
    beginning: Vec<u8>,
    alphabets: Vec<Vec<u8>>,
    bases: Vec<u128>,
}

impl Frame {
    /// The frame after `beginning` whose places have these alphabets (the last serves every
    /// later place), as many places as fit in 126 bits.
    fn new(beginning: &[u8], mut alphabets: Vec<Vec<u8>>) -> Frame {
        let mut bases = Vec::new();
        let mut span: u128 = 1;
        for i in 0..PLACES {
            if i >= alphabets.len() {
                let last = alphabets.last().cloned().unwrap_or_else(all_bytes);
                alphabets.push(last);
            }
            let base = alphabets[i].len() as u128 + 1;
            match span.checked_mul(base) {
                Some(next) if next < (1u128 << 126) => {
                    span = next;
                    bases.push(base);
                }
                _ => break,
            }
        }
        Frame {
            beginning: beginning.to_vec(),
            alphabets,
            bases,
        }
    }

    /// The number of `key` (which begins with the frame's beginning, or sorts outside it).
    pub fn value(&self, key: &[u8]) -> u128 {
        let start = self.beginning.len();
        let mut beyond = false;
        self.bases.iter().enumerate().fold(0u128, |acc, (i, base)| {
            let digit = if beyond {
                base - 1
            } else {
                match key.get(start + i) {
                    None => 0,
                    Some(b) => {
                        let alphabet = &self.alphabets[i];
                        let at = alphabet.partition_point(|s| s < b);
                        if alphabet.get(at) == Some(b) {
                            at as u128 + 1
                        } else {
                            // Between two model bytes: above every model key under the lower.
                            beyond = true;
                            at as u128
                        }
                    }
                }
            };
            acc * base + digit
        })
    }

    /// The key of number `value`: valid UTF-8, no control characters.
    pub fn key(&self, mut value: u128) -> String {
        let mut digits = vec![0usize; self.bases.len()];
        for (place, base) in self.bases.iter().enumerate().rev() {
            digits[place] = (value % base) as usize;
            value /= base;
        }
        let mut bytes = self.beginning.clone();
        for (place, d) in digits.into_iter().enumerate() {
            if d == 0 {
                break;
            }
            bytes.push(self.alphabets[place][d - 1]);
        }
        // No control characters in a key sent: servers that echo `start-after` unencoded
        // (some S3-compatible ones do) would write them into XML, where they cannot be. A
        // space is the next key up; what lies between is keys with control characters.
        let start = self.beginning.len();
        if let Some(at) = bytes[start..].iter().position(|b| *b < 0x20) {
            bytes.truncate(start + at);
            bytes.push(b' ');
        }
        valid_utf8(bytes)
    }
}

/// Bytes as a key: the valid beginning, then the smallest character at or above the first
/// invalid byte's lead, so the key stays near the point.
pub fn valid_utf8(bytes: Vec<u8>) -> String {
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
                lead => char::from_u32((u32::from(lead & 0x07) << 18).clamp(0x1_0000, 0x10_FFFF))
                    .unwrap_or('\u{10000}'),
            };
            text.push(next);
            text
        }
    }
}

/// `count` keys strictly between `lo` and `hi`, evenly spaced under the model: the cut points
/// of a key range into parts of about as many keys each, as far as the model knows.
pub fn split(model: &KeyModel, lo: &str, hi: &[u8], count: usize) -> Vec<String> {
    let frame = model.frame(lo.as_bytes(), hi);
    let (a, b) = (frame.value(lo.as_bytes()), frame.value(hi));
    let span = b.saturating_sub(a);
    let offsets = (1..=count as u128).map(|i| span / (count as u128 + 1) * i);
    between(&frame, lo, hi, a, offsets)
}

/// The keys at `a + offset`, strictly between the bounds, in order, once each.
fn between(
    frame: &Frame,
    lo: &str,
    hi: &[u8],
    a: u128,
    offsets: impl Iterator<Item = u128>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in offsets {
        let key = frame.key(a.saturating_add(d));
        if key.as_str() > lo && key.as_bytes() < hi && out.last() != Some(&key) {
            out.push(key);
        }
    }
    out
}

/// Where a boundary (the tail's start, a part's end) may lie, from the lower bound up to
/// the upper: a mixture of "anywhere, evenly" (keys fill the model: UUIDs, hex) and "at any
/// scale, evenly" (keys fill a corner of it: counters, dates, a constant beginning the model
/// cannot know yet). Each round's answer moves the weight toward the shape that predicted it.
#[derive(Debug, Clone, Copy)]
pub struct Prior {
    /// The weight of "at any scale".
    scale: f64,
}

impl Default for Prior {
    fn default() -> Self {
        Prior { scale: 0.5 }
    }
}

/// Neither shape is ever ruled out.
const LEAST: f64 = 0.15;

impl Prior {
    /// The share of the mixture below `d` of `span`, `width` being the spread of one page.
    fn cdf(share: f64, d: f64, span: f64, width: f64) -> f64 {
        let width = width.clamp(1.0, span / 2.0);
        let scale = if d <= width {
            0.0
        } else {
            (d / width).ln() / (span / width).ln()
        };
        share * scale.min(1.0) + (1.0 - share) * (d / span).min(1.0)
    }

    /// `count` offsets in (0, `span`) that cut the mixture into equal shares.
    pub fn offsets(&self, span: u128, width: u128, count: usize) -> Vec<u128> {
        let (s, w) = (span as f64, width as f64);
        (1..=count)
            .map(|i| {
                let q = i as f64 / (count as f64 + 1.0);
                let (mut low, mut high) = (0.0f64, s);
                for _ in 0..200 {
                    // Halve in ratio while the range spans scales, then in difference.
                    let mid = if high < low * 4.0 + 1.0 {
                        (low + high) / 2.0
                    } else {
                        (low.max(1.0) * high).sqrt()
                    };
                    if Prior::cdf(self.scale, mid, s, w) < q {
                        low = mid;
                    } else {
                        high = mid;
                    }
                }
                (high as u128).clamp(1, span.saturating_sub(1).max(1))
            })
            .collect()
    }

    /// The boundary was found between offsets `below` and `above` (of `span`): weigh each
    /// shape by how likely it made that.
    pub fn learn(&mut self, span: u128, width: u128, below: u128, above: u128) {
        let (s, w) = (span as f64, width as f64);
        let (b, a) = (below as f64, above.min(span) as f64);
        let by_scale = Prior::cdf(1.0, a, s, w) - Prior::cdf(1.0, b, s, w);
        let evenly = Prior::cdf(0.0, a, s, w) - Prior::cdf(0.0, b, s, w);
        let total = self.scale * by_scale + (1.0 - self.scale) * evenly;
        if total > 0.0 {
            self.scale = (self.scale * by_scale / total).clamp(LEAST, 1.0 - LEAST);
        }
    }

    /// Keys between `lo` and `hi` where the boundary is as likely below as above each, `width`
    /// being the spread of one page under the frame.
    pub fn points(
        &self,
        frame: &Frame,
        lo: &str,
        hi: &[u8],
        width: u128,
        count: usize,
    ) -> Vec<String> {
        let (a, b) = (frame.value(lo.as_bytes()), frame.value(hi));
        if b <= a.saturating_add(1) || count == 0 {
            return Vec::new();
        }
        let offsets = self.offsets(b - a, width, count);
        between(frame, lo, hi, a, offsets.into_iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(keys: &[&str]) -> KeyModel {
        let mut m = KeyModel::default();
        m.learn(keys.iter().copied());
        m
    }

    #[test]
    fn values_keep_byte_order_even_for_bytes_the_model_never_saw() {
        let m = model(&["obj-00000", "obj-00123", "obj-00999"]);
        let frame = m.frame(b"obj-00999", b"obj.");
        let keys: [&[u8]; 6] = [
            b"obj-00999",
            b"obj-01",
            b"obj-1",
            b"obj-99999",
            b"obj-\xc3\xa9",
            b"obj.",
        ];
        for pair in keys.windows(2) {
            // Never out of order; keys the model has no place for share their neighbour's.
            assert!(
                frame.value(pair[0]) <= frame.value(pair[1]),
                "{:?} {:?}",
                String::from_utf8_lossy(pair[0]),
                String::from_utf8_lossy(pair[1])
            );
        }
        // Keys the model has places for are told apart.
        assert!(frame.value(b"obj-00999") < frame.value(b"obj-01"));
        assert!(frame.value(b"obj-1") < frame.value(b"obj-99999"));
        assert!(frame.value(b"obj-99999") < frame.value(b"obj."));
    }

    #[test]
    fn a_digit_run_that_shows_hex_is_hex_and_a_lone_letter_stays_alone() {
        let m = model(&["0000a1b2-x", "00003c4d-x", "00009e8f-x"]);
        let alphabets = m.alphabets(b"", 0, 9);
        let hex: Vec<u8> = b"0123456789abcdef".to_vec();
        assert_eq!(alphabets[0], hex, "the run's first place is hex too");
        assert_eq!(alphabets[8], b"-".to_vec());
        let m = model(&["20250101T000000Z", "20250101T000512Z", "20250101T001024Z"]);
        let alphabets = m.alphabets(b"", 0, 16);
        assert_eq!(alphabets[8], b"T".to_vec());
        assert_eq!(alphabets[0], b"0123456789".to_vec());
    }

    #[test]
    fn split_points_lie_strictly_between_in_order_and_are_valid_keys() {
        let m = model(&["a/0001", "a/0002", "a/0999"]);
        for (lo, hi) in [
            ("a/0999", "a/1".as_bytes()),
            ("a/0999", b"\xf4\x90".as_slice()),
            ("日本", b"\xf4\x90".as_slice()),
            ("flat/0", b"flat/1".as_slice()),
        ] {
            let p = split(&m, lo, hi, 6);
            assert!(!p.is_empty(), "{lo} {hi:?}");
            for w in p.windows(2) {
                assert!(w[0] < w[1]);
            }
            for x in &p {
                assert!(x.as_str() > lo && x.as_bytes() < hi, "{x:?}");
                assert!(!x.bytes().any(|b| b < 0x20), "{x:?}");
            }
        }
        assert!(split(&m, "a", b"a\x00", 3).is_empty());
    }

    #[test]
    fn the_prior_spreads_by_scale_and_evenly_and_learns_which() {
        let prior = Prior::default();
        let offsets = prior.offsets(1_000_000_000, 1000, 7);
        assert_eq!(offsets.len(), 7);
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
        // Some near the page's width (by scale), some far (evenly).
        assert!(offsets[0] < 1_000_000, "{offsets:?}");
        assert!(offsets[6] > 500_000_000, "{offsets:?}");
        let mut scale = prior;
        scale.learn(1_000_000_000, 1000, 10_000, 100_000);
        assert!(scale.scale > 0.8);
        let mut even = prior;
        even.learn(1_000_000_000, 1000, 800_000_000, 900_000_000);
        assert!(even.scale < 0.2);
    }
}
