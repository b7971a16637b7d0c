//! The bucket's keys: every record of the dataset placed under a realistic
//! prefix, plus the [`AWKWARD_KEYS`], sorted once in S3's order (UTF-8 bytes)
//! so that a listing page costs a binary search plus the page.
//!
//! The layout, by content type (the folder is drawn per record):
//!
//! - `uploads/{name}`: one record in ten, flat, so the prefix holds thousands
//!   of objects (10,000 of 100,000);
//! - `logs/{yyyy}/{mm}/{dd}/{name}`: text files drawn into `logs/`, by day;
//! - `{folder}{yyyy}/{mm}/{name}` for every other folder (`docs/invoices/`,
//!   `photos/`, `analytics/events/`, ...), by the month of `created_at`.
//!
//! `{name}` is the record's `file_name`, hostile names included (a name with
//! slashes such as `../../../etc/passwd` makes prefixes of its own, as it
//! would in a real bucket). Names repeat, keys cannot: the second record with
//! a key gets ` (2)` before its extension, the third ` (3)`, as a browser
//! names a second download.
//!
//! Memory: the keys live back to back in one arena (one allocation), each
//! with 16 bytes of position, length and object id; about 60 bytes a key, so
//! a million keys take some 60 MB. Building sorts with a cached 16-byte name
//! prefix so most comparisons never touch the arena.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::ops::Range;

use chrono::{DateTime, Datelike};

use super::spaces::KeySpace;
use crate::common::{Salt, pick};
use crate::dataset::Dataset;

/// Keys that trip naive clients, served beside the dataset's files (so a
/// bucket of `--files N` holds `N + 5` objects): a `+` and a literal `%20`
/// (which a form decoder turns into a space), a bare `%`, non-ASCII in the
/// prefix and the name, an ANSI escape (which XML 1.0 cannot carry without
/// `encoding-type=url`), and a space before the extension.
pub const AWKWARD_KEYS: [&str; 5] = [
    "weird/a+b c%20d.txt",
    "weird/100%.txt",
    "日本語/ファイル.txt",
    "weird/ctl\u{1b}[31mred.txt",
    "weird/trailing space .txt",
];

/// Every folder, sorted, none a prefix of another (so comparing folder ranks
/// compares the keys' first bytes, see [`SortKey`]), with how keys under it
/// are partitioned.
const FOLDERS: [(&str, Layout); 28] = [
    ("analytics/events/", Layout::Month),
    ("backups/", Layout::Month),
    ("datasets/", Layout::Month),
    ("design/assets/", Layout::Month),
    ("docs/contracts/", Layout::Month),
    ("docs/invoices/", Layout::Month),
    ("docs/reports/", Layout::Month),
    ("exports/", Layout::Month),
    ("finance/ledgers/", Layout::Month),
    ("firmware/", Layout::Month),
    ("hr/policies/", Layout::Month),
    ("legal/", Layout::Month),
    ("logs/", Layout::Day),
    ("marketing/banners/", Layout::Month),
    ("marketing/video/", Layout::Month),
    ("notes/", Layout::Month),
    ("photos/", Layout::Month),
    ("podcasts/", Layout::Month),
    ("raw/", Layout::Month),
    ("recordings/calls/", Layout::Month),
    ("recordings/meetings/", Layout::Month),
    ("releases/", Layout::Month),
    ("screenshots/", Layout::Month),
    ("site/", Layout::Month),
    ("uploads/", Layout::Flat),
    ("videos/", Layout::Month),
    ("weird/", Layout::Flat),
    // UTF-8 sorts after ASCII.
    ("日本語/", Layout::Flat),
];

/// How the keys under a folder are partitioned by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Flat,
    Month,
    Day,
}

/// The folders (as ranks in [`FOLDERS`]) a content type's files go to.
fn folders_for(content_type: &str) -> &'static [u8] {
    // Ranks, not names, so drawing a folder needs no lookup.
    const IMAGES: [u8; 4] = [3, 13, 16, 22];
    const VIDEOS: [u8; 3] = [14, 20, 25];
    const AUDIO: [u8; 2] = [17, 19];
    const DOCUMENTS: [u8; 5] = [4, 5, 6, 10, 11];
    const DATA: [u8; 4] = [0, 2, 7, 8];
    const ARCHIVES: [u8; 2] = [1, 21];
    const BINARY: [u8; 2] = [9, 18];
    const TEXT: [u8; 3] = [12, 15, 23];
    match content_type {
        t if t.starts_with("image/") => &IMAGES,
        t if t.starts_with("video/") => &VIDEOS,
        t if t.starts_with("audio/") => &AUDIO,
        "application/pdf"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => &DOCUMENTS,
        "application/json"
        | "text/csv"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => &DATA,
        "application/gzip" | "application/zip" => &ARCHIVES,
        "application/octet-stream" => &BINARY,
        _ => &TEXT,
    }
}

const UPLOADS: u8 = 24;
const WEIRD: u8 = 26;
const JAPANESE: u8 = 27;

/// Which folder file `index` is in (a rank in [`FOLDERS`]).
fn folder_of(dataset: &Dataset, index: usize) -> u8 {
    let h = Salt::S3Folder.of(dataset, index);
    if h.is_multiple_of(10) {
        UPLOADS
    } else {
        *pick(folders_for(dataset.content_type_of(index)), h >> 8)
    }
}

/// `yyyymmdd` (`Day`), `yyyymm` (`Month`) or 0 (`Flat`): orders like the
/// fixed-width date segments of the key.
fn date_rank(layout: Layout, unix_seconds: i64) -> u32 {
    let Some(at) = DateTime::from_timestamp(unix_seconds, 0) else {
        return 0;
    };
    let (year, month, day) = (at.year().clamp(0, 9999) as u32, at.month(), at.day());
    match layout {
        Layout::Flat => 0,
        Layout::Month => year * 100 + month,
        Layout::Day => (year * 100 + month) * 100 + day,
    }
}

/// Writes the date segments for `date_rank`'s value.
fn write_date(out: &mut String, layout: Layout, rank: u32) {
    let written = match layout {
        Layout::Flat => Ok(()),
        Layout::Month => write!(out, "{:04}/{:02}/", rank / 100, rank % 100),
        Layout::Day => write!(
            out,
            "{:04}/{:02}/{:02}/",
            rank / 10_000,
            rank / 100 % 100,
            rank % 100
        ),
    };
    written.expect("writing to a String cannot fail");
}

/// Builds `owner`'s key index on a blocking thread now, off the async workers, so the first
/// listing seldom waits; given up once nothing else holds `owner` (the server stopped first).
/// `index` is where the owner keeps it, `build` makes it (asking its second argument whether
/// to give up).
pub(crate) fn index_soon<T: Send + Sync + 'static>(
    owner: &std::sync::Arc<T>,
    index: fn(&T) -> &std::sync::OnceLock<std::sync::Arc<Keys>>,
    build: fn(&T, &(dyn Fn() -> bool + Sync)) -> Keys,
) {
    use std::sync::Arc;
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let building = Arc::clone(owner);
        runtime.spawn_blocking(move || {
            index(&building)
                .get_or_init(|| Arc::new(build(&building, &|| Arc::strong_count(&building) <= 1)));
        });
    }
}

/// The key of record `index` before duplicates are renamed, written plainly
/// (for tests that check the index against it).
#[cfg(test)]
pub(crate) fn record_key(dataset: &Dataset, index: usize) -> String {
    // From the whole record, not the single-field accessors the build uses.
    let file = dataset.file(index);
    let (path, layout) = FOLDERS[usize::from(folder_of(dataset, index))];
    let mut key = path.to_owned();
    write_date(&mut key, layout, date_rank(layout, file.created_at));
    key.push_str(&file.file_name);
    key
}

/// One key in the arena, and the object it names: a record index, or
/// `dataset.len() + k` for `AWKWARD_KEYS[k]`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    len: u32,
    id: u32,
}

impl Span {
    fn key(self, arena: &str) -> &str {
        let start = self.start as usize;
        &arena[start..start + self.len as usize]
    }
}

/// What the build sorts by: folder rank, date, the first 16 bytes of the
/// name (big-endian, zero-padded), then the whole key. Folders are sorted and
/// none is a prefix of another, and the date segments are fixed-width digits,
/// so this orders exactly like the keys' bytes.
#[derive(Debug, Clone, Copy)]
struct SortKey {
    folder: u8,
    date: u32,
    name: u128,
    span: Span,
}

impl SortKey {
    fn new(folder: u8, date: u32, name: &str, span: Span) -> SortKey {
        let mut prefix = [0u8; 16];
        let take = name.len().min(16);
        prefix[..take].copy_from_slice(&name.as_bytes()[..take]);
        SortKey {
            folder,
            date,
            name: u128::from_be_bytes(prefix),
            span,
        }
    }

    fn compare(&self, other: &SortKey, arena: &str) -> Ordering {
        (self.folder, self.date, self.name)
            .cmp(&(other.folder, other.date, other.name))
            .then_with(|| self.span.key(arena).cmp(other.span.key(arena)))
            .then(self.span.id.cmp(&other.span.id))
    }
}

/// The bucket's keys in S3 order.
pub(crate) struct Keys {
    arena: String,
    /// Sorted by key.
    spans: Vec<Span>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("len", &self.spans.len())
            .finish_non_exhaustive()
    }
}

/// An entry of a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The object at this position of [`Keys`].
    Object(usize),
    /// Keys rolled up to the delimiter.
    Prefix(String),
}

/// What a listing asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListQuery<'a> {
    pub prefix: &'a str,
    /// `None` or empty: no rolling up.
    pub delimiter: Option<&'a str>,
    /// Only entries (keys or common prefixes) after this one are listed:
    /// `start-after`, or where a continuation token left off.
    pub after: Option<&'a str>,
    pub max: usize,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub entries: Vec<Entry>,
    /// More entries follow the last one.
    pub truncated: bool,
}

impl Keys {
    /// The keys of `dataset` plus the awkward ones, sorted; deduplicated as
    /// the module says. Costs a pass over every record and a sort, split over
    /// the cores: run it off the async workers. Gives up (and answers no keys)
    /// once `cancelled` holds: it is asked every 64 Ki records.
    pub(crate) fn build(dataset: &Dataset, cancelled: impl Fn() -> bool + Sync) -> Keys {
        let files = dataset.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(files.div_ceil(50_000))
            .max(1);
        let chunk = files.div_ceil(threads).max(1);
        let cancelled = &cancelled;
        let runs: Vec<Option<Run>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..files)
                .step_by(chunk)
                .map(|start| {
                    scope.spawn(move || {
                        Run::sorted(dataset, start..(start + chunk).min(files), cancelled)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().expect("a key index thread panicked"))
                .collect()
        });
        let Some(mut runs) = runs.into_iter().collect::<Option<Vec<Run>>>() else {
            return Keys {
                arena: String::new(),
                spans: Vec::new(),
            };
        };
        runs.push(Run::awkward(files));
        // One arena: each run's spans move by where its text lands.
        let mut arena = String::with_capacity(runs.iter().map(|r| r.arena.len()).sum());
        for run in &mut runs {
            let base = arena.len() as u64;
            arena.push_str(&run.arena);
            run.arena = String::new();
            for key in &mut run.keys {
                key.span.start += base;
            }
        }
        let (mut spans, suspects) = merge(&runs, &arena);
        drop(runs);
        dedupe(&mut arena, &mut spans, suspects);
        spans.shrink_to_fit();
        arena.shrink_to_fit();
        Keys { arena, spans }
    }

    /// The keys of `space` (see [`KeySpace`]): the dataset's layout, or one
    /// key per record in another shape, sorted.
    pub(crate) fn of_space(
        space: KeySpace,
        dataset: &Dataset,
        cancelled: impl Fn() -> bool + Sync,
    ) -> Keys {
        if space == KeySpace::Dataset {
            return Keys::build(dataset, cancelled);
        }
        let seed = Salt::S3KeySpace.global(dataset);
        let files = dataset.len();
        let mut keys: Vec<(String, u32)> = (0..files)
            .map(|i| (space.key(seed, files, i), i as u32))
            .collect();
        keys.sort_unstable();
        keys.dedup_by(|a, b| a.0 == b.0);
        let mut arena = String::with_capacity(keys.iter().map(|(k, _)| k.len()).sum());
        let spans = keys
            .into_iter()
            .map(|(key, id)| {
                let start = arena.len() as u64;
                arena.push_str(&key);
                Span {
                    start,
                    len: key.len() as u32,
                    id,
                }
            })
            .collect();
        Keys { arena, spans }
    }

    /// Number of keys (deleted ones included).
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The key at `position`.
    pub(crate) fn key(&self, position: usize) -> &str {
        self.spans[position].key(&self.arena)
    }

    /// The object the key at `position` names.
    pub(crate) fn id(&self, position: usize) -> u32 {
        self.spans[position].id
    }

    /// The position of `key`, if it is one.
    pub(crate) fn find(&self, key: &str) -> Option<usize> {
        let position = self.first_not_below(key);
        (position < self.len() && self.key(position) == key).then_some(position)
    }

    /// The first position whose key is `>= key`.
    pub(super) fn first_not_below(&self, key: &str) -> usize {
        self.spans.partition_point(|s| s.key(&self.arena) < key)
    }

    /// The first position whose key is `> key`.
    fn first_above(&self, key: &str) -> usize {
        self.spans.partition_point(|s| s.key(&self.arena) <= key)
    }

    /// The positions of the keys that start with `prefix`: they are
    /// contiguous in sorted order, found by two binary searches.
    fn with_prefix(&self, prefix: &str) -> Range<usize> {
        let start = self.first_not_below(prefix);
        let end =
            start + self.spans[start..].partition_point(|s| s.key(&self.arena).starts_with(prefix));
        start..end
    }

    /// One page of the keys under `query.prefix` after `query.after`,
    /// rolled up at the delimiter, skipping objects for which `deleted`
    /// holds. `max` bounds keys and common prefixes together, as S3 does;
    /// a common prefix is an entry like a key (listed only if it sorts after
    /// `after`, and only if a live key is under it). Costs O(log n) per entry
    /// listed and per common prefix skipped, plus the deleted keys passed over.
    pub(crate) fn list(&self, query: ListQuery<'_>, deleted: impl Fn(u32) -> bool) -> Page {
        self.list_between(query, None, None, deleted)
    }

    /// [`Keys::list`] over the keys from `from` (inclusive) up to `to`
    /// (exclusive) alone, as GCS's `startOffset` and `endOffset` bound a
    /// listing: the bounds apply to keys before they are rolled up, so a
    /// common prefix is listed when a key under it is in range.
    pub(crate) fn list_between(
        &self,
        query: ListQuery<'_>,
        from: Option<&str>,
        to: Option<&str>,
        deleted: impl Fn(u32) -> bool,
    ) -> Page {
        let mut page = Page {
            entries: Vec::new(),
            truncated: false,
        };
        if query.max == 0 {
            // S3 answers an empty page that is not truncated.
            return page;
        }
        let mut range = self.with_prefix(query.prefix);
        if let Some(from) = from {
            range.start = range.start.max(self.first_not_below(from));
        }
        if let Some(to) = to {
            range.end = range.end.min(self.first_not_below(to));
        }
        range.end = range.end.max(range.start);
        let mut position = range.start;
        if let Some(after) = query.after {
            position = position.max(self.first_above(after));
        }
        let delimiter = query.delimiter.filter(|d| !d.is_empty());
        while position < range.end {
            let key = self.key(position);
            let rolled = delimiter.and_then(|d| {
                let rest = &key[query.prefix.len()..];
                rest.find(d)
                    .map(|at| &key[..query.prefix.len() + at + d.len()])
            });
            if let Some(common) = rolled {
                let end = position
                    + self.spans[position..range.end]
                        .partition_point(|s| s.key(&self.arena).starts_with(common));
                let listed = query.after.is_none_or(|after| common > after)
                    && (position..end).any(|p| !deleted(self.id(p)));
                if listed {
                    if page.entries.len() == query.max {
                        page.truncated = true;
                        break;
                    }
                    page.entries.push(Entry::Prefix(common.to_owned()));
                }
                position = end;
                continue;
            }
            if !deleted(self.id(position)) {
                if page.entries.len() == query.max {
                    page.truncated = true;
                    break;
                }
                page.entries.push(Entry::Object(position));
            }
            position += 1;
        }
        page
    }

    /// The text of a listed entry: the key, or the common prefix.
    pub(crate) fn entry_text<'a>(&'a self, entry: &'a Entry) -> &'a str {
        match entry {
            Entry::Object(position) => self.key(*position),
            Entry::Prefix(prefix) => prefix,
        }
    }
}

/// The sorted keys of some records, in an arena of their own.
struct Run {
    arena: String,
    keys: Vec<SortKey>,
}

impl Run {
    /// The keys of records `range`, sorted; `None` if cancelled meanwhile.
    fn sorted(
        dataset: &Dataset,
        range: Range<usize>,
        cancelled: &impl Fn() -> bool,
    ) -> Option<Run> {
        let mut arena = String::with_capacity(range.len() * 44);
        let mut keys = Vec::with_capacity(range.len());
        let mut name = String::with_capacity(64);
        for index in range {
            if index % 65_536 == 65_535 && cancelled() {
                return None;
            }
            let folder = folder_of(dataset, index);
            let (path, layout) = FOLDERS[usize::from(folder)];
            let date = date_rank(layout, dataset.created_at_of(index));
            name.clear();
            dataset.write_file_name(index, &mut name);
            let start = arena.len();
            arena.push_str(path);
            write_date(&mut arena, layout, date);
            arena.push_str(&name);
            let span = Span {
                start: start as u64,
                len: (arena.len() - start) as u32,
                id: index as u32,
            };
            keys.push(SortKey::new(folder, date, &name, span));
        }
        keys.sort_unstable_by(|a, b| a.compare(b, &arena));
        Some(Run { arena, keys })
    }

    /// The awkward keys (ids from `files` on), sorted.
    fn awkward(files: usize) -> Run {
        let mut run = Run {
            arena: String::new(),
            keys: Vec::new(),
        };
        for (k, key) in AWKWARD_KEYS.iter().enumerate() {
            let (folder, name) = match key.split_once('/') {
                Some(("weird", name)) => (WEIRD, name),
                Some(("日本語", name)) => (JAPANESE, name),
                _ => unreachable!("every awkward key is in a folder of its own"),
            };
            let span = Span {
                start: run.arena.len() as u64,
                len: key.len() as u32,
                id: (files + k) as u32,
            };
            run.arena.push_str(key);
            run.keys.push(SortKey::new(folder, 0, name, span));
        }
        let arena = &run.arena;
        run.keys.sort_unstable_by(|a, b| a.compare(b, arena));
        run
    }
}

/// The runs merged into one sorted order, and the positions whose key may
/// equal the one before (same folder, date and first 16 bytes of name): the
/// only places a duplicate can be.
fn merge(runs: &[Run], arena: &str) -> (Vec<Span>, Vec<usize>) {
    let total = runs.iter().map(|r| r.keys.len()).sum();
    let mut spans = Vec::with_capacity(total);
    let mut suspects = Vec::new();
    let mut heads = vec![0; runs.len()];
    let mut previous: Option<&SortKey> = None;
    // k is the core count plus one: a linear scan of the heads is fine.
    loop {
        let next = (0..runs.len())
            .filter(|&r| heads[r] < runs[r].keys.len())
            .min_by(|&a, &b| runs[a].keys[heads[a]].compare(&runs[b].keys[heads[b]], arena));
        let Some(run) = next else { break };
        let key = &runs[run].keys[heads[run]];
        heads[run] += 1;
        if previous.is_some_and(|p| (p.folder, p.date, p.name) == (key.folder, key.date, key.name))
        {
            suspects.push(spans.len());
        }
        spans.push(key.span);
        previous = Some(key);
    }
    (spans, suspects)
}

/// Renames every key equal to the one before it (same key, higher id):
/// ` (2)`, ` (3)`, ... before the extension, and puts the renamed keys back
/// in order. `suspects` are the only positions that may equal the one
/// before; after a round, only the renamed keys and their neighbours may. A
/// renamed key that meets another key is renamed again, with its object id
/// after a few rounds, which no dataset name contains.
fn dedupe(arena: &mut String, spans: &mut Vec<Span>, mut suspects: Vec<usize>) {
    for round in 0.. {
        suspects.sort_unstable();
        suspects.dedup();
        // Positions equal to the one before, with their copy number.
        let mut duplicates: Vec<(usize, u32)> = Vec::new();
        for &at in &suspects {
            if at == 0 || at >= spans.len() || spans[at].key(arena) != spans[at - 1].key(arena) {
                continue;
            }
            let copies = match duplicates.last() {
                Some(&(last, copies)) if last + 1 == at => copies + 1,
                _ => 2,
            };
            duplicates.push((at, copies));
        }
        if duplicates.is_empty() {
            return;
        }
        let mut renamed = Vec::with_capacity(duplicates.len());
        for &(at, copies) in &duplicates {
            let span = spans[at];
            let suffix = if round < 3 {
                format!(" ({copies})")
            } else {
                format!(" (#{})", span.id)
            };
            let key = with_suffix(span.key(arena), &suffix);
            let start = arena.len();
            arena.push_str(&key);
            renamed.push(Span {
                start: start as u64,
                len: (arena.len() - start) as u32,
                id: span.id,
            });
        }
        let mut gone = duplicates.iter().map(|&(at, _)| at).peekable();
        let mut position = 0;
        spans.retain(|_| {
            let keep = gone.next_if_eq(&position).is_none();
            position += 1;
            keep
        });
        let text: &str = arena;
        let order = |a: &Span, b: &Span| a.key(text).cmp(b.key(text)).then(a.id.cmp(&b.id));
        renamed.sort_unstable_by(order);
        // Where each renamed key goes, found by binary search, then one pass.
        let places: Vec<usize> = renamed
            .iter()
            .map(|r| spans.partition_point(|s| order(s, r) == Ordering::Less))
            .collect();
        let mut merged = Vec::with_capacity(spans.len() + renamed.len());
        suspects.clear();
        let mut from = 0;
        for (span, &place) in renamed.iter().zip(&places) {
            merged.extend_from_slice(&spans[from..place]);
            from = place;
            suspects.extend([merged.len(), merged.len() + 1]);
            merged.push(*span);
        }
        merged.extend_from_slice(&spans[from..]);
        *spans = merged;
    }
}

/// `key` with `suffix` before the extension of its last segment (or at the
/// end if the segment has none): `a/b.pdf` → `a/b (2).pdf`.
fn with_suffix(key: &str, suffix: &str) -> String {
    let segment = key.rfind('/').map_or(0, |slash| slash + 1);
    let at = match key[segment..].rfind('.') {
        Some(dot) if dot > 0 => segment + dot,
        _ => key.len(),
    };
    format!("{}{suffix}{}", &key[..at], &key[at..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    /// Every key, generated again one by one without the build's sort
    /// shortcuts, sorted and deduplicated the plain way.
    fn brute_force(dataset: &Dataset) -> Vec<(String, u32)> {
        let mut keys: Vec<(String, u32)> = (0..dataset.len())
            .map(|i| (record_key(dataset, i), i as u32))
            .chain(
                AWKWARD_KEYS
                    .iter()
                    .enumerate()
                    .map(|(k, key)| (key.to_string(), (dataset.len() + k) as u32)),
            )
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn folders_are_sorted_and_prefix_free() {
        for pair in FOLDERS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{pair:?}");
        }
        for (a, _) in FOLDERS {
            for (b, _) in FOLDERS {
                assert!(a == b || !b.starts_with(a), "{a} {b}");
            }
        }
        assert_eq!(FOLDERS[usize::from(UPLOADS)].0, "uploads/");
        assert_eq!(FOLDERS[usize::from(WEIRD)].0, "weird/");
        assert_eq!(FOLDERS[usize::from(JAPANESE)].0, "日本語/");
        assert_eq!(FOLDERS[12], ("logs/", Layout::Day));
        for ranks in [
            folders_for("image/png"),
            folders_for("video/mp4"),
            folders_for("audio/wav"),
            folders_for("application/pdf"),
            folders_for("text/csv"),
            folders_for("application/zip"),
            folders_for("application/octet-stream"),
            folders_for("text/plain"),
        ] {
            for &rank in ranks {
                let (name, layout) = FOLDERS[usize::from(rank)];
                assert!(!matches!(name, "uploads/" | "weird/" | "日本語/"));
                assert_eq!(layout == Layout::Day, name == "logs/");
            }
        }
    }

    #[test]
    fn keys_are_the_sorted_unique_keys_of_every_record() {
        let dataset = Dataset::new(42, 20_000);
        let keys = Keys::build(&dataset, || false);
        assert_eq!(keys.len(), 20_000 + AWKWARD_KEYS.len());
        // Strictly increasing: sorted, and no key twice.
        for position in 1..keys.len() {
            assert!(keys.key(position - 1) < keys.key(position), "{position}");
        }
        // Every object exactly once.
        let ids: HashSet<u32> = (0..keys.len()).map(|p| keys.id(p)).collect();
        assert_eq!(ids.len(), keys.len());
        // Each key is the record's own key, or that key renamed for a duplicate.
        let expected = brute_force(&dataset);
        let mut renamed = 0;
        for (key, id) in &expected {
            let position = (0..keys.len()).find(|&p| keys.id(p) == *id).unwrap();
            let got = keys.key(position);
            if got != key {
                renamed += 1;
                let (stem, ext) = match key.rsplit_once('.') {
                    Some((stem, ext)) if !stem.ends_with('/') => (stem, format!(".{ext}")),
                    _ => (key.as_str(), String::new()),
                };
                assert!(
                    got.starts_with(&format!("{stem} (")) && got.ends_with(&format!("){ext}")),
                    "{key:?} became {got:?}"
                );
            }
        }
        // Duplicates are few but real.
        let distinct: BTreeSet<&str> = expected.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(renamed, expected.len() - distinct.len());
        assert!(renamed > 0);
        for key in AWKWARD_KEYS {
            assert!(keys.find(key).is_some(), "{key:?}");
        }
        assert_eq!(keys.find("weird/"), None);
        assert_eq!(keys.find("weird/100%"), None);
    }

    #[test]
    fn the_layout_is_realistic() {
        let dataset = Dataset::new(42, 100_000);
        let keys = Keys::build(&dataset, || false);
        let under = |prefix: &str| keys.with_prefix(prefix).len();
        let uploads = under("uploads/");
        assert!((9_000..11_000).contains(&uploads), "{uploads}");
        assert!(under("logs/") > 1000);
        assert!(under("docs/invoices/") > 1000);
        let tops: BTreeSet<&str> = (0..keys.len())
            .map(|p| keys.key(p).split('/').next().unwrap())
            .collect();
        assert!(tops.len() >= 20, "{tops:?}");
        let sample = keys.key(keys.with_prefix("logs/").start);
        let parts: Vec<&str> = sample.split('/').collect();
        assert!(parts.len() >= 5, "{sample}");
        assert!(parts[1].len() == 4 && parts[2].len() == 2 && parts[3].len() == 2);
    }

    #[test]
    fn suffixes_go_before_the_extension() {
        assert_eq!(with_suffix("a/b.pdf", " (2)"), "a/b (2).pdf");
        assert_eq!(with_suffix("a.d/b", " (2)"), "a.d/b (2)");
        assert_eq!(with_suffix("a/.env", " (2)"), "a/.env (2)");
        assert_eq!(with_suffix("x.tar.gz", " (3)"), "x.tar (3).gz");
    }

    /// Listing by brute force: the entries after `after` in key order,
    /// rolled up, as S3 defines them.
    fn oracle(
        all: &[String],
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
    ) -> Vec<String> {
        let mut entries: Vec<String> = Vec::new();
        for key in all.iter().filter(|k| k.starts_with(prefix)) {
            let entry = match delimiter {
                Some(d) => match key[prefix.len()..].find(d) {
                    Some(at) => key[..prefix.len() + at + d.len()].to_owned(),
                    None => key.clone(),
                },
                None => key.clone(),
            };
            if after.is_none_or(|a| entry.as_str() > a) && entries.last() != Some(&entry) {
                entries.push(entry);
            }
        }
        entries
    }

    fn texts(keys: &Keys, page: &Page) -> Vec<String> {
        page.entries
            .iter()
            .map(|e| keys.entry_text(e).to_owned())
            .collect()
    }

    #[test]
    fn listing_matches_brute_force() {
        let dataset = Dataset::new(7, 3000);
        let keys = Keys::build(&dataset, || false);
        let all: Vec<String> = (0..keys.len()).map(|p| keys.key(p).to_owned()).collect();
        let cases: [(&str, Option<&str>, Option<&str>); 9] = [
            ("", None, None),
            ("", Some("/"), None),
            ("docs/", Some("/"), None),
            ("logs/", Some("/"), Some("logs/2023/")),
            ("logs/2", Some("/"), Some("logs/2023/0")),
            ("", Some("s/"), Some("e")),
            ("uploads/", Some("/"), Some("uploads/m")),
            ("nothing/", Some("/"), None),
            ("weird/", None, Some("weird/a")),
        ];
        for (prefix, delimiter, after) in cases {
            let expected = oracle(&all, prefix, delimiter, after);
            for max in [1, 7, 1000, 5000] {
                // Page through, resuming after the last entry each time.
                let mut got = Vec::new();
                let mut resume = after.map(str::to_owned);
                loop {
                    let page = keys.list(
                        ListQuery {
                            prefix,
                            delimiter,
                            after: resume.as_deref(),
                            max,
                        },
                        |_| false,
                    );
                    assert!(page.entries.len() <= max);
                    let listed = texts(&keys, &page);
                    got.extend(listed.iter().cloned());
                    if !page.truncated {
                        break;
                    }
                    assert_eq!(page.entries.len(), max);
                    resume = listed.last().cloned();
                }
                assert_eq!(got, expected, "{prefix:?} {delimiter:?} {after:?} {max}");
            }
        }
        let none = keys.list(
            ListQuery {
                prefix: "",
                delimiter: None,
                after: None,
                max: 0,
            },
            |_| false,
        );
        assert_eq!((none.entries.len(), none.truncated), (0, false));
    }

    #[test]
    fn deleted_keys_and_emptied_prefixes_disappear() {
        let dataset = Dataset::new(42, 500);
        let keys = Keys::build(&dataset, || false);
        let weird: Vec<u32> = (0..keys.len())
            .filter(|&p| keys.key(p).starts_with("weird/"))
            .map(|p| keys.id(p))
            .collect();
        let top = |deleted: &dyn Fn(u32) -> bool| {
            let page = keys.list(
                ListQuery {
                    prefix: "",
                    delimiter: Some("/"),
                    after: None,
                    max: 1000,
                },
                deleted,
            );
            texts(&keys, &page)
        };
        assert!(top(&|_| false).contains(&"weird/".to_owned()));
        let all_but_one = |id: u32| weird[1..].contains(&id);
        assert!(top(&all_but_one).contains(&"weird/".to_owned()));
        let all = |id: u32| weird.contains(&id);
        assert!(!top(&all).contains(&"weird/".to_owned()));
        let flat = keys.list(
            ListQuery {
                prefix: "weird/",
                delimiter: None,
                after: None,
                max: 1000,
            },
            all_but_one,
        );
        assert_eq!(flat.entries.len(), 1);
    }
}
