//! Application state and its update function. `App::update` takes a message (a key, a resize,
//! a page that arrived, a tick) and returns the effects to carry out (fetch a page, cancel stale
//! requests, suspend); it does no I/O itself, so every behaviour is testable without a terminal
//! or a network. [`run`] is the event loop that carries the effects out.

pub mod actions;
pub mod insight;
mod jobs;
pub mod keys;
mod run;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::api::dialect::{Capabilities, Dialect, Page, PageRequest, Scope, ScopeKind, ScopePage};
use crate::api::{ApiError, FileRecord, Filter, ListQuery, Sort, SortField, filter, plan};
use crate::listing::{Applied, Cursor, LocalView, Motion, PagedList, Prefetch, Row, wanted_rows};
use crate::ui;

pub use jobs::{Host, RecordingHost};
pub use keys::Action;
pub use run::{run, spawn_fetch};

/// How long typing in the filter bar must pause before the search is sent.
pub const FILTER_DEBOUNCE: Duration = Duration::from_millis(250);
/// How often the spinner turns while something loads.
pub const SPINNER_INTERVAL: Duration = Duration::from_millis(100);
/// How long the selection must rest on a file before its full record is fetched, so that
/// scrolling past files costs no requests.
pub const DETAIL_DELAY: Duration = Duration::from_millis(200);
/// Rows kept loaded by default (about 70 MB of records); the rest are fetched again on demand.
pub const DEFAULT_MAX_LOADED_ROWS: usize = 100_000;
/// Pages in flight at once while loading everything for a local sort or filter.
pub const LOAD_ALL_CONCURRENCY: usize = 4;

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A page arrived (or failed), tagged with the generation and page it was requested for.
    Page {
        generation: u64,
        page: usize,
        result: Result<Page, ApiError>,
    },
    /// A file's full record from the dialect's single-file endpoint, tagged with the
    /// generation and id it was requested for.
    Detail {
        generation: u64,
        id: String,
        result: Result<FileRecord, ApiError>,
    },
    /// A local view built away from the UI task (`None`: it was cancelled), with the pages its
    /// snapshot held.
    ViewBuilt {
        id: u64,
        view: Option<LocalView>,
        pages: Vec<usize>,
    },
    /// A scan for the insight view moved on (or ended, with `done`).
    Scanned {
        id: u64,
        stats: Box<crate::insight::Stats>,
        progress: crate::api::scan::Progress,
        done: bool,
        error: Option<String>,
    },
    /// A page of folders or contexts, tagged with the scope generation it was asked for.
    Scopes {
        generation: u64,
        page: usize,
        result: Result<ScopePage, ApiError>,
    },
    /// A request is about to be retried: shown in the status line.
    Retrying(crate::api::retry::RetryNotice),
    /// A value reached the clipboard (`Ok(how)`: "OSC 52", a command, or "shown" when it
    /// must be selected by hand) or could not.
    Copied {
        label: String,
        text: String,
        via: Result<String, String>,
    },
    /// The download directory was looked at: these names exist there already.
    TargetsChecked {
        dir: std::path::PathBuf,
        records: Vec<FileRecord>,
        existing: Vec<String>,
    },
    /// A download moved on, tagged with its transfer id.
    Transfer {
        id: u64,
        event: actions::TransferEvent,
    },
    /// The first bytes (or extracted text) of a file, for the preview of `id`.
    Previewed {
        id: String,
        result: Result<actions::PreviewData, String>,
    },
    /// A value resolved for copying (a fresh link): now to the clipboard.
    CopyReady {
        label: String,
        text: String,
    },
    /// A value to show for selecting by hand (a link, over SSH).
    ShowValue {
        title: String,
        text: String,
    },
    /// An export finished: records written, or why not.
    Exported {
        path: std::path::PathBuf,
        result: Result<usize, String>,
    },
    /// The server confirmed or refused deleting one file.
    Deleted {
        id: String,
        result: Result<(), String>,
    },
    /// Something the runtime did, for the status line.
    Notice(Status),
    /// Time passed: debounce deadlines and the spinner.
    Tick,
    /// SIGTERM, SIGHUP or SIGINT.
    Terminate,
}

/// What the app asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Fetch {
        generation: u64,
        query: ListQuery,
        page: PageRequest,
    },
    /// Build a local view away from the UI task.
    BuildView(ViewJob),
    /// Scan the whole listing for the insight view.
    Scan(insight::ScanJob),
    /// Fetch a page of folders (children of `parent`) or contexts.
    FetchScopes {
        generation: u64,
        parent: Option<String>,
        page: usize,
    },
    /// Fetch one file's full record for the detail pane.
    FetchDetail {
        generation: u64,
        id: String,
    },
    /// Abort every request made for a generation older than this one.
    CancelBefore(u64),
    Suspend,
    /// Put a value in the clipboard (resolving it first for links and curl).
    Copy(actions::CopyJob),
    /// Look at the download directory for names that exist already.
    PrepareDownload {
        dir: std::path::PathBuf,
        records: Vec<FileRecord>,
    },
    /// Download these files, at most a few at a time.
    Download(Vec<actions::DownloadJob>),
    CancelTransfers(Vec<u64>),
    /// Fetch the first bytes or the extracted text of a file.
    Preview(Box<FileRecord>),
    /// Hand fetched bytes to `$PAGER`, giving it the terminal meanwhile.
    Pager {
        name: String,
        bytes: Arc<Vec<u8>>,
    },
    /// Open the file's link in a browser, or show it when there is no local display.
    OpenLink(Box<FileRecord>),
    Export(actions::ExportJob),
    Delete(Vec<String>),
}

/// A local sort or filter over many loaded rows, to run away from the UI task: a snapshot of
/// the loaded pages and a flag a newer change sets to stop it.
#[derive(Clone)]
pub struct ViewJob {
    pub id: u64,
    pub local: crate::api::Local,
    pub page_size: usize,
    pub pages: Vec<(usize, Arc<Vec<FileRecord>>)>,
    pub cancel: Arc<std::sync::atomic::AtomicBool>,
}

impl ViewJob {
    /// Runs the job (on a blocking thread) and returns the message that delivers its result.
    pub fn run(self) -> Msg {
        let view = LocalView::build(self.local, self.page_size, &self.pages, &self.cancel);
        Msg::ViewBuilt {
            id: self.id,
            view,
            pages: self.pages.iter().map(|(p, _)| *p).collect(),
        }
    }
}

impl PartialEq for ViewJob {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ViewJob {}

impl std::fmt::Debug for ViewJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ViewJob {{ id: {}, pages: {} }}",
            self.id,
            self.pages.len()
        )
    }
}

/// A server string on one line, made safe to draw and cut to `max` characters.
fn sanitize_line(text: &str, max: usize) -> String {
    let safe = crate::text::sanitize(text);
    let mut out: String = safe.chars().take(max).collect();
    if safe.chars().count() > max {
        out.push('…');
    }
    out
}

/// Loaded rows above which a local sort or filter is computed away from the UI task.
pub const LOCAL_ASYNC_ROWS: usize = 20_000;

/// What the keyboard is talking to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    List,
    Filter,
    Jump,
    SortMenu {
        index: usize,
    },
    Help,
    DetailFull,
    Insight,
    /// `y` was pressed: the next key says what to copy.
    CopyMenu,
    /// Typing an answer (see [`App::prompt`]).
    Prompt,
    /// Some files to download exist already: overwrite, keep both, skip?
    Exists,
    /// The transfers panel has the keyboard.
    Transfers,
    Preview,
    /// A value shown to be selected by hand.
    Value,
}

/// Which pane of the list view has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
    Scopes,
}

/// The most scope pages read for one level (100 each): a pane, not an archive.
const MAX_SCOPE_PAGES: usize = 50;

/// The folders (AstraCollab) or contexts (FileGuard) beside the files.
#[derive(Debug)]
pub struct Scopes {
    pub kind: ScopeKind,
    /// Folders entered, outermost first, as `(id, name)`; empty at the root and for contexts.
    pub path: Vec<(String, String)>,
    /// The folders inside the current one, or every context.
    pub items: Vec<Scope>,
    pub selected: usize,
    /// The context the listing is narrowed to (folders use `path`).
    pub context: Option<(String, String)>,
    pub loading: bool,
    pub error: Option<String>,
    generation: u64,
}

impl Scopes {
    fn new(kind: ScopeKind) -> Self {
        Scopes {
            kind,
            path: Vec::new(),
            items: Vec::new(),
            selected: 0,
            context: None,
            loading: false,
            error: None,
            generation: 0,
        }
    }

    /// The scope the listing is narrowed to, if any: the current folder or the context.
    pub fn active(&self) -> Option<&(String, String)> {
        match self.kind {
            ScopeKind::Folders => self.path.last(),
            ScopeKind::Contexts => self.context.as_ref(),
        }
    }

    /// Starts listing a level again: a new generation, so late pages of the old one drop.
    fn reload(&mut self) -> Effect {
        self.generation += 1;
        self.items.clear();
        self.selected = 0;
        self.loading = true;
        self.error = None;
        Effect::FetchScopes {
            generation: self.generation,
            parent: match self.kind {
                ScopeKind::Folders => self.path.last().map(|(id, _)| id.clone()),
                ScopeKind::Contexts => None,
            },
            page: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

/// A full record from the single-file endpoint, for the detail pane.
#[derive(Debug)]
pub enum Detail {
    Pending,
    Loaded(Box<FileRecord>),
    Failed(String),
}

/// Static facts about the connection, shown in the header.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub label: String,
    pub dialect: &'static str,
}

pub struct App {
    pub conn: ConnectionInfo,
    /// Which keys do what in the list view.
    pub keymap: keys::KeyMap,
    /// strftime format of the table's date column.
    pub date_format: String,
    /// Which optional columns (size, type, date) the table may show.
    pub columns: Vec<String>,
    /// No colours: the mono theme, or NO_COLOR in the environment.
    pub mono: bool,
    /// TLS verification is off (`--insecure`): the header says so.
    pub insecure: bool,
    pub dialect: Arc<dyn Dialect>,
    pub caps: &'static Capabilities,
    /// The order the user asked for (server-side or local); `None` is the server's own,
    /// undocumented order.
    pub sort: Option<Sort>,
    /// The filter in force, as parsed from the filter bar.
    pub filter_applied: Filter,
    /// What the server is asked for.
    pub query: ListQuery,
    pub list: PagedList,
    /// The loaded rows filtered and sorted locally, when the server cannot do what was asked.
    pub view: Option<LocalView>,
    /// `L` was pressed: every page is being fetched for the local view.
    pub load_all: bool,
    /// Full records fetched for the detail pane, by id, for the current generation.
    pub details: std::collections::HashMap<String, Detail>,
    /// The id a detail fetch is scheduled for, and when.
    detail_due: Option<(String, Instant)>,
    /// Whether the API has a single-file endpoint worth calling for the detail pane.
    has_detail_endpoint: bool,
    /// Folders or contexts beside the files, for APIs that have them.
    pub scopes: Option<Scopes>,
    /// The insight view, while it is open.
    pub insight: Option<insight::Insight>,
    scans: u64,
    pub cursor: Cursor,
    pub mode: Mode,
    pub focus: Focus,
    pub filter: Input,
    pub jump: Input,
    pub detail_scroll: u16,
    pub help_scroll: u16,
    pub status: Option<Status>,
    /// What the API says the listing belongs to (FileJar's organization name).
    pub scope: Option<String>,
    pub spinner: usize,
    pub should_quit: bool,
    /// Set by `update` when the screen needs drawing; cleared by the runtime after a draw.
    pub dirty: bool,
    size: (u16, u16),
    filter_deadline: Option<Instant>,
    next_spin: Option<Instant>,
    /// How far ahead to load while scrolling, from observed latency and speed.
    pub prefetch: Prefetch,
    /// When each pending page of the current generation was asked for.
    requested_at: std::collections::HashMap<usize, Instant>,
    /// At most this many rows stay loaded; pages far from the screen are forgotten.
    pub max_loaded_rows: usize,
    /// Loaded rows above which a local view is built away from the UI task.
    pub local_async_rows: usize,
    /// The local view being built away from the UI task, if any.
    view_job: Option<(u64, Arc<std::sync::atomic::AtomicBool>)>,
    view_jobs: u64,
    /// A jump to the end asked for before the row count was known.
    end_wanted: bool,
    /// Files marked for download, export or delete.
    pub marks: actions::Marks,
    pub transfers: actions::Transfers,
    /// Whether the transfers panel is on screen.
    pub transfers_shown: bool,
    pub preview: Option<actions::Preview>,
    /// What the prompt line asks, while it is open.
    pub prompt: Option<actions::Prompt>,
    pub prompt_input: Input,
    pending_download: Option<actions::PendingDownload>,
    /// Where downloads and exports go (the prompt starts here).
    pub download_dir: std::path::PathBuf,
    /// The profile allows deleting (`allow_delete = true`); read-only otherwise.
    pub allow_delete: bool,
    deleting: std::collections::HashSet<String>,
    /// Files the server confirmed deleted, until the listing is read again.
    pub deleted: std::collections::HashSet<String>,
    delete_errors: Vec<String>,
    /// A value shown to be selected by hand: title and text.
    pub shown_value: Option<(String, String)>,
    /// `q` was pressed once while downloads run: the next `q` quits.
    quit_armed: bool,
    /// A fetch that counts as a download, pressed once: (action, file id) awaiting the second.
    counted_confirm: Option<(Action, String)>,
    /// A command that takes the clipboard on its input (`[ui] clipboard_cmd`), instead of
    /// OSC 52.
    pub clipboard_cmd: Option<Vec<String>>,
}

impl App {
    pub fn new(conn: ConnectionInfo, dialect: Arc<dyn Dialect>, page_size: usize) -> Self {
        let caps = dialect.capabilities();
        let has_detail_endpoint = dialect.detail_request("id").is_some();
        let dialect_scopes = dialect.scope_kind().map(Scopes::new);
        App {
            conn,
            keymap: keys::KeyMap::default(),
            date_format: crate::text::DEFAULT_DATE_FORMAT.to_string(),
            columns: crate::config::COLUMNS.map(str::to_string).to_vec(),
            mono: false,
            insecure: false,
            dialect,
            caps,
            sort: caps.order_known.then_some(caps.default_sort),
            filter_applied: Filter::default(),
            query: ListQuery::new(caps.default_sort),
            list: PagedList::new(page_size),
            view: None,
            load_all: false,
            details: std::collections::HashMap::new(),
            detail_due: None,
            has_detail_endpoint,
            scopes: dialect_scopes,
            insight: None,
            scans: 0,
            cursor: Cursor::default(),
            mode: Mode::List,
            focus: Focus::List,
            filter: Input::default(),
            jump: Input::default(),
            detail_scroll: 0,
            help_scroll: 0,
            status: None,
            scope: None,
            spinner: 0,
            should_quit: false,
            dirty: true,
            size: (0, 0),
            filter_deadline: None,
            next_spin: None,
            prefetch: Prefetch::new(page_size),
            requested_at: std::collections::HashMap::new(),
            max_loaded_rows: DEFAULT_MAX_LOADED_ROWS,
            local_async_rows: LOCAL_ASYNC_ROWS,
            view_job: None,
            view_jobs: 0,
            end_wanted: false,
            marks: actions::Marks::default(),
            transfers: actions::Transfers::default(),
            transfers_shown: false,
            preview: None,
            prompt: None,
            prompt_input: Input::default(),
            pending_download: None,
            download_dir: std::path::PathBuf::from("."),
            allow_delete: false,
            deleting: std::collections::HashSet::new(),
            deleted: std::collections::HashSet::new(),
            delete_errors: Vec::new(),
            shown_value: None,
            clipboard_cmd: None,
            counted_confirm: None,
            quit_armed: false,
        }
    }

    /// Sizes the view and requests the first page.
    pub fn start(&mut self, width: u16, height: u16, now: Instant) -> Vec<Effect> {
        self.size = (width, height);
        self.cursor.height = ui::table_rows(self, width, height);
        let mut effects = self.restart(now);
        if let Some(scopes) = &mut self.scopes {
            effects.push(scopes.reload());
        }
        effects
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// The table's height follows the terminal and the transfers panel; the selection stays
    /// on screen, and rows that came into view are fetched.
    fn relayout(&mut self, now: Instant) -> Vec<Effect> {
        let rows = ui::table_rows(self, self.size.0, self.size.1);
        if rows == self.cursor.height {
            return Vec::new();
        }
        self.cursor.set_height(rows, self.row_count());
        self.fetch_wanted(Motion::Jump, now)
    }

    /// The selected record, when its page is loaded.
    pub fn selected(&self) -> Option<&FileRecord> {
        match self.row(self.cursor.selected) {
            Row::Loaded(record) => Some(record),
            _ => None,
        }
    }

    /// Rows the table shows: the listing's, or the local view's.
    pub fn row_count(&self) -> usize {
        match &self.view {
            Some(view) => view.len(),
            None => self.list.row_count(),
        }
    }

    /// Whether [`App::row_count`] is final: the listing's count is known, or for a local view,
    /// every page is in.
    pub fn is_count_known(&self) -> bool {
        match &self.view {
            Some(_) => self.list.is_complete(),
            None => self.list.is_count_known(),
        }
    }

    /// The row the table shows at position `i`.
    pub fn row(&self, i: usize) -> Row<'_> {
        match &self.view {
            Some(view) => view.get(i).map_or(Row::Pending, |row| self.list.row(row)),
            None => self.list.row(i),
        }
    }

    pub fn is_loading(&self) -> bool {
        self.list.pending() > 0 || self.view_job.is_some()
    }

    /// Stops a local view being built elsewhere; its answer will be dropped.
    fn cancel_view_job(&mut self) {
        if let Some((_, cancel)) = self.view_job.take() {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// When the runtime should next send [`Msg::Tick`], if at all. Nothing ticks while idle.
    pub fn next_deadline(&self) -> Option<Instant> {
        let spin = if self.is_loading() {
            self.next_spin
        } else {
            None
        };
        [
            self.filter_deadline,
            spin,
            self.detail_due.as_ref().map(|d| d.1),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn update(&mut self, msg: Msg, now: Instant) -> Vec<Effect> {
        let mut effects = self.handle(msg, now);
        effects.extend(self.detail_effects(now));
        effects.extend(self.relayout(now));
        effects
    }

    /// Whether the detail pane is on screen.
    fn detail_visible(&self) -> bool {
        self.mode == Mode::DetailFull
            || ui::areas(ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1))
                .detail
                .is_some()
    }

    /// Schedules, and when due makes, the request for the selected file's full record, where
    /// the API has a single-file endpoint and the detail is on screen.
    fn detail_effects(&mut self, now: Instant) -> Vec<Effect> {
        if !self.has_detail_endpoint || !self.detail_visible() {
            self.detail_due = None;
            return Vec::new();
        }
        let Some(id) = self.selected().map(|r| r.id.clone()) else {
            self.detail_due = None;
            return Vec::new();
        };
        if id.is_empty() || self.details.contains_key(&id) {
            self.detail_due = None;
            return Vec::new();
        }
        let due = match &self.detail_due {
            Some((for_id, at)) if *for_id == id => *at,
            _ => {
                let wait = if self.mode == Mode::DetailFull {
                    Duration::ZERO
                } else {
                    DETAIL_DELAY
                };
                self.detail_due = Some((id.clone(), now + wait));
                now + wait
            }
        };
        if due > now {
            return Vec::new();
        }
        self.detail_due = None;
        self.details.insert(id.clone(), Detail::Pending);
        vec![Effect::FetchDetail {
            generation: self.list.generation(),
            id,
        }]
    }

    fn handle(&mut self, msg: Msg, now: Instant) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    return Vec::new();
                }
                self.dirty = true;
                self.on_key(key, now)
            }
            Msg::Resize { width, height } => {
                self.dirty = true;
                self.size = (width, height);
                self.relayout(now)
            }
            Msg::Page {
                generation,
                page,
                result,
            } => self.on_page(generation, page, result, now),
            Msg::Detail {
                generation,
                id,
                result,
            } => {
                if generation == self.list.generation() {
                    let detail = match result {
                        Ok(record) => Detail::Loaded(Box::new(record)),
                        Err(e) => Detail::Failed(e.to_string()),
                    };
                    self.details.insert(id, detail);
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::Scopes {
                generation,
                page,
                result,
            } => self.on_scopes(generation, page, result),
            Msg::Scanned {
                id,
                stats,
                progress,
                done,
                error,
            } => {
                let Some(view) = self.insight.as_mut() else {
                    return Vec::new();
                };
                if view.scan.as_ref().is_none_or(|(scan, _)| *scan != id) {
                    return Vec::new();
                }
                self.dirty = true;
                if let Some(error) = error {
                    view.scan = None;
                    view.error = Some(error);
                    return Vec::new();
                }
                view.stats = *stats;
                view.selected = view.selected.min(view.notable().len().saturating_sub(1));
                if done {
                    view.scan = None;
                    view.source = insight::Source::Scanned;
                } else if let insight::Source::Scanning { started, .. } = view.source {
                    view.source = insight::Source::Scanning { progress, started };
                }
                Vec::new()
            }
            Msg::ViewBuilt { id, view, pages } => {
                if self.view_job.as_ref().is_none_or(|(job, _)| *job != id) {
                    return Vec::new();
                }
                self.view_job = None;
                let Some(mut view) = view else {
                    return Vec::new();
                };
                // Pages that arrived while it was built join it now.
                let newer: Vec<usize> = self
                    .list
                    .loaded_page_numbers()
                    .into_iter()
                    .filter(|p| pages.binary_search(p).is_err())
                    .collect();
                view.add_pages(&self.list, newer);
                self.view = Some(view);
                self.status = None;
                self.cursor.selected = 0;
                self.cursor.offset = 0;
                self.dirty = true;
                self.fetch_wanted(Motion::Jump, now)
            }
            Msg::Retrying(notice) => {
                self.status = Some(Status::Info(notice.describe()));
                self.dirty = true;
                Vec::new()
            }
            Msg::Copied { label, text, via } => {
                self.dirty = true;
                match via {
                    Ok(how) if how == "shown" => {
                        self.shown_value = Some((format!("{label} (select it by hand)"), text));
                        self.mode = Mode::Value;
                    }
                    Ok(how) => {
                        let chars = text.chars().count();
                        let preview: String = sanitize_line(&text, 60);
                        // Copied exactly as the server has it; pasting it into a shell
                        // without bracketed paste would run what follows a newline.
                        let warning = if text.chars().any(crate::text::is_unsafe) {
                            " — it holds control characters, copied as they are"
                        } else {
                            ""
                        };
                        self.status = Some(Status::Info(format!(
                            "copied {label} ({chars} chars) via {how}{warning}: {preview}"
                        )));
                    }
                    Err(e) => {
                        self.status = Some(Status::Error(format!("cannot copy {label}: {e}")))
                    }
                }
                Vec::new()
            }
            Msg::CopyReady { label, text } => vec![Effect::Copy(actions::CopyJob {
                label,
                source: actions::CopySource::Text(text),
            })],
            Msg::TargetsChecked {
                dir,
                records,
                existing,
            } => {
                self.dirty = true;
                self.on_targets_checked(dir, records, existing)
            }
            Msg::Transfer { id, event } => {
                self.on_transfer(id, event, now);
                Vec::new()
            }
            Msg::Previewed { id, result } => {
                self.on_preview_data(id, result);
                Vec::new()
            }
            Msg::ShowValue { title, text } => {
                self.dirty = true;
                self.status = None;
                self.shown_value = Some((title, text));
                self.mode = Mode::Value;
                Vec::new()
            }
            Msg::Exported { path, result } => {
                self.dirty = true;
                self.status = Some(match result {
                    Ok(n) => Status::Info(format!(
                        "exported {} records to {}",
                        crate::text::thousands(n),
                        path.display()
                    )),
                    Err(e) => Status::Error(format!("export to {} failed: {e}", path.display())),
                });
                Vec::new()
            }
            Msg::Deleted { id, result } => self.on_deleted(id, result, now),
            Msg::Notice(status) => {
                self.dirty = true;
                self.status = Some(status);
                Vec::new()
            }
            Msg::Tick => self.on_tick(now),
            Msg::Terminate => {
                self.should_quit = true;
                Vec::new()
            }
        }
    }

    fn on_page(
        &mut self,
        generation: u64,
        page: usize,
        result: Result<Page, ApiError>,
        now: Instant,
    ) -> Vec<Effect> {
        let scope = result.as_ref().ok().and_then(|p| p.scope.clone());
        let error = result.as_ref().err().map(ToString::to_string);
        // A local view keeps the selected file selected while rows are merged in above it.
        let selected_row = self.view.as_ref().and_then(|v| v.get(self.cursor.selected));
        let filled = result.as_ref().map_or(1, |p| {
            p.records.len().div_ceil(self.list.page_size()).max(1)
        });
        let applied = self
            .list
            .apply(generation, page, result.map_err(|e| e.to_string()));
        if generation == self.list.generation()
            && let Some(at) = self.requested_at.remove(&page)
        {
            self.prefetch
                .observe_latency(now.saturating_duration_since(at));
        }
        if applied == Applied::Stale {
            tracing::debug!(
                generation,
                page,
                current = self.list.generation(),
                "dropped a stale page"
            );
            return Vec::new();
        }
        self.dirty = true;
        if scope.is_some() {
            self.scope = scope;
        }
        if let Some(error) = error {
            self.status = Some(Status::Error(format!("page {page}: {error} (R reloads)")));
        }
        if let Some(warning) = self.list.take_warning() {
            self.status = Some(Status::Error(warning));
        }
        if let Some(view) = &mut self.view {
            view.add_pages(&self.list, page..page + filled);
            if let Some(pos) = selected_row.and_then(|row| view.position_of(row)) {
                self.cursor.selected = pos;
            }
            if self.load_all && self.list.is_complete() {
                self.load_all = false;
            }
        }
        let len = self.row_count();
        if self.end_wanted && self.is_count_known() {
            self.end_wanted = false;
            self.cursor.move_to(len.saturating_sub(1), len);
            return self.fetch_wanted(Motion::Jump, now);
        }
        self.cursor.follow(len);
        // The first page may show the listing is shorter than the screen, or the count may
        // have become known: fetch whatever the screen still lacks.
        self.fetch_wanted(Motion::Jump, now)
    }

    fn on_scopes(
        &mut self,
        generation: u64,
        page: usize,
        result: Result<ScopePage, ApiError>,
    ) -> Vec<Effect> {
        let Some(scopes) = &mut self.scopes else {
            return Vec::new();
        };
        if generation != scopes.generation {
            return Vec::new();
        }
        self.dirty = true;
        match result {
            Ok(answer) => {
                scopes.items.extend(answer.scopes);
                if answer.has_next && page < MAX_SCOPE_PAGES {
                    return vec![Effect::FetchScopes {
                        generation,
                        parent: scopes.path.last().map(|(id, _)| id.clone()),
                        page: page + 1,
                    }];
                }
                scopes.loading = false;
            }
            Err(e) => {
                scopes.loading = false;
                scopes.error = Some(e.to_string());
            }
        }
        Vec::new()
    }

    /// Enter in the scope pane: go into the folder, or narrow the listing to the context
    /// (again: back to all contexts).
    fn enter_scope(&mut self, now: Instant) -> Vec<Effect> {
        let Some(scopes) = &mut self.scopes else {
            return Vec::new();
        };
        let Some(item) = scopes.items.get(scopes.selected).cloned() else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        match scopes.kind {
            ScopeKind::Folders => {
                scopes.path.push((item.id, item.name));
                effects.push(scopes.reload());
            }
            ScopeKind::Contexts => {
                let same = scopes
                    .context
                    .as_ref()
                    .is_some_and(|(id, _)| *id == item.id);
                scopes.context = (!same).then_some((item.id, item.name));
            }
        }
        effects.extend(self.replan(now));
        effects
    }

    /// Backspace/h: up a folder, or back to all contexts.
    fn scope_up(&mut self, now: Instant) -> Vec<Effect> {
        let Some(scopes) = &mut self.scopes else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        match scopes.kind {
            ScopeKind::Folders => {
                if scopes.path.pop().is_none() {
                    return Vec::new();
                }
                effects.push(scopes.reload());
            }
            ScopeKind::Contexts => {
                if scopes.context.take().is_none() {
                    return Vec::new();
                }
            }
        }
        effects.extend(self.replan(now));
        effects
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.filter_deadline.is_some_and(|d| d <= now) {
            self.filter_deadline = None;
            effects.extend(self.apply_filter(now));
        }
        if self.is_loading() && self.next_spin.is_some_and(|d| d <= now) {
            self.spinner = self.spinner.wrapping_add(1);
            self.next_spin = Some(now + SPINNER_INTERVAL);
            self.dirty = true;
        }
        effects
    }

    fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.should_quit = true;
            return Vec::new();
        }
        match self.mode {
            Mode::List => self.on_list_key(key, now),
            Mode::Filter => self.on_filter_key(key, now),
            Mode::Jump => self.on_jump_key(key, now),
            Mode::SortMenu { index } => self.on_sort_menu_key(key, index, now),
            Mode::Help => {
                self.on_help_key(key);
                Vec::new()
            }
            Mode::Insight => self.on_insight_key(key, now),
            Mode::CopyMenu => self.on_copy_menu_key(key),
            Mode::Prompt => self.on_prompt_key(key),
            Mode::Exists => self.on_exists_key(key),
            Mode::Transfers => self.on_transfers_key(key).unwrap_or_else(|| {
                // Keys the panel does not use work on the list behind it.
                self.mode = Mode::List;
                self.on_list_key(key, now)
            }),
            Mode::Preview => self.on_preview_key(key),
            Mode::Value => {
                self.shown_value = None;
                self.mode = Mode::List;
                Vec::new()
            }
            Mode::DetailFull => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter) {
                    self.mode = Mode::List;
                } else {
                    self.scroll_detail(key);
                }
                Vec::new()
            }
        }
    }

    fn on_list_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        let Some(action) = self.keymap.action_for(&key) else {
            return Vec::new();
        };
        self.status = None;
        if self.focus == Focus::Detail && self.scroll_detail(key) {
            return Vec::new();
        }
        if self.focus == Focus::Scopes
            && let Some(scopes) = &mut self.scopes
        {
            let last = scopes.items.len().saturating_sub(1);
            match action {
                Action::Down => scopes.selected = (scopes.selected + 1).min(last),
                Action::Up => scopes.selected = scopes.selected.saturating_sub(1),
                Action::Top => scopes.selected = 0,
                Action::Bottom => scopes.selected = last,
                Action::OpenDetail => return self.enter_scope(now),
                _ => return self.on_list_action(action, now),
            }
            return Vec::new();
        }
        self.on_list_action(action, now)
    }

    fn on_list_action(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let len = self.row_count();
        let height = self.cursor.height.max(1) as isize;
        let before = self.cursor.selected;
        let quit_armed = std::mem::take(&mut self.quit_armed);
        let motion = match action {
            Action::Quit => {
                let running = self.transfers.active();
                if running > 0 && !quit_armed {
                    // Nothing is lost (parts are kept and `d` resumes), but it should be a choice.
                    self.quit_armed = true;
                    self.status = Some(Status::Info(format!(
                        "{running} downloads are running; q again quits (d resumes them later)"
                    )));
                    return Vec::new();
                }
                self.should_quit = true;
                return Vec::new();
            }
            Action::Suspend => return vec![Effect::Suspend],
            Action::Down => self.cursor.move_by(1, len),
            Action::Up => self.cursor.move_by(-1, len),
            Action::HalfPageDown => self.cursor.page_by((height / 2).max(1), len),
            Action::HalfPageUp => self.cursor.page_by(-(height / 2).max(1), len),
            Action::PageDown => self.cursor.page_by(height, len),
            Action::PageUp => self.cursor.page_by(-height, len),
            Action::Top => {
                self.cursor.move_to(0, len);
                Motion::Jump
            }
            Action::Bottom => {
                if self.view.is_some() && !self.list.is_complete() {
                    self.status = Some(Status::Info(
                        "the end of what is loaded; L loads the rest".to_string(),
                    ));
                } else if !self.list.is_count_known() {
                    self.end_wanted = true;
                }
                self.cursor.move_to(len.saturating_sub(1), len);
                Motion::Jump
            }
            Action::JumpPrompt => {
                self.jump.reset();
                self.mode = Mode::Jump;
                return Vec::new();
            }
            Action::Filter => {
                self.mode = Mode::Filter;
                return Vec::new();
            }
            Action::ClearFilter => {
                if self.filter.value().is_empty() && self.filter_applied.is_empty() {
                    return Vec::new();
                }
                self.filter.reset();
                return self.apply_filter(now);
            }
            Action::LoadAll => return self.start_load_all(now),
            Action::Insight => {
                self.open_insight();
                return Vec::new();
            }
            Action::CycleSort => return self.cycle_sort(now),
            Action::FlipSort => {
                let Some(sort) = self.sort else {
                    self.status = Some(Status::Info(
                        "listed as served; pick a sort first (s or o)".to_string(),
                    ));
                    return Vec::new();
                };
                let sort = Sort {
                    field: sort.field,
                    order: sort.order.flipped(),
                };
                return self.set_sort(sort, now);
            }
            Action::SortMenu => {
                let index = SortField::ALL
                    .iter()
                    .position(|f| Some(*f) == self.sort.map(|s| s.field))
                    .unwrap_or(0);
                self.mode = Mode::SortMenu { index };
                return Vec::new();
            }
            Action::SwitchFocus => {
                let scopes_shown =
                    self.scopes.is_some() && ui::scope_pane_fits(self.size.0, self.size.1);
                self.focus = match (self.focus, scopes_shown) {
                    (Focus::List, _) => Focus::Detail,
                    (Focus::Detail, true) => Focus::Scopes,
                    (Focus::Detail | Focus::Scopes, _) => Focus::List,
                };
                return Vec::new();
            }
            Action::ScopeUp => return self.scope_up(now),
            Action::OpenDetail => {
                self.mode = Mode::DetailFull;
                return Vec::new();
            }
            Action::Help => {
                self.help_scroll = 0;
                self.mode = Mode::Help;
                return Vec::new();
            }
            Action::Reload => return self.reload(now),
            Action::Copy
            | Action::Download
            | Action::Mark
            | Action::MarkRange
            | Action::InvertMarks
            | Action::Transfers
            | Action::Preview
            | Action::OpenLink
            | Action::Export
            | Action::Delete => return self.on_file_action(action),
        };
        self.detail_scroll = 0;
        if motion != Motion::Jump {
            self.prefetch
                .observe_move(self.cursor.selected.abs_diff(before), now);
        }
        self.fetch_wanted(motion, now)
    }

    /// Scrolls the detail text for navigation keys; false for any other key.
    fn scroll_detail(&mut self, key: KeyEvent) -> bool {
        let page = self.size.1.saturating_sub(4).max(1);
        let scroll = &mut self.detail_scroll;
        match self.keymap.action_for(&key) {
            Some(Action::Down) => *scroll = scroll.saturating_add(1),
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::PageDown | Action::HalfPageDown) => *scroll = scroll.saturating_add(page),
            Some(Action::PageUp | Action::HalfPageUp) => *scroll = scroll.saturating_sub(page),
            Some(Action::Top) => *scroll = 0,
            Some(Action::Bottom) => *scroll = u16::MAX,
            _ => return false,
        }
        true
    }

    fn on_help_key(&mut self, key: KeyEvent) {
        match self.keymap.action_for(&key) {
            Some(Action::Down) => self.help_scroll = self.help_scroll.saturating_add(1),
            Some(Action::Up) => self.help_scroll = self.help_scroll.saturating_sub(1),
            _ => self.mode = Mode::List,
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        match key.code {
            KeyCode::Enter => {
                self.mode = Mode::List;
                self.filter_deadline = None;
                self.apply_filter(now)
            }
            KeyCode::Esc => {
                self.mode = Mode::List;
                self.filter_deadline = None;
                self.filter.reset();
                self.apply_filter(now)
            }
            _ => {
                if self.filter.handle_event(&Event::Key(key)).is_some() {
                    self.filter_deadline = Some(now + FILTER_DEBOUNCE);
                }
                Vec::new()
            }
        }
    }

    fn on_jump_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::List;
                Vec::new()
            }
            KeyCode::Enter => {
                self.mode = Mode::List;
                let len = self.row_count();
                match parse_jump(self.jump.value(), len) {
                    Some(row) => {
                        // The target goes to the top of the screen: it and what follows it
                        // are shown, usually from the one page it lands on.
                        self.cursor.offset = row;
                        self.cursor.move_to(row, len);
                        self.detail_scroll = 0;
                        self.fetch_wanted(Motion::Jump, now)
                    }
                    None => {
                        self.status = Some(Status::Error(format!(
                            "not a row number or a percentage: {:?} (try :5000 or :50%)",
                            self.jump.value()
                        )));
                        Vec::new()
                    }
                }
            }
            _ => {
                self.jump.handle_event(&Event::Key(key));
                Vec::new()
            }
        }
    }

    fn on_sort_menu_key(&mut self, key: KeyEvent, index: usize, now: Instant) -> Vec<Effect> {
        let fields = &SortField::ALL;
        let pick = |field: SortField| fields.iter().position(|f| *f == field);
        let chosen = match key.code {
            KeyCode::Esc | KeyCode::Char('o') | KeyCode::Char('q') => {
                self.mode = Mode::List;
                return Vec::new();
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.mode = Mode::SortMenu {
                    index: (index + 1) % fields.len(),
                };
                return Vec::new();
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.mode = Mode::SortMenu {
                    index: (index + fields.len() - 1) % fields.len(),
                };
                return Vec::new();
            }
            KeyCode::Enter => Some(index),
            KeyCode::Char('n') => pick(SortField::Name),
            KeyCode::Char('s') => pick(SortField::Size),
            KeyCode::Char('t') => pick(SortField::Type),
            KeyCode::Char('c') => pick(SortField::Created),
            KeyCode::Char('u') => pick(SortField::Updated),
            _ => None,
        };
        let Some(chosen) = chosen else {
            return Vec::new();
        };
        self.mode = Mode::List;
        let field = fields[chosen];
        let order = match self.sort {
            Some(sort) if sort.field == field => sort.order.flipped(),
            _ => field.natural_order(),
        };
        self.set_sort(Sort { field, order }, now)
    }

    /// Every field can be sorted by: server-side where the API can, locally where not.
    fn cycle_sort(&mut self, now: Instant) -> Vec<Effect> {
        let fields = &SortField::ALL;
        let next = fields
            .iter()
            .position(|f| Some(*f) == self.sort.map(|s| s.field))
            .map_or(0, |i| (i + 1) % fields.len());
        let field = fields[next];
        self.set_sort(
            Sort {
                field,
                order: field.natural_order(),
            },
            now,
        )
    }

    fn set_sort(&mut self, sort: Sort, now: Instant) -> Vec<Effect> {
        if Some(sort) == self.sort {
            return Vec::new();
        }
        self.sort = Some(sort);
        self.replan(now)
    }

    /// Parses the filter bar and applies it, if it changed; a bad filter is reported and the
    /// listing left as it was.
    fn apply_filter(&mut self, now: Instant) -> Vec<Effect> {
        let parsed = match filter::parse(self.filter.value(), &self.dialect.filter_keys()) {
            Ok(parsed) => parsed,
            Err(message) => {
                self.status = Some(Status::Error(format!("filter: {message}")));
                return Vec::new();
            }
        };
        if parsed == self.filter_applied {
            return Vec::new();
        }
        self.filter_applied = parsed;
        self.replan(now)
    }

    /// The filter in force plus the folder or context the listing is narrowed to.
    pub fn scoped_filter(&self) -> Filter {
        let mut filter = self.filter_applied.clone();
        if let Some((id, _)) = self.scopes.as_ref().and_then(Scopes::active) {
            filter.terms.push(self.dialect.scope_term(id));
        }
        filter
    }

    /// Splits sort and filter into server and local work and lists again from the top.
    fn replan(&mut self, now: Instant) -> Vec<Effect> {
        let plan = plan(self.dialect.as_ref(), self.sort, &self.scoped_filter());
        self.load_all = false;
        self.cancel_view_job();
        if plan.server == self.query && self.list.loaded_pages() > 0 {
            // Only the local part changed: the server would answer the same rows, so keep
            // them and order or filter them again here instead of fetching them all again.
            if !plan.local.is_empty() && self.list.loaded_rows() >= self.local_async_rows {
                // Many rows: built on another thread while keys keep working.
                self.view_jobs += 1;
                let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
                self.view_job = Some((self.view_jobs, Arc::clone(&cancel)));
                self.status = Some(Status::Info(format!(
                    "sorting and filtering {} loaded rows…",
                    crate::text::thousands(self.list.loaded_rows())
                )));
                self.dirty = true;
                return vec![Effect::BuildView(ViewJob {
                    id: self.view_jobs,
                    local: plan.local,
                    page_size: self.list.page_size(),
                    pages: self.list.snapshot(),
                    cancel,
                })];
            }
            self.view = (!plan.local.is_empty()).then(|| {
                let mut view = LocalView::new(plan.local);
                view.add_pages(&self.list, self.list.loaded_page_numbers());
                view
            });
            self.cursor.selected = 0;
            self.cursor.offset = 0;
            self.detail_scroll = 0;
            self.dirty = true;
            return self.fetch_wanted(Motion::Jump, now);
        }
        self.query = plan.server;
        self.view = (!plan.local.is_empty()).then(|| LocalView::new(plan.local));
        self.restart(now)
    }

    /// `i`: a summary of what is loaded, at once; `a` in the view scans the rest.
    fn open_insight(&mut self) {
        let mut stats = crate::insight::Stats::default();
        let size = self.list.page_size();
        let local = self.view.as_ref().map(|v| v.local().clone());
        for (page, records) in self.list.snapshot() {
            let first = (page - 1) * size;
            for (i, r) in records.iter().enumerate() {
                if local.as_ref().is_none_or(|l| l.matches(r)) {
                    stats.add(first + i, r);
                }
            }
        }
        let source = insight::Source::Loaded {
            rows: stats.total.files as usize,
            total: if local.is_some() {
                None
            } else {
                self.list.total()
            },
        };
        self.insight = Some(insight::Insight::new(stats, source));
        self.mode = Mode::Insight;
    }

    fn on_insight_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        let Some(view) = self.insight.as_mut() else {
            self.mode = Mode::List;
            return Vec::new();
        };
        let last = view.notable().len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('i') => {
                view.stop_scan();
                self.insight = None;
                self.mode = Mode::List;
            }
            KeyCode::Tab | KeyCode::BackTab => {
                view.pane = match view.pane {
                    insight::Pane::Largest => insight::Pane::Newest,
                    insight::Pane::Newest => insight::Pane::Largest,
                };
                view.selected = 0;
            }
            KeyCode::Down | KeyCode::Char('j') => view.selected = (view.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => view.selected = view.selected.saturating_sub(1),
            KeyCode::Char('a')
                if view.scan.is_none() && view.source != insight::Source::Scanned =>
            {
                self.scans += 1;
                let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
                view.scan = Some((self.scans, Arc::clone(&cancel)));
                view.error = None;
                view.source = insight::Source::Scanning {
                    progress: crate::api::scan::Progress {
                        pages_done: 0,
                        pages_total: None,
                        first_row: 0,
                    },
                    started: now,
                };
                return vec![Effect::Scan(insight::ScanJob {
                    id: self.scans,
                    plan: plan(self.dialect.as_ref(), self.sort, &self.scoped_filter()),
                    jobs: LOAD_ALL_CONCURRENCY,
                    cancel,
                })];
            }
            KeyCode::Enter => {
                let Some(row) = view.notable().get(view.selected).map(|n| n.row) else {
                    return Vec::new();
                };
                view.stop_scan();
                self.insight = None;
                self.mode = Mode::List;
                return self.go_to_row(row, now);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Selects the file at `row` of the server's order: directly in a plain listing (fetching
    /// its page), through the local view when there is one.
    fn go_to_row(&mut self, row: usize, now: Instant) -> Vec<Effect> {
        let position = match &self.view {
            None => Some(row),
            Some(view) => view.position_of(row),
        };
        let Some(position) = position else {
            self.status = Some(Status::Info(
                "that file is not loaded in this view; L loads every page".to_string(),
            ));
            return Vec::new();
        };
        let len = self.row_count();
        self.cursor.offset = position;
        self.cursor.move_to(position, len);
        self.detail_scroll = 0;
        self.fetch_wanted(Motion::Jump, now)
    }

    /// `L`: fetch every page so the local view is complete.
    fn start_load_all(&mut self, now: Instant) -> Vec<Effect> {
        if self.view.is_none() {
            self.status = Some(Status::Info(
                "sorting and filtering are done by the server; nothing to load".to_string(),
            ));
            return Vec::new();
        }
        if self.list.is_complete() {
            return Vec::new();
        }
        self.load_all = true;
        self.fetch_wanted(Motion::Jump, now)
    }

    /// Lists again from the top for a new query: a new generation, so answers still in flight
    /// for the old one are dropped (and their requests cancelled).
    fn restart(&mut self, now: Instant) -> Vec<Effect> {
        self.cursor.selected = 0;
        self.cursor.offset = 0;
        self.reload(now)
    }

    /// Lists again with the same query, keeping the position.
    fn reload(&mut self, now: Instant) -> Vec<Effect> {
        let generation = self.list.reset();
        // Rows may move: a range mark must not start from a row that now holds another file.
        self.marks.anchor = None;
        self.cancel_view_job();
        self.details.clear();
        self.requested_at.clear();
        if let Some(view) = &mut self.view {
            *view = LocalView::new(view.local().clone());
            self.cursor.selected = 0;
            self.cursor.offset = 0;
        }
        self.detail_scroll = 0;
        self.dirty = true;
        let mut effects = vec![Effect::CancelBefore(generation)];
        if self.view.is_some() {
            effects.extend(self.fetch_wanted(Motion::Jump, now));
            return effects;
        }
        // The row count is unknown again until an answer comes, so ask directly for the rows
        // on screen rather than waiting for page 1 to say how many there are.
        let top = self.cursor.offset;
        let rows = top..top + self.cursor.height.max(1);
        let requests = self.list.request_rows(rows);
        effects.extend(self.fetch_effects(requests, now));
        effects
    }

    /// Requests the pages the screen (and, while scrolling, the prefetch distance) needs.
    fn fetch_wanted(&mut self, motion: Motion, now: Instant) -> Vec<Effect> {
        if let Some(view) = &self.view {
            // A local view reads the listing from the top: the next pages in order, while the
            // screen (plus the prefetch distance) is not full, or all of them for `L`.
            let requests = if self.load_all {
                let room = LOAD_ALL_CONCURRENCY.saturating_sub(self.list.pending());
                self.list.request_next(room)
            } else {
                let need = self.cursor.offset + self.cursor.height + self.prefetch.distance();
                if view.len() < need && self.list.pending() == 0 {
                    self.list.request_next(1)
                } else {
                    Vec::new()
                }
            };
            return self.fetch_effects(requests, now);
        }
        let len = self.list.row_count();
        let rows = wanted_rows(&self.cursor, len, motion, self.prefetch.distance());
        let requests = self.list.request_rows(rows.clone());
        // A local view refers to every loaded row; only a plain listing forgets far pages.
        let budget = (self.max_loaded_rows / self.list.page_size()).max(8);
        // A view being built refers to the loaded rows: nothing is forgotten meanwhile.
        let evicted = if self.view_job.is_some() {
            0
        } else {
            self.list.evict(rows, budget)
        };
        if evicted > 0 {
            tracing::debug!(evicted, "forgot pages far from the screen");
        }
        self.fetch_effects(requests, now)
    }

    fn fetch_effects(&mut self, requests: Vec<PageRequest>, now: Instant) -> Vec<Effect> {
        if !requests.is_empty() && self.next_spin.is_none_or(|t| t < now) {
            self.next_spin = Some(now + SPINNER_INTERVAL);
        }
        let generation = self.list.generation();
        for page in &requests {
            self.requested_at.insert(page.number, now);
        }
        requests
            .into_iter()
            .map(|page| Effect::Fetch {
                generation,
                query: self.query.clone(),
                page,
            })
            .collect()
    }
}

/// Reads the `:` prompt: a 1-based row number, or a percentage of the listing (`50%`).
/// Returns the 0-based row.
pub fn parse_jump(text: &str, len: usize) -> Option<usize> {
    let text = text.trim().replace(['_', ','], "");
    if let Some(pct) = text.strip_suffix('%') {
        let pct: f64 = pct.trim().parse().ok()?;
        if !(0.0..=100.0).contains(&pct) {
            return None;
        }
        let last = len.saturating_sub(1);
        return Some(((last as f64) * pct / 100.0).round() as usize);
    }
    let row: usize = text.parse().ok()?;
    Some(row.saturating_sub(1))
}

#[cfg(test)]
mod tests;
