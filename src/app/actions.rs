//! Acting on what was found: marks, the copy menu, downloads and their panel, the text
//! preview, opening a link, export and delete. State and keys only, like the rest of `app`;
//! the runtime carries out the effects and answers with messages tagged by what they were for.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::msg::{Effect, FileEffect, FileMsg, Status, TerminalEffect};
use super::overlay::{
    EXISTS_KEYS, ExistsKey, Overlay, PREVIEW_KEYS, PROMPT_KEYS, PreviewKey, PromptKey, Scroll,
    TRANSFERS_KEYS, TransfersKey, lookup,
};
use super::{Action, App};
use crate::api::content::{Progress, Saved};
use crate::api::{FileRecord, ListQuery, PageRequest};
use crate::listing::Row;
use crate::text::{human_size, sanitize, thousands};

/// One download of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransferId(pub u64);

/// Marks, downloads and deletes: what acting on files keeps between keys.
#[derive(Debug, Default)]
pub struct FileActions {
    pub(super) marks: Marks,
    pub(super) transfers: Transfers,
    /// Whether the transfers panel is on screen.
    pub(super) transfers_shown: bool,
    /// Where downloads and exports go (the prompt starts here).
    pub(super) download_dir: PathBuf,
    /// The profile allows deleting (`allow_delete = true`); read-only otherwise.
    pub(super) allow_delete: bool,
    deleting: HashSet<String>,
    /// Files the server confirmed deleted, until the listing is read again.
    deleted: HashSet<String>,
    delete_errors: Vec<String>,
    /// `q` was pressed once while downloads run: the next `q` quits.
    pub(super) quit_armed: bool,
    /// A fetch that counts as a download, pressed once: (action, file id) awaiting the second.
    counted_confirm: Option<(Action, String)>,
    /// `V` started a range: moving extends it, `V` keeps it, `Esc` drops it.
    pub(super) range: Option<Range>,
}

/// A range being marked, as vim's `V` selects lines: every loaded row between the row it
/// started on and the cursor is marked, on top of the marks there were before.
#[derive(Debug)]
pub(super) struct Range {
    /// The row `V` was pressed on.
    anchor: usize,
    /// The marks before the range, which `Esc` goes back to.
    before: Vec<FileRecord>,
}

impl FileActions {
    /// Whether the server confirmed deleting this file (shown struck out until the reload).
    pub fn is_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    pub fn download_dir(&self) -> &std::path::Path {
        &self.download_dir
    }

    pub fn allows_delete(&self) -> bool {
        self.allow_delete
    }
}

/// Downloads running at once; the rest wait their turn.
pub const DOWNLOAD_CONCURRENCY: usize = 3;
/// How much of a file the preview fetches.
pub const PREVIEW_BYTES: usize = 256 * 1024;

/// The marked files, in the order they were marked.
#[derive(Debug, Default)]
pub struct Marks {
    records: Vec<FileRecord>,
    ids: HashSet<String>,
}

impl Marks {
    /// These records marked, in this order.
    fn of(records: &[FileRecord]) -> Marks {
        let mut marks = Marks::default();
        for record in records {
            marks.mark(record);
        }
        marks
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn records(&self) -> &[FileRecord] {
        &self.records
    }

    /// Bytes of the marked files whose size is known.
    pub fn bytes(&self) -> u64 {
        self.records.iter().filter_map(|r| r.size).sum()
    }

    /// Marks or unmarks; true when it is now marked.
    pub fn toggle(&mut self, record: &FileRecord) -> bool {
        if self.ids.remove(&record.id) {
            self.records.retain(|r| r.id != record.id);
            false
        } else {
            self.mark(record);
            true
        }
    }

    pub fn mark(&mut self, record: &FileRecord) {
        if self.ids.insert(record.id.clone()) {
            self.records.push(record.clone());
        }
    }

    pub fn clear(&mut self) {
        self.records.clear();
        self.ids.clear();
    }

    fn forget(&mut self, id: &str) {
        if self.ids.remove(id) {
            self.records.retain(|r| r.id != id);
        }
    }
}

/// What `y` copies, by the key pressed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Id,
    Name,
    Key,
    Url,
    Link,
    /// A link anyone holding it can use (S3's presigned GET), valid this long.
    Shared(SharedFor),
    Json,
    Curl,
}

/// How long a shared link works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedFor {
    Quarter,
    Hour,
    Week,
}

impl SharedFor {
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(match self {
            SharedFor::Quarter => 15 * 60,
            SharedFor::Hour => 3600,
            SharedFor::Week => 7 * 24 * 3600,
        })
    }
}

impl CopyWhat {
    pub const MENU: [(char, CopyWhat, &'static str); 7] = [
        ('i', CopyWhat::Id, "id"),
        ('n', CopyWhat::Name, "name"),
        ('k', CopyWhat::Key, "storage key or path"),
        ('u', CopyWhat::Url, "URL in the record"),
        ('l', CopyWhat::Link, "a fresh download link"),
        ('j', CopyWhat::Json, "the record as JSON"),
        ('c', CopyWhat::Curl, "this view's request as curl"),
    ];

    /// The menu for an API that makes shared links (S3): `l` is a presigned link valid 15
    /// minutes, `h` one hour, `w` seven days.
    pub const SHARED_MENU: [(char, CopyWhat, &'static str); 9] = [
        ('i', CopyWhat::Id, "id (the key)"),
        ('n', CopyWhat::Name, "name"),
        ('k', CopyWhat::Key, "storage key or path"),
        ('u', CopyWhat::Url, "URL in the record (s3://)"),
        (
            'l',
            CopyWhat::Shared(SharedFor::Quarter),
            "presigned link, 15 min",
        ),
        (
            'h',
            CopyWhat::Shared(SharedFor::Hour),
            "presigned link, 1 hour",
        ),
        (
            'w',
            CopyWhat::Shared(SharedFor::Week),
            "presigned link, 7 days",
        ),
        ('j', CopyWhat::Json, "the record as JSON"),
        ('c', CopyWhat::Curl, "this view's request as curl"),
    ];

    /// The menu for a dialect.
    pub fn menu(shares_links: bool) -> &'static [(char, CopyWhat, &'static str)] {
        if shares_links {
            &Self::SHARED_MENU
        } else {
            &Self::MENU
        }
    }

    pub fn label(self) -> &'static str {
        Self::MENU
            .iter()
            .chain(Self::SHARED_MENU.iter())
            .find(|(_, what, _)| *what == self)
            .map_or("", |(_, _, label)| label)
    }
}

/// A value to copy that the runtime must resolve first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopySource {
    /// A fresh download link (it may cost a request, or for FileGuard a counted download).
    Link(Box<FileRecord>),
    /// The view's request as a curl command.
    Curl(ListQuery, PageRequest),
    /// In a listing of versions, the chosen version's GET as a curl command.
    CurlFile(Box<FileRecord>),
}

/// A line the user is typing an answer into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// `:`: a row number or a percentage to jump to.
    Jump,
    DownloadDir,
    /// Where to export; `exists` after the name first given was taken.
    ExportPath {
        exists: bool,
    },
    /// Type the number of files to delete them.
    ConfirmDelete {
        ids: Vec<(String, String)>,
        /// What was typed instead of the number, the last time: the prompt asks again.
        wrong: Option<String>,
    },
}

/// Files to download, some of which already exist where they would go.
#[derive(Debug, PartialEq, Eq)]
pub struct PendingDownload {
    pub dir: PathBuf,
    pub records: Vec<FileRecord>,
    /// Names (as saved) that exist already.
    pub existing: Vec<String>,
}

/// One file to download, as handed to the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadJob {
    pub id: TransferId,
    pub record: FileRecord,
    /// Where it should go; with [`Conflict::Rename`] a free name beside it if that is taken.
    pub path: PathBuf,
    pub conflict: crate::api::content::Conflict,
}

/// What happened to a download.
#[derive(Debug)]
pub enum TransferEvent {
    Started,
    Progress(Progress),
    Done(Saved),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    Queued,
    Running,
    Done {
        /// The published checksum that was checked and matched.
        verified: Option<crate::api::content::Algorithm>,
        resumed_from: u64,
        /// What the user should know (an unusable checksum, a size unlike the listing's).
        notes: Vec<String>,
    },
    Failed(String),
    Cancelled,
}

#[derive(Debug)]
pub struct Transfer {
    pub id: TransferId,
    /// The file's name, made safe to draw.
    pub name: String,
    pub path: PathBuf,
    pub state: TransferState,
    pub done: u64,
    pub total: Option<u64>,
    /// Bytes per second, smoothed.
    pub rate: f64,
    last: Option<(Instant, u64)>,
    started: Option<Instant>,
    finished: Option<Instant>,
}

impl Transfer {
    /// How it stands, in words, whole: `failed: HTTP 403 from …`, `queued`, `saved 1.2 MiB`.
    pub fn describe(&self) -> String {
        match &self.state {
            TransferState::Queued => "queued".to_string(),
            TransferState::Running => format!(
                "{} of {}",
                human_size(self.done),
                self.total
                    .map(human_size)
                    .unwrap_or_else(|| "?".to_string())
            ),
            TransferState::Done { notes, .. } => {
                let mut text = format!("saved {}", human_size(self.done));
                for note in notes {
                    text.push_str(&format!(" · {note}"));
                }
                text
            }
            TransferState::Failed(reason) => format!("failed: {reason}"),
            TransferState::Cancelled => "cancelled (the part is kept; d resumes)".to_string(),
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self.state, TransferState::Queued | TransferState::Running)
    }

    /// Seconds left at the current rate.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        (self.rate > 1.0 && self.state == TransferState::Running)
            .then(|| Duration::from_secs_f64(total.saturating_sub(self.done) as f64 / self.rate))
    }

    /// How long it took, once finished.
    pub fn elapsed(&self) -> Option<Duration> {
        Some(self.finished?.saturating_duration_since(self.started?))
    }

    fn observe(&mut self, progress: Progress, now: Instant) {
        if let Some((at, done)) = self.last {
            let dt = now.saturating_duration_since(at).as_secs_f64();
            if dt >= 0.05 && progress.done >= done {
                let sample = (progress.done - done) as f64 / dt;
                self.rate = if self.rate == 0.0 {
                    sample
                } else {
                    0.7 * self.rate + 0.3 * sample
                };
                self.last = Some((now, progress.done));
            }
        } else {
            self.last = Some((now, progress.done));
        }
        self.done = progress.done;
        self.total = progress.total.or(self.total);
    }
}

/// Every download of the session, newest last.
#[derive(Debug, Default)]
pub struct Transfers {
    pub items: Vec<Transfer>,
    pub selected: usize,
    next_id: u64,
}

impl Transfers {
    /// Queued or running.
    pub fn active(&self) -> usize {
        self.items.iter().filter(|t| t.is_active()).count()
    }

    /// Running now (the rest of the active ones wait their turn).
    pub fn running(&self) -> usize {
        self.items
            .iter()
            .filter(|t| t.state == TransferState::Running)
            .count()
    }

    /// Bytes done and bytes expected (where known) over the active and finished transfers.
    pub fn totals(&self) -> (u64, u64) {
        self.items
            .iter()
            .filter(|t| !matches!(t.state, TransferState::Cancelled))
            .fold((0, 0), |(done, total), t| {
                (done + t.done, total + t.total.unwrap_or(t.done))
            })
    }

    /// Combined speed of the running transfers.
    pub fn rate(&self) -> f64 {
        self.items
            .iter()
            .filter(|t| t.state == TransferState::Running)
            .map(|t| t.rate)
            .sum()
    }

    fn get(&mut self, id: TransferId) -> Option<&mut Transfer> {
        self.items.iter_mut().find(|t| t.id == id)
    }
}

/// The text preview of one file.
#[derive(Debug)]
pub struct Preview {
    pub id: String,
    /// The file's name, made safe to draw.
    pub name: String,
    pub state: PreviewState,
    pub scroll: usize,
    /// Long lines wrapped (`w`) rather than cut and scrolled sideways.
    pub wrap: bool,
    /// How many columns the lines are scrolled to the left (`→`/`←`), when not wrapped.
    pub column: usize,
}

/// How far `→`/`←` move a preview's lines sideways.
pub const PREVIEW_SIDESTEP: usize = 8;

#[derive(Debug)]
pub enum PreviewState {
    Loading,
    Failed(String),
    Loaded {
        /// The lines as fetched: drawn only through `ui::safe_spans`, which shows their
        /// control characters as escapes.
        lines: Vec<String>,
        /// What was fetched, for the pager.
        bytes: Arc<Vec<u8>>,
        /// Where the text came from and whether it is all of it.
        note: String,
        /// Text (numbered lines in a gutter), not a hex dump (which has its offsets).
        text: bool,
    },
}

/// What the runtime fetched for a preview.
#[derive(Debug)]
pub struct PreviewData {
    pub bytes: Vec<u8>,
    /// The API's extracted text rather than the file's bytes (Open WebUI).
    pub extracted: bool,
    /// The file's size, when known, to say whether this is all of it.
    pub size: Option<u64>,
}

/// Which records an export writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSource {
    Marked(Vec<FileRecord>),
    /// The whole current view, fetched again the way `filescope ls --all` would.
    View {
        sort: Option<crate::api::Sort>,
        filter: crate::api::Filter,
        /// The versions listed, in a listing of versions.
        versions: Option<crate::api::Versions>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub path: PathBuf,
    pub format: crate::export::Format,
    pub source: ExportSource,
}

/// Lines of fetched bytes. Text shows as text (invalid UTF-8 replaced, tabs as four spaces),
/// its control characters left for the view to draw as escapes of their own style
/// (`ui::safe_spans`: nothing from a server reaches the terminal as it is); anything with NUL
/// bytes or mostly not text shows as a hex dump, which holds only printable ASCII.
pub fn preview_lines(bytes: &[u8]) -> (Vec<String>, bool) {
    let sample = &bytes[..bytes.len().min(8192)];
    let text = String::from_utf8_lossy(sample);
    let odd = text
        .chars()
        .filter(|c| *c == '\u{fffd}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
        .count();
    let binary = sample.contains(&0) || odd * 10 > text.chars().count().max(1);
    if binary {
        let lines = bytes
            .chunks(16)
            .enumerate()
            .map(|(i, chunk)| {
                let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
                let ascii: String = chunk
                    .iter()
                    .map(|&b| {
                        if b.is_ascii_graphic() || b == b' ' {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                format!("{:08x}  {:<47}  {ascii}", i * 16, hex.join(" "))
            })
            .collect();
        return (lines, true);
    }
    let text = String::from_utf8_lossy(bytes);
    let lines = text
        .split('\n')
        .map(|line| {
            line.strip_suffix('\r')
                .unwrap_or(line)
                .replace('\t', "    ")
        })
        .collect();
    (lines, false)
}

/// A JSON document (an object or an array) pretty-printed, if `bytes` is one; `None` for
/// anything else, left as it is.
fn pretty_json(bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if !matches!(bytes[start], b'{' | b'[') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

impl App {
    /// What the download prompt asks: how many files, and how many of the marked ones the
    /// view does not show (`download 12 marked files (3 hidden by the filter) to: `).
    pub fn download_prompt(&self) -> String {
        if self.files.marks.is_empty() {
            return match self.selected() {
                Some(r) => format!("download {} to: ", sanitize_short(&r.name)),
                None => "download to: ".to_string(),
            };
        }
        let hidden = self.marks_out_of_view();
        let why = if self.listing.filter().is_empty() {
            "not in this view"
        } else {
            "hidden by the filter"
        };
        let note = if hidden > 0 {
            format!(" ({hidden} {why})")
        } else {
            String::new()
        };
        format!(
            "download {}{note} to: ",
            crate::text::count(self.files.marks.len(), "marked file")
        )
    }

    /// The export's file exists: the prompt comes back with a free name beside it.
    pub(super) fn on_export_exists(&mut self, path: PathBuf, free: Option<PathBuf>) {
        self.dirty = true;
        match free {
            Some(free) => {
                // Nothing is being exported while the prompt asks again: no `exporting to …`
                // left behind for when it closes.
                self.status = None;
                self.open_prompt(
                    Prompt::ExportPath { exists: true },
                    &free.display().to_string(),
                );
            }
            None => {
                self.status = Some(Status::Error(format!(
                    "{} exists; not overwritten",
                    sanitize(&path.display().to_string())
                )));
            }
        }
    }

    /// What the export prompt asks: what is written, and in which formats.
    pub fn export_prompt(&self) -> String {
        let what = if self.files.marks.is_empty() {
            "the view".to_string()
        } else {
            crate::text::count(self.files.marks.len(), "marked file")
        };
        let exists = matches!(
            self.overlay,
            Overlay::Prompt {
                prompt: Prompt::ExportPath { exists: true },
                ..
            }
        );
        if exists {
            return format!("that file exists; export {what} to this free name? ");
        }
        format!("export {what} to (.ndjson, .csv, .json): ")
    }

    /// Marked files that are not among the rows the view has loaded.
    fn marks_out_of_view(&self) -> usize {
        let mut seen = 0;
        for i in 0..self.row_count() {
            if let Row::Loaded(r) = self.row(i)
                && self.files.marks.contains(&r.id)
            {
                seen += 1;
            }
        }
        self.files.marks.len().saturating_sub(seen)
    }

    /// The files an action applies to: the marked ones, else the selected one.
    fn targets(&self) -> Vec<FileRecord> {
        if self.files.marks.is_empty() {
            self.selected().cloned().into_iter().collect()
        } else {
            self.files.marks.records().to_vec()
        }
    }

    pub(super) fn on_file_action(&mut self, action: FileAction) -> Vec<Effect> {
        if let Some(why) = self.folder_refusal(action) {
            self.status = Some(Status::Info(why));
            return Vec::new();
        }
        match action {
            FileAction::Mark => {
                self.mark_rows(1);
                Vec::new()
            }
            FileAction::MarkRange => {
                if self.files.range.take().is_some() {
                    // `V` again: the range is kept.
                    self.say_marks();
                    return Vec::new();
                }
                self.files.range = Some(Range {
                    anchor: self.listing.cursor().selected,
                    before: self.files.marks.records().to_vec(),
                });
                self.extend_range();
                self.say_marks();
                Vec::new()
            }
            FileAction::InvertMarks => {
                let mut loaded = 0;
                for i in 0..self.row_count() {
                    if let Row::Loaded(record) = self.row(i) {
                        let record = record.clone();
                        if !self.dialect.is_folder(&record) {
                            self.files.marks.toggle(&record);
                        }
                        loaded += 1;
                    }
                }
                self.say_marks();
                if loaded < self.row_count() {
                    // Only name the load-all key where it would load something.
                    self.status = Some(Status::Info(format!(
                        "{} (inverted over the {}{})",
                        self.marks_summary(),
                        crate::text::count(loaded, "loaded row"),
                        self.load_all_hint()
                            .map(|h| format!("; {h}"))
                            .unwrap_or_default()
                    )));
                }
                Vec::new()
            }
            FileAction::Copy => {
                if self.selected().is_none() {
                    self.status = Some(Status::Info("nothing selected to copy".to_string()));
                } else {
                    self.overlay = Overlay::CopyMenu {
                        from_detail: matches!(self.overlay, Overlay::DetailFull),
                    };
                }
                Vec::new()
            }
            FileAction::Download => {
                if self.targets().is_empty() {
                    self.status = Some(Status::Info("nothing selected to download".to_string()));
                    return Vec::new();
                }
                self.open_prompt(
                    Prompt::DownloadDir,
                    &self.files.download_dir.display().to_string(),
                );
                Vec::new()
            }
            FileAction::Transfers => {
                if self.files.transfers.items.is_empty() {
                    // No panel to draw: the keys stay with the list, and the line says why.
                    self.status = Some(Status::Info(format!(
                        "no downloads yet ({} downloads the marked or selected files)",
                        self.key(Action::Download)
                    )));
                    return Vec::new();
                }
                // Hidden, or shown without the keys: show it with the keys, to move and
                // cancel (its title says so). With the keys, `t` hides it (on_transfers_key).
                self.files.transfers_shown = true;
                self.overlay = Overlay::Transfers;
                Vec::new()
            }
            FileAction::Preview => {
                let Some(record) = self.selected().cloned() else {
                    return Vec::new();
                };
                if !self.counted_fetch_confirmed(Action::Preview, &record.id) {
                    return Vec::new();
                }
                self.overlay = Overlay::Preview(Preview {
                    id: record.id.clone(),
                    name: sanitize(&record.name).into_owned(),
                    state: PreviewState::Loading,
                    scroll: 0,
                    wrap: false,
                    column: 0,
                });
                vec![FileEffect::Preview(Box::new(record)).into()]
            }
            FileAction::OpenLink => match self.selected().cloned() {
                Some(record) if self.counted_fetch_confirmed(Action::OpenLink, &record.id) => {
                    self.status = Some(Status::Info("getting the link…".to_string()));
                    vec![FileEffect::OpenLink(Box::new(record)).into()]
                }
                _ => Vec::new(),
            },
            FileAction::Export => {
                let what = if self.files.marks.is_empty() {
                    "view"
                } else {
                    "marked"
                };
                let name = format!(
                    "filescope-{}-{what}.ndjson",
                    crate::text::sanitize(&self.conn.label).replace(['/', '\\', ' '], "_")
                );
                let path = self.files.download_dir.join(name);
                self.open_prompt(
                    Prompt::ExportPath { exists: false },
                    &path.display().to_string(),
                );
                Vec::new()
            }
            FileAction::Delete => {
                self.start_delete();
                Vec::new()
            }
        }
    }

    /// Space, `n` times (`10 Space`): marks or unmarks the selected row and moves down, as
    /// many times as there are loaded rows to go.
    pub(super) fn mark_rows(&mut self, n: usize) {
        for _ in 0..n {
            let Some(record) = self.selected().cloned() else {
                break;
            };
            if !self.dialect.is_folder(&record) {
                self.files.marks.toggle(&record);
            }
            let len = self.row_count();
            let before = self.listing.cursor().selected;
            self.listing.cursor_mut().move_by(1, len);
            if self.listing.cursor().selected == before {
                break;
            }
        }
        self.say_marks();
    }

    /// The rows a range being marked spans, if one is.
    pub fn range_rows(&self) -> Option<usize> {
        let range = self.files.range.as_ref()?;
        Some(range.anchor.abs_diff(self.listing.cursor().selected) + 1)
    }

    /// Marks what the range spans now: the marks it started from, and every loaded row from
    /// its first row to the cursor.
    pub(super) fn extend_range(&mut self) {
        let Some(range) = &self.files.range else {
            return;
        };
        let here = self.listing.cursor().selected;
        let (lo, hi) = (range.anchor.min(here), range.anchor.max(here));
        let mut marks = Marks::of(&range.before);
        for i in lo..=hi.min(self.row_count().saturating_sub(1)) {
            // Folders are not files: a range marks the files in it.
            if let Row::Loaded(record) = self.row(i)
                && !self.dialect.is_folder(record)
            {
                marks.mark(record);
            }
        }
        self.files.marks = marks;
    }

    /// Esc while marking a range: the marks go back to what they were before it.
    pub(super) fn drop_range(&mut self) {
        if let Some(range) = self.files.range.take() {
            self.files.marks = Marks::of(&range.before);
            self.status = Some(Status::Info(format!(
                "range dropped; {}",
                self.marks_summary()
            )));
        }
    }

    /// Where fetching a file's bytes counts as a download (FileGuard), the first press only
    /// says so; the same key on the same file again goes ahead.
    fn counted_fetch_confirmed(&mut self, action: Action, id: &str) -> bool {
        if !self.dialect.link_counts_as_download() {
            return true;
        }
        let key = (action, id.to_string());
        if self.files.counted_confirm.as_ref() == Some(&key) {
            self.files.counted_confirm = None;
            return true;
        }
        self.files.counted_confirm = Some(key);
        self.status = Some(Status::Info(format!(
            "{} counts every fetch of a file as a download; press {} again to go ahead",
            self.conn.dialect,
            self.key(action)
        )));
        false
    }

    fn marks_summary(&self) -> String {
        format!(
            "{} marked ({})",
            thousands(self.files.marks.len()),
            human_size(self.files.marks.bytes())
        )
    }

    fn say_marks(&mut self) {
        self.status = Some(Status::Info(self.marks_summary()));
    }

    fn open_prompt(&mut self, prompt: Prompt, initial: &str) {
        self.overlay = Overlay::Prompt {
            prompt,
            input: Input::new(initial.to_string()),
        };
    }

    fn start_delete(&mut self) {
        if !self.files.deleting.is_empty() {
            self.status = Some(Status::Info(format!(
                "{} still waiting for the server",
                crate::text::count(self.files.deleting.len(), "deletion")
            )));
            return;
        }
        if self.dialect.delete_request("x").is_none() {
            self.status = Some(Status::Error(format!(
                "{} has no delete endpoint; filescope cannot delete there",
                self.conn.dialect
            )));
            return;
        }
        if !self.files.allow_delete {
            self.status = Some(Status::Error(
                "read-only: deleting needs allow_delete = true in this connection's profile"
                    .to_string(),
            ));
            return;
        }
        let ids: Vec<(String, String)> = self
            .targets()
            .into_iter()
            .map(|r| (r.id, sanitize(&r.name).into_owned()))
            .collect();
        if ids.is_empty() {
            return;
        }
        self.open_prompt(Prompt::ConfirmDelete { ids, wrong: None }, "");
    }

    pub(super) fn on_copy_menu_key(&mut self, from_detail: bool, key: KeyEvent) -> Vec<Effect> {
        // Any key closes the menu; one of its letters copies.
        self.overlay = if from_detail {
            Overlay::DetailFull
        } else {
            Overlay::List
        };
        let KeyCode::Char(c) = key.code else {
            return Vec::new();
        };
        let Some(record) = self.selected().cloned() else {
            return Vec::new();
        };
        let shares = self
            .reach
            .share_link(&record, SharedFor::Quarter.duration())
            .is_some();
        let Some((_, what, label)) = CopyWhat::menu(shares).iter().find(|(k, _, _)| *k == c) else {
            return Vec::new();
        };
        let text = match what {
            CopyWhat::Id => Some(record.id.clone()),
            CopyWhat::Name => Some(record.name.clone()),
            CopyWhat::Key => self.dialect.storage_key(&record),
            CopyWhat::Url => record.url.clone(),
            // Escaped like every JSON filescope writes: the clipboard is pasted into terminals.
            CopyWhat::Json => Some(crate::export::pretty_raw(&record.raw)),
            CopyWhat::Shared(valid) => {
                match self.reach.share_link(&record, valid.duration()) {
                    // A credential for as long as it is valid: copied, never shown or logged.
                    Some(Ok(url)) => Some(url.to_string()),
                    Some(Err(e)) => {
                        self.status = Some(Status::Error(format!("cannot sign the link: {e}")));
                        return Vec::new();
                    }
                    None => None,
                }
            }
            CopyWhat::Link => {
                let note = if self.dialect.link_counts_as_download() {
                    " (the API counts this as a download)"
                } else {
                    ""
                };
                self.status = Some(Status::Info(format!("getting a download link…{note}")));
                return vec![
                    FileEffect::ResolveCopy {
                        label: label.to_string(),
                        source: CopySource::Link(Box::new(record)),
                    }
                    .into(),
                ];
            }
            CopyWhat::Curl if self.listing.query().versions.is_some() => {
                return vec![
                    FileEffect::ResolveCopy {
                        label: "this version's request as curl".to_string(),
                        source: CopySource::CurlFile(Box::new(record)),
                    }
                    .into(),
                ];
            }
            CopyWhat::Curl => {
                let page = PageRequest {
                    number: 1,
                    size: self.listing.page_size(),
                };
                return vec![
                    FileEffect::ResolveCopy {
                        label: label.to_string(),
                        source: CopySource::Curl(self.listing.query().clone(), page),
                    }
                    .into(),
                ];
            }
        };
        match text {
            Some(text) if !text.is_empty() => vec![
                TerminalEffect::Clipboard {
                    label: label.to_string(),
                    text,
                    command: self.settings.clipboard_cmd.clone(),
                }
                .into(),
            ],
            _ => {
                self.status = Some(Status::Info(format!(
                    "this file has no {label} in {}'s records",
                    self.conn.dialect
                )));
                Vec::new()
            }
        }
    }

    pub(super) fn on_prompt_key(
        &mut self,
        prompt: Prompt,
        mut input: Input,
        key: KeyEvent,
        now: Instant,
    ) -> Vec<Effect> {
        match lookup(PROMPT_KEYS, &key, &self.settings.keymap) {
            Some(PromptKey::Cancel) => {
                // An export or a delete that was asked about says it did not happen.
                let said = match prompt {
                    Prompt::ExportPath { .. } => Some("not exported".to_string()),
                    Prompt::ConfirmDelete { .. } if !self.files.marks.is_empty() => Some(format!(
                        "nothing deleted; {} still marked",
                        crate::text::count(self.files.marks.len(), "file")
                    )),
                    Prompt::ConfirmDelete { .. } => Some("nothing deleted".to_string()),
                    Prompt::Jump | Prompt::DownloadDir => None,
                };
                if let Some(said) = said {
                    self.status = Some(Status::Info(said));
                }
                Vec::new()
            }
            None => {
                input.handle_event(&Event::Key(key));
                self.overlay = Overlay::Prompt { prompt, input };
                Vec::new()
            }
            Some(PromptKey::Accept) => {
                let value = input.value().trim().to_string();
                match prompt {
                    Prompt::Jump => self.jump_to_typed(input.value(), now),
                    Prompt::DownloadDir => {
                        let dir = if value.is_empty() {
                            self.files.download_dir.clone()
                        } else {
                            PathBuf::from(value)
                        };
                        self.files.download_dir = dir.clone();
                        vec![
                            FileEffect::PrepareDownload {
                                dir,
                                records: self.targets(),
                            }
                            .into(),
                        ]
                    }
                    Prompt::ExportPath { .. } => {
                        if value.is_empty() {
                            return Vec::new();
                        }
                        let path = PathBuf::from(&value);
                        let (format, note) = export_format(&path);
                        let source = if self.files.marks.is_empty() {
                            ExportSource::View {
                                sort: self.listing.sort(),
                                filter: self.scoped_filter(),
                                versions: self.listing.query().versions.clone(),
                            }
                        } else {
                            ExportSource::Marked(self.files.marks.records().to_vec())
                        };
                        self.status = Some(Status::Info(format!(
                            "exporting to {}{}…",
                            sanitize(&value),
                            note.unwrap_or_default()
                        )));
                        vec![
                            FileEffect::Export(ExportJob {
                                path,
                                format,
                                source,
                            })
                            .into(),
                        ]
                    }
                    Prompt::ConfirmDelete { ids, .. } => {
                        if value != ids.len().to_string() {
                            // Asked again, saying what was wrong: closing here would leave
                            // the next natural Esc to clear the marks.
                            let wrong = Some(sanitize_short(&value));
                            self.open_prompt(Prompt::ConfirmDelete { ids, wrong }, "");
                            return Vec::new();
                        }
                        self.files.deleting = ids.iter().map(|(id, _)| id.clone()).collect();
                        self.status = Some(Status::Info(format!(
                            "deleting {}…",
                            crate::text::count(ids.len(), "file")
                        )));
                        vec![FileEffect::Delete(ids.into_iter().map(|(id, _)| id).collect()).into()]
                    }
                }
            }
        }
    }

    /// An answer of the file executor: copies, downloads, previews, links, exports, deletions.
    pub(super) fn on_files_msg(&mut self, msg: FileMsg, now: Instant) -> Vec<Effect> {
        match msg {
            FileMsg::Copied { label, text, via } => {
                self.dirty = true;
                self.on_copied(label, text, via);
                Vec::new()
            }
            FileMsg::CopyReady { label, text } => vec![
                TerminalEffect::Clipboard {
                    label,
                    text,
                    command: self.settings.clipboard_cmd.clone(),
                }
                .into(),
            ],
            FileMsg::TargetsChecked {
                dir,
                records,
                existing,
            } => {
                self.dirty = true;
                self.on_targets_checked(dir, records, existing)
            }
            FileMsg::Transfer { id, event } => {
                self.on_transfer(id, event, now);
                Vec::new()
            }
            FileMsg::Previewed { id, result } => {
                self.on_preview_data(id, result);
                Vec::new()
            }
            FileMsg::ShowValue { title, text } => {
                self.dirty = true;
                self.status = None;
                self.overlay = Overlay::Value {
                    title,
                    text,
                    from_transfers: false,
                };
                Vec::new()
            }
            FileMsg::Exported { path, result } => {
                self.dirty = true;
                let csv = path.extension().is_some_and(|e| e == "csv");
                let note = export_format(&path).1.unwrap_or_default();
                self.status = Some(match result {
                    Ok(n) => Status::Info(format!(
                        "exported {} to {}{note}{}",
                        crate::text::count(n, "record"),
                        path.display(),
                        if csv {
                            " (made safe for spreadsheets: controls as visible escapes, formula cells prefixed with ')"
                        } else {
                            ""
                        }
                    )),
                    Err(e) => Status::Error(format!("export to {} failed: {e}", path.display())),
                });
                Vec::new()
            }
            FileMsg::ExportExists { path, free } => {
                self.on_export_exists(path, free);
                Vec::new()
            }
            FileMsg::Deleted { id, result } => self.on_deleted(id, result, now),
        }
    }

    /// The runtime looked at the target directory.
    pub(super) fn on_targets_checked(
        &mut self,
        dir: PathBuf,
        records: Vec<FileRecord>,
        existing: Vec<String>,
    ) -> Vec<Effect> {
        if existing.is_empty() {
            return self.start_downloads(dir, records, Overwrite::No);
        }
        self.overlay = Overlay::Exists(PendingDownload {
            dir,
            records,
            existing,
        });
        Vec::new()
    }

    pub(super) fn on_exists_key(&mut self, pending: PendingDownload, key: KeyEvent) -> Vec<Effect> {
        let choice = match lookup(EXISTS_KEYS, &key, &self.settings.keymap) {
            Some(ExistsKey::Overwrite) => Overwrite::Yes,
            Some(ExistsKey::KeepBoth) => Overwrite::KeepBoth,
            Some(ExistsKey::Skip) => Overwrite::Skip,
            Some(ExistsKey::Cancel) => {
                self.status = Some(Status::Info("download cancelled".to_string()));
                return Vec::new();
            }
            None => {
                self.overlay = Overlay::Exists(pending);
                return Vec::new();
            }
        };
        let records = match choice {
            Overwrite::Skip => pending
                .records
                .into_iter()
                .filter(|r| {
                    !pending
                        .existing
                        .contains(&crate::api::content::safe_file_name(&r.name, &r.id))
                })
                .collect(),
            _ => pending.records,
        };
        self.start_downloads(pending.dir, records, choice)
    }

    fn start_downloads(
        &mut self,
        dir: PathBuf,
        records: Vec<FileRecord>,
        overwrite: Overwrite,
    ) -> Vec<Effect> {
        if records.is_empty() {
            self.status = Some(Status::Info("nothing to download".to_string()));
            return Vec::new();
        }
        use crate::api::content::Conflict;
        let mut jobs = Vec::new();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        for record in records {
            let name = crate::api::content::safe_file_name(&record.name, &record.id);
            let path = dir.join(&name);
            // The user answered for the files on disk; a second file of the same name in this
            // batch is never written over the first, whatever the answer.
            let conflict = match overwrite {
                _ if !seen.insert(path.clone()) => Conflict::Rename,
                Overwrite::Yes => Conflict::Overwrite,
                Overwrite::KeepBoth => Conflict::Rename,
                Overwrite::No | Overwrite::Skip => Conflict::Fail,
            };
            self.files.transfers.next_id += 1;
            let id = TransferId(self.files.transfers.next_id);
            self.files.transfers.items.push(Transfer {
                id,
                name: sanitize(&record.name).into_owned(),
                path: path.clone(),
                state: TransferState::Queued,
                done: 0,
                total: record.size,
                rate: 0.0,
                last: None,
                started: None,
                finished: None,
            });
            jobs.push(DownloadJob {
                id,
                record,
                path,
                conflict,
            });
        }
        self.status = Some(Status::Info(format!(
            "downloading {} to {}{}",
            crate::text::count(jobs.len(), "file"),
            dir.display(),
            if overwrite == Overwrite::KeepBoth {
                " (existing names kept; new ones get (1))"
            } else {
                ""
            }
        )));
        // The panel shows them; the keys stay where they were (the list's, a menu's): `Esc`
        // there cancels a download, so only `t` gives the panel the keys.
        self.files.transfers_shown = true;
        self.files.marks.clear();
        vec![FileEffect::Download(jobs).into()]
    }

    pub(super) fn on_transfer(&mut self, id: TransferId, event: TransferEvent, now: Instant) {
        self.dirty = true;
        let Some(t) = self.files.transfers.get(id) else {
            return;
        };
        match event {
            TransferEvent::Started => {
                t.state = TransferState::Running;
                t.started = Some(now);
            }
            TransferEvent::Progress(p) => t.observe(p, now),
            TransferEvent::Done(saved) => {
                t.done = saved.bytes;
                t.total = Some(saved.bytes);
                t.path = saved.path;
                t.finished = Some(now);
                t.state = TransferState::Done {
                    verified: saved.verified,
                    resumed_from: saved.resumed_from,
                    notes: saved.notes,
                };
            }
            TransferEvent::Failed(reason) => {
                t.finished = Some(now);
                if t.state != TransferState::Cancelled {
                    t.state = TransferState::Failed(reason);
                }
            }
        }
        if self.files.transfers.active() == 0 {
            // All done: the panel stays until `t` hides it, and the keys where they are.
            let done = self
                .files
                .transfers
                .items
                .iter()
                .filter(|t| matches!(t.state, TransferState::Done { .. }))
                .count();
            let failed = self
                .files
                .transfers
                .items
                .iter()
                .filter(|t| matches!(t.state, TransferState::Failed(_)))
                .count();
            self.status = Some(if failed > 0 {
                Status::Error(format!(
                    "downloads finished: {done} saved, {failed} failed ({} then Enter on one shows why)",
                    self.key(Action::Transfers)
                ))
            } else {
                Status::Info(format!("downloads finished: {done} saved"))
            });
        }
    }

    /// A key while the panel has the keyboard; `None` for a key the panel does not use, which
    /// then goes to the list behind it.
    pub(super) fn on_transfers_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        let last = self.files.transfers.items.len().saturating_sub(1);
        let does = lookup(TRANSFERS_KEYS, &key, &self.settings.keymap)?;
        self.overlay = Overlay::Transfers;
        match does {
            TransfersKey::Down => {
                // Moving says the panel has the keys: its hints come back in the footer.
                self.status = None;
                self.files.transfers.selected = (self.files.transfers.selected + 1).min(last);
            }
            TransfersKey::Up => {
                self.status = None;
                self.files.transfers.selected = self.files.transfers.selected.saturating_sub(1);
            }
            TransfersKey::CancelOne => {
                let selected = self.files.transfers.selected;
                if let Some(t) = self.files.transfers.items.get_mut(selected)
                    && t.is_active()
                {
                    t.state = TransferState::Cancelled;
                    return Some(vec![FileEffect::CancelTransfers(vec![t.id]).into()]);
                }
                self.overlay = Overlay::List;
            }
            TransfersKey::CancelAll => {
                let ids: Vec<TransferId> = self
                    .files
                    .transfers
                    .items
                    .iter_mut()
                    .filter(|t| t.is_active())
                    .map(|t| {
                        t.state = TransferState::Cancelled;
                        t.id
                    })
                    .collect();
                if !ids.is_empty() {
                    // Only what wrote something has a part to resume; the key comes first.
                    let saved = self.files.transfers.items.iter();
                    let saved = saved.filter(|t| ids.contains(&t.id) && t.done > 0).count();
                    let cancelled = crate::text::count(ids.len(), "download");
                    self.status = Some(Status::Info(match saved {
                        0 => format!("cancelled {cancelled} before anything was saved"),
                        _ => format!(
                            "{} resumes · cancelled {cancelled}; what was saved is kept hidden",
                            self.key(Action::Download)
                        ),
                    }));
                    return Some(vec![FileEffect::CancelTransfers(ids).into()]);
                }
            }
            TransfersKey::Hide => {
                self.files.transfers_shown = false;
                self.overlay = Overlay::List;
            }
            TransfersKey::Details => {
                // The whole of it, a failure's reason above all, which the row cuts.
                let Some(t) = self
                    .files
                    .transfers
                    .items
                    .get(self.files.transfers.selected)
                else {
                    return Some(Vec::new());
                };
                let text = format!("{} → {}: {}", t.name, t.path.display(), t.describe());
                self.overlay = Overlay::Value {
                    title: format!("download of {}", t.name),
                    text,
                    from_transfers: true,
                };
            }
            TransfersKey::ToList => self.overlay = Overlay::List,
        }
        Some(Vec::new())
    }

    pub(super) fn on_preview_data(&mut self, id: String, result: Result<PreviewData, String>) {
        let Overlay::Preview(preview) = &mut self.overlay else {
            return;
        };
        if preview.id != id {
            return;
        }
        self.dirty = true;
        preview.state = match result {
            Err(e) => PreviewState::Failed(e),
            Ok(data) => {
                let whole = data.extracted
                    || data
                        .size
                        .is_some_and(|size| data.bytes.len() as u64 >= size)
                    || data.bytes.len() < PREVIEW_BYTES;
                // A whole JSON document is shown pretty-printed (a minified one is one line).
                let pretty = whole.then(|| pretty_json(&data.bytes)).flatten();
                let (lines, binary) = match &pretty {
                    Some(text) => preview_lines(text.as_bytes()),
                    None => preview_lines(&data.bytes),
                };
                let note = format!(
                    "{}{}{}",
                    if data.extracted {
                        "the API's extracted text"
                    } else if binary {
                        "binary: hex dump"
                    } else if pretty.is_some() {
                        "JSON, pretty-printed"
                    } else {
                        "text"
                    },
                    if whole {
                        String::new()
                    } else {
                        format!(" · first {}", human_size(data.bytes.len() as u64))
                    },
                    " · e opens in $PAGER"
                );
                PreviewState::Loaded {
                    lines,
                    bytes: Arc::new(data.bytes),
                    note,
                    text: !binary,
                }
            }
        };
    }

    pub(super) fn on_preview_key(&mut self, mut preview: Preview, key: KeyEvent) -> Vec<Effect> {
        // As many lines as the preview shows, so the last line can come to the bottom.
        let page = crate::geometry::preview_rows(self.size.0, self.size.1).max(1);
        let lines = match &preview.state {
            PreviewState::Loaded { lines, .. } => lines.len(),
            _ => 0,
        };
        let max = lines.saturating_sub(page);
        let mut effects = Vec::new();
        match lookup(PREVIEW_KEYS, &key, &self.settings.keymap) {
            Some(PreviewKey::Close) => return Vec::new(),
            Some(PreviewKey::Pager) => {
                if let PreviewState::Loaded { bytes, .. } = &preview.state {
                    effects.push(
                        TerminalEffect::Pager {
                            name: preview.name.clone(),
                            bytes: Arc::clone(bytes),
                        }
                        .into(),
                    );
                }
            }
            Some(PreviewKey::Wrap) => {
                preview.wrap = !preview.wrap;
                preview.column = 0;
            }
            Some(PreviewKey::Sideways(right)) if !preview.wrap => {
                let widest = match &preview.state {
                    PreviewState::Loaded { lines, .. } => lines
                        .iter()
                        .map(|l| unicode_width::UnicodeWidthStr::width(sanitize(l).as_ref()))
                        .max()
                        .unwrap_or(0),
                    _ => 0,
                };
                preview.column = if right {
                    (preview.column + PREVIEW_SIDESTEP).min(widest.saturating_sub(1))
                } else {
                    preview.column.saturating_sub(PREVIEW_SIDESTEP)
                };
            }
            Some(PreviewKey::Sideways(_)) => {}
            Some(PreviewKey::Scroll(by)) => {
                preview.scroll = match by {
                    Scroll::Down => (preview.scroll + 1).min(max),
                    Scroll::Up => preview.scroll.saturating_sub(1),
                    Scroll::PageDown | Scroll::HalfPageDown => (preview.scroll + page).min(max),
                    Scroll::PageUp | Scroll::HalfPageUp => preview.scroll.saturating_sub(page),
                    Scroll::Top => 0,
                    Scroll::Bottom => max,
                }
            }
            None => {}
        }
        self.overlay = Overlay::Preview(preview);
        effects
    }

    /// The server confirmed (or refused) one deletion.
    pub(super) fn on_deleted(
        &mut self,
        id: String,
        result: Result<(), String>,
        now: Instant,
    ) -> Vec<Effect> {
        self.dirty = true;
        self.files.deleting.remove(&id);
        match result {
            Ok(()) => {
                self.files.marks.forget(&id);
                self.files.deleted.insert(id);
            }
            Err(e) => self.files.delete_errors.push(e),
        }
        if !self.files.deleting.is_empty() {
            return Vec::new();
        }
        let gone = self.files.deleted.len();
        let errors = std::mem::take(&mut self.files.delete_errors);
        self.status = Some(match errors.first() {
            Some(first) => {
                Status::Error(format!("deleted {gone}, {} refused: {first}", errors.len()))
            }
            None => Status::Info(format!("deleted {}", crate::text::count(gone, "file"))),
        });
        if gone == 0 {
            return Vec::new();
        }
        // The listing is read again so the rows the server removed disappear.
        self.files.deleted.clear();
        self.reload(now)
    }
}

/// The format an export path asks for by its extension, and what to say when the extension
/// is not the format's: `.tsv` is written as NDJSON, and the user should know.
pub fn export_format(path: &std::path::Path) -> (crate::export::Format, Option<String>) {
    use crate::export::Format;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => (Format::Csv, None),
        Some("json") => (Format::Json, None),
        Some("ndjson" | "jsonl") => (Format::Ndjson, None),
        Some(other) => (
            Format::Ndjson,
            Some(format!(
                " as NDJSON (.{} is not a format filescope writes: .ndjson, .csv or .json)",
                sanitize(other)
            )),
        ),
        None => (
            Format::Ndjson,
            Some(" as NDJSON (no extension: .ndjson, .csv or .json choose)".to_string()),
        ),
    }
}

/// A name for a prompt: made safe, and cut to 40 columns with `…`.
fn sanitize_short(name: &str) -> String {
    crate::text::fit_width(&sanitize(name), 40).into_owned()
}

/// How to treat files that exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    No,
    Yes,
    KeepBoth,
    Skip,
}

/// A key of the list that acts on files (`Action`s of the key map, as `on_file_action`
/// takes them: every one handled, none forgotten behind a `_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    Copy,
    Download,
    Mark,
    MarkRange,
    InvertMarks,
    Transfers,
    Preview,
    OpenLink,
    Export,
    Delete,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 27, bug 13: the hex dump shows everything fetched (256 KiB), as the text does;
    /// it stopped at 64 KiB without a word.
    #[test]
    fn the_hex_dump_covers_all_the_bytes_fetched() {
        let bytes: Vec<u8> = (0..PREVIEW_BYTES).map(|i| (i % 251) as u8).collect();
        let (lines, binary) = preview_lines(&bytes);
        assert!(binary);
        assert_eq!(lines.len(), PREVIEW_BYTES / 16);
        let last = lines.last().unwrap();
        assert!(last.starts_with("0003fff0  "), "{last}");
    }
}
