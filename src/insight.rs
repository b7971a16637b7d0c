//! What a listing holds, summed up: files and bytes by kind, a size histogram, uploads over
//! time, the largest and the newest files. Pure: records in, numbers out; the insight view,
//! `filescope stats` and the tests share it. Partial summaries (one per page) merge, so a
//! background scan can sum pages as they arrive and keep no records.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::api::FileRecord;

/// Broad kinds of file, by MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Image,
    Video,
    Audio,
    Document,
    Archive,
    Other,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::Image,
        Family::Video,
        Family::Audio,
        Family::Document,
        Family::Archive,
        Family::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Image => "image",
            Family::Video => "video",
            Family::Audio => "audio",
            Family::Document => "document",
            Family::Archive => "archive",
            Family::Other => "other",
        }
    }

    /// The family of a MIME type; unknown or missing types are `Other`.
    pub fn of(mime: Option<&str>) -> Family {
        let Some(mime) = mime else {
            return Family::Other;
        };
        let mime = mime.to_ascii_lowercase();
        let (top, sub) = mime.split_once('/').unwrap_or((mime.as_str(), ""));
        match top {
            "image" => Family::Image,
            "video" => Family::Video,
            "audio" => Family::Audio,
            "text" => Family::Document,
            _ if sub == "pdf"
                || sub.contains("word")
                || sub.contains("document")
                || sub.contains("sheet")
                || sub.contains("excel")
                || sub.contains("presentation")
                || sub.contains("powerpoint")
                || sub == "rtf"
                || sub == "json"
                || sub == "xml" =>
            {
                Family::Document
            }
            _ if sub.contains("zip")
                || sub.contains("tar")
                || sub.contains("compress")
                || sub.contains("rar")
                || sub.contains("7z")
                || sub.contains("bzip")
                || sub.contains("xz") =>
            {
                Family::Archive
            }
            _ => Family::Other,
        }
    }
}

/// Upper bounds of the size histogram's buckets (exclusive), bytes, on a log scale; the last
/// bucket has none.
pub const SIZE_BOUNDS: [u64; 9] = [
    1,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
];

/// Labels of the size buckets, in order.
pub const SIZE_LABELS: [&str; 10] = [
    "0 B", "<1 kB", "<10 kB", "<100 kB", "<1 MB", "<10 MB", "<100 MB", "<1 GB", "<10 GB", "≥10 GB",
];

/// How many of the largest and newest files are kept.
pub const TOP: usize = 20;

/// A file worth listing: among the largest or the newest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notable {
    pub id: String,
    pub name: String,
    pub size: Option<u64>,
    pub created_at: Option<DateTime<Utc>>,
    /// Its row in the listing's server order, to jump to it.
    #[serde(skip)]
    pub row: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub files: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, size: Option<u64>) {
        self.files += 1;
        self.bytes += size.unwrap_or(0);
    }

    fn merge(&mut self, other: Tally) {
        self.files += other.files;
        self.bytes += other.bytes;
    }
}

/// The summary of a set of files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub total: Tally,
    /// Files whose size the server did not say.
    pub unknown_size: u64,
    pub families: BTreeMap<Family, Tally>,
    pub sizes: [u64; 10],
    /// Files and bytes created per day.
    pub days: BTreeMap<NaiveDate, Tally>,
    /// Largest first.
    pub largest: Vec<Notable>,
    /// Newest first.
    pub newest: Vec<Notable>,
}

fn size_bucket(size: u64) -> usize {
    SIZE_BOUNDS
        .iter()
        .position(|bound| size < *bound)
        .unwrap_or(SIZE_BOUNDS.len())
}

fn notable(row: usize, r: &FileRecord) -> Notable {
    Notable {
        id: r.id.clone(),
        name: r.name.clone(),
        size: r.size,
        created_at: r.created_at,
        row,
    }
}

/// Keeps the `TOP` best of `list` by `key`, best first; ties go to the earlier row.
fn keep_top<K: Ord>(list: &mut Vec<Notable>, key: impl Fn(&Notable) -> K) {
    list.sort_by(|a, b| key(b).cmp(&key(a)).then(a.row.cmp(&b.row)));
    list.truncate(TOP);
}

impl Stats {
    /// Adds one file, at `row` of the listing.
    pub fn add(&mut self, row: usize, r: &FileRecord) {
        // Folders (S3's prefixes, listed one level at a time) are not files.
        if r.content_type.as_deref() == Some(crate::api::record::FOLDER_TYPE) {
            return;
        }
        self.total.add(r.size);
        self.families
            .entry(Family::of(r.content_type.as_deref()))
            .or_default()
            .add(r.size);
        match r.size {
            Some(size) => self.sizes[size_bucket(size)] += 1,
            None => self.unknown_size += 1,
        }
        if let Some(t) = r.created_at {
            self.days.entry(t.date_naive()).or_default().add(r.size);
        }
        // Cheap checks first: most files are neither among the largest nor the newest.
        let smallest_kept = self.largest.get(TOP - 1).and_then(|n| n.size);
        if r.size.is_some() && (self.largest.len() < TOP || r.size > smallest_kept) {
            self.largest.push(notable(row, r));
            keep_top(&mut self.largest, |n| n.size);
        }
        let oldest_kept = self.newest.get(TOP - 1).and_then(|n| n.created_at);
        if r.created_at.is_some() && (self.newest.len() < TOP || r.created_at > oldest_kept) {
            self.newest.push(notable(row, r));
            keep_top(&mut self.newest, |n| n.created_at);
        }
    }

    /// Adds a page of files whose first row is `first_row`.
    pub fn add_page(&mut self, first_row: usize, records: &[FileRecord]) {
        for (i, r) in records.iter().enumerate() {
            self.add(first_row + i, r);
        }
    }

    /// Adds another summary (of other files).
    pub fn merge(&mut self, other: Stats) {
        self.total.merge(other.total);
        self.unknown_size += other.unknown_size;
        for (family, tally) in other.families {
            self.families.entry(family).or_default().merge(tally);
        }
        for (mine, theirs) in self.sizes.iter_mut().zip(other.sizes) {
            *mine += theirs;
        }
        for (day, tally) in other.days {
            self.days.entry(day).or_default().merge(tally);
        }
        self.largest.extend(other.largest);
        keep_top(&mut self.largest, |n| n.size);
        self.newest.extend(other.newest);
        keep_top(&mut self.newest, |n| n.created_at);
    }

    /// Uploads over time for a sparkline: per day, per ISO week when the files span more than
    /// 120 days, per month beyond two years. Returns the buckets (oldest first) and their unit.
    pub fn timeline(&self) -> (Vec<(NaiveDate, Tally)>, &'static str) {
        let (Some(first), Some(last)) = (self.days.keys().next(), self.days.keys().last()) else {
            return (Vec::new(), "day");
        };
        let span = (*last - *first).num_days();
        let unit = match span {
            0..=120 => "day",
            121..=730 => "week",
            _ => "month",
        };
        let mut buckets: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
        for (day, tally) in &self.days {
            let key = match unit {
                "week" => {
                    *day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
                }
                "month" => day.with_day(1).unwrap_or(*day),
                _ => *day,
            };
            buckets.entry(key).or_default().merge(*tally);
        }
        (buckets.into_iter().collect(), unit)
    }

    /// The summary as `filescope stats --format json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        let (timeline, unit) = self.timeline();
        serde_json::json!({
            "files": self.total.files,
            "bytes": self.total.bytes,
            "unknown_size": self.unknown_size,
            "families": Family::ALL.iter().map(|f| {
                let t = self.families.get(f).copied().unwrap_or_default();
                serde_json::json!({"family": f.name(), "files": t.files, "bytes": t.bytes})
            }).collect::<Vec<_>>(),
            "sizes": SIZE_LABELS.iter().zip(self.sizes).map(|(label, files)| {
                serde_json::json!({"bucket": label, "files": files})
            }).collect::<Vec<_>>(),
            "timeline": {
                "unit": unit,
                "buckets": timeline.iter().map(|(d, t)| {
                    serde_json::json!({"start": d.to_string(), "files": t.files, "bytes": t.bytes})
                }).collect::<Vec<_>>(),
            },
            "largest": self.largest,
            "newest": self.newest,
        })
    }
}

/// Sums up a whole listing: every page of `plan.server` at the largest page size, `jobs` in
/// flight, keeping the files `plan.local` keeps. `on_progress` hears after each page how far
/// it got (and may stop it by returning false). No record is kept beyond its page.
pub async fn scan(
    client: &crate::api::Client,
    plan: &crate::api::Plan,
    jobs: usize,
    mut on_progress: impl FnMut(&Stats, crate::api::scan::Progress) -> bool,
) -> Result<Stats, crate::api::ApiError> {
    let size = client.dialect().capabilities().max_page_size;
    let mut stats = Stats::default();
    crate::api::scan::each_page(client, &plan.server, size, jobs, |page, progress| {
        let first = progress.first_row;
        for (i, r) in page.records.iter().enumerate() {
            if plan.local.matches(r) {
                stats.add(first + i, r);
            }
        }
        on_progress(&stats, progress)
    })
    .await?;
    Ok(stats)
}

/// Eight levels of a sparkline.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of `values`, one character each, scaled to the largest.
pub fn sparkline(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|v| BARS[((*v as f64 / max as f64) * 7.0).round() as usize])
        .collect()
}

/// The summary as `filescope stats` prints it for people; names sanitized.
pub fn table(stats: &Stats) -> String {
    use crate::text::{human_size, sanitize, short_date, thousands};
    use std::fmt::Write;
    let mut out = String::new();
    let t = stats.total;
    let _ = writeln!(
        out,
        "{} files, {}{}",
        thousands(t.files as usize),
        human_size(t.bytes),
        if stats.unknown_size > 0 {
            format!(
                " ({} of unknown size)",
                thousands(stats.unknown_size as usize)
            )
        } else {
            String::new()
        }
    );
    // Headers take the widths of their columns, so the names stand over the values.
    let _ = writeln!(
        out,
        "\n{:<8} {:>8} {:>12} {:>6}",
        "KIND", "FILES", "BYTES", "SHARE"
    );
    for family in Family::ALL {
        let f = stats.families.get(&family).copied().unwrap_or_default();
        let share = if t.bytes > 0 {
            100.0 * f.bytes as f64 / t.bytes as f64
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "{:<8} {:>8} {:>12} {:>5.1}%",
            family.name(),
            thousands(f.files as usize),
            human_size(f.bytes),
            share
        );
    }
    let _ = writeln!(out, "\n{:<8} {:>8}", "SIZE", "FILES");
    for (label, files) in SIZE_LABELS.iter().zip(stats.sizes) {
        let _ = writeln!(out, "{label:<8} {:>8}", thousands(files as usize));
    }
    let (timeline, unit) = stats.timeline();
    if let (Some(first), Some(last)) = (timeline.first(), timeline.last()) {
        let counts: Vec<u64> = timeline.iter().map(|(_, t)| t.files).collect();
        let _ = writeln!(
            out,
            "\nUPLOADS PER {} {} … {}\n{}",
            unit.to_uppercase(),
            first.0,
            last.0,
            sparkline(&counts)
        );
    }
    let _ = writeln!(out, "\nLARGEST");
    for n in &stats.largest {
        let size = n.size.map(human_size).unwrap_or_default();
        let _ = writeln!(out, "{size:>10}  {}", sanitize(&n.name));
    }
    let _ = writeln!(out, "\nNEWEST");
    for n in &stats.newest {
        let date = n.created_at.as_ref().map(short_date).unwrap_or_default();
        let _ = writeln!(out, "{date}  {}", sanitize(&n.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::value::RawValue;

    fn file(i: usize, mime: Option<&str>, size: Option<u64>, day: u32) -> FileRecord {
        FileRecord {
            id: format!("id-{i}"),
            name: format!("f{i}"),
            size,
            content_type: mime.map(str::to_string),
            created_at: Some(Utc.with_ymd_and_hms(2025, 1, day, 12, 0, 0).unwrap()),
            updated_at: None,
            url: None,
            problems: Vec::new(),
            raw: RawValue::from_string("{}".into()).unwrap(),
        }
    }

    /// Each table's column names end where its values end (`SIZE  FILES` stood three columns
    /// left of its counts).
    #[test]
    fn table_headers_stand_over_their_columns() {
        let mut s = Stats::default();
        for i in 0..1_234 {
            s.add(
                i,
                &file(
                    i,
                    Some("image/png"),
                    Some(i as u64 * 4_000),
                    1 + (i % 28) as u32,
                ),
            );
        }
        let text = table(&s);
        for header in ["KIND ", "SIZE "] {
            let block: Vec<&str> = text
                .split("\n\n")
                .find(|b| b.starts_with(header))
                .unwrap()
                .lines()
                .collect();
            let ends = |line: &str| line.trim_end().chars().count();
            for row in &block[1..] {
                assert_eq!(
                    ends(row),
                    ends(block[0]),
                    "{header}: {row:?} under {:?}",
                    block[0]
                );
            }
        }
    }

    #[test]
    fn families_by_mime() {
        assert_eq!(Family::of(Some("image/png")), Family::Image);
        assert_eq!(Family::of(Some("VIDEO/MP4")), Family::Video);
        assert_eq!(Family::of(Some("application/pdf")), Family::Document);
        assert_eq!(
            Family::of(Some(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )),
            Family::Document
        );
        assert_eq!(Family::of(Some("application/gzip")), Family::Archive);
        assert_eq!(Family::of(Some("application/zip")), Family::Archive);
        assert_eq!(Family::of(Some("application/x-tar")), Family::Archive);
        assert_eq!(Family::of(Some("application/octet-stream")), Family::Other);
        assert_eq!(Family::of(None), Family::Other);
    }

    #[test]
    fn a_known_set_sums_up() {
        let files = [
            file(0, Some("image/png"), Some(0), 1),
            file(1, Some("image/jpeg"), Some(2_500), 1),
            file(2, Some("application/pdf"), Some(7_000_000), 3),
            file(3, None, None, 3),
            file(4, Some("application/zip"), Some(20_000_000_000), 5),
        ];
        let mut s = Stats::default();
        s.add_page(0, &files);
        assert_eq!(
            s.total,
            Tally {
                files: 5,
                bytes: 20_007_002_500
            }
        );
        assert_eq!(s.unknown_size, 1);
        assert_eq!(
            s.families[&Family::Image],
            Tally {
                files: 2,
                bytes: 2_500
            }
        );
        assert_eq!(s.families[&Family::Other], Tally { files: 1, bytes: 0 });
        assert_eq!(s.sizes, [1, 0, 1, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(s.days.len(), 3);
        assert_eq!(
            s.largest.iter().map(|n| n.row).collect::<Vec<_>>(),
            [4, 2, 1, 0],
            "largest first, unknown sizes left out"
        );
        assert_eq!(s.newest[0].row, 4);
    }

    #[test]
    fn page_summaries_merge_into_the_whole() {
        let files: Vec<FileRecord> = (0..95)
            .map(|i| {
                let mime = ["image/png", "video/mp4", "text/plain", "application/zip"][i % 4];
                file(
                    i,
                    Some(mime),
                    Some((i as u64 * 7_919) % 3_000_000),
                    1 + (i % 28) as u32,
                )
            })
            .collect();
        let mut whole = Stats::default();
        whole.add_page(0, &files);
        let mut merged = Stats::default();
        for (n, chunk) in files.chunks(10).enumerate() {
            let mut part = Stats::default();
            part.add_page(n * 10, chunk);
            merged.merge(part);
        }
        assert_eq!(merged, whole);
        assert_eq!(whole.largest.len(), TOP);
    }

    #[test]
    fn a_long_span_is_counted_per_week() {
        let mut s = Stats::default();
        let mut a = file(0, None, Some(1), 1);
        a.created_at = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        let mut b = file(1, None, Some(1), 1);
        b.created_at = Some(Utc.with_ymd_and_hms(2024, 12, 31, 0, 0, 0).unwrap());
        s.add(0, &a);
        s.add(1, &b);
        let (buckets, unit) = s.timeline();
        assert_eq!(unit, "week");
        assert_eq!(buckets.len(), 2);
        assert_eq!(buckets[1].0.weekday(), chrono::Weekday::Mon);
    }
}
