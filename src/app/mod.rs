//! Application state and its update function. `App::update` takes a message (a key, a resize,
//! a page that arrived, a tick) and returns the effects to carry out (fetch a page, cancel stale
//! requests, suspend); it does no I/O itself, so every behaviour is testable without a terminal
//! or a network. The runtime (`crate::runtime`) carries the effects out.
//!
//! The state is grouped: the [`Listing`] (query, pages, local view, cursor, prefetch), the
//! [`detail::DetailPane`], the [`Scopes`] pane, the file actions, and one [`Overlay`] for what
//! is on top of the list. Every field is private; views read through methods.

pub mod actions;
pub mod columns;
pub mod detail;
pub mod insight;
pub mod listing;
mod mouse;
pub mod msg;
pub mod overlay;
pub mod scopes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::api::dialect::{Capabilities, Dialect};
use crate::api::{FileRecord, Filter, Sort, SortField, filter, plan};
use crate::config::Settings;
use crate::geometry;
use crate::listing::{Cursor, Motion, Row};

pub use crate::keymap::Action;
pub use detail::Detail;
pub use listing::{LOAD_ALL_CONCURRENCY, LOCAL_ASYNC_ROWS, Listing};
pub use msg::{
    Delivered, Effect, FileEffect, FileMsg, JobId, ListingEffect, ListingMsg, Msg, ScanId,
    ScopesGeneration, Status, TerminalEffect, ViewJob,
};
use overlay::{
    DETAIL_KEYS, DetailKey, HELP_KEYS, HelpKey, INSIGHT_KEYS, InsightKey, PROMPT_KEYS, PromptKey,
    SORT_MENU_KEYS, SORT_MENU_ROWS, Scroll, SortKey, lookup, sort_menu_row,
};
pub use overlay::{Mode, Overlay};
pub use scopes::Scopes;

/// How long typing in the filter bar must pause before the search is sent.
pub const FILTER_DEBOUNCE: Duration = Duration::from_millis(250);
/// The largest count a motion takes (`999999999j`); more is a typo.
const MAX_COUNT: usize = 1_000_000_000;
/// How often the spinner turns while something loads.
pub const SPINNER_INTERVAL: Duration = Duration::from_millis(100);
/// How long after `{count}g` a second `g` still completes `{count}gg` (vim's `timeoutlen`);
/// after that a `g` is a `g` again.
pub const GG_TIMEOUT: Duration = Duration::from_secs(1);

/// A move of the cursor over a listing of so many rows.
type MotionFn = Box<dyn FnOnce(&mut Cursor, usize) -> Motion>;

/// Which pane of the list view has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
    Scopes,
}

/// Static facts about the connection, shown in the header.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub label: String,
    pub dialect: String,
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

pub struct App {
    conn: ConnectionInfo,
    settings: Settings,
    dialect: Arc<dyn Dialect>,
    /// How the store is reached (its family): share links, the tail search.
    reach: Arc<dyn crate::api::Reach>,
    /// TLS verification is off (`--insecure`): the header says so.
    insecure: bool,
    listing: Listing,
    detail: detail::DetailPane,
    /// Folders or contexts beside the files, for APIs that have them.
    scopes: Option<Scopes>,
    overlay: Overlay,
    focus: Focus,
    /// The filter bar's text, kept between edits.
    filter_input: Input,
    filter_deadline: Option<Instant>,
    status: Option<Status>,
    /// What the API says the listing belongs to (FileJar's organization name).
    org: Option<String>,
    spinner: usize,
    next_spin: Option<Instant>,
    should_quit: bool,
    /// Set by `update` when the screen needs drawing; taken by the runtime.
    dirty: bool,
    size: (u16, u16),
    /// Marks, downloads, deletes.
    files: actions::FileActions,
    scans: u64,
    /// A count typed before a motion (`5j`, `10G`), as vim and less take it.
    count: Option<usize>,
    /// `{count}g` went to a row: a `g` before this instant completes `{count}gg` and does
    /// nothing more (the footer shows it waiting); a later one goes to the top.
    gg_pending: Option<(usize, Instant)>,
    /// The text `n` and `N` look for when no filter text is in force: the last one applied.
    last_search: String,
    /// The last filter applied that was not empty: `↑` in the filter bar recalls it.
    last_filter: String,
    /// The last click on a row, and when, for a double click.
    last_click: Option<(usize, Instant)>,
    /// `v`: the versions listed instead of the live files, and the row to select again on
    /// the way back.
    versions: Option<(crate::api::Versions, Option<String>)>,
}

impl App {
    pub fn new(
        conn: ConnectionInfo,
        store: impl Into<crate::api::Store>,
        page_size: usize,
        settings: Settings,
    ) -> Self {
        let crate::api::Store { dialect, reach } = store.into();
        let caps = dialect.capabilities();
        let has_detail_endpoint = dialect.detail_request("id").is_some();
        let scopes = dialect.scope_kind().map(Scopes::new);
        let mut listing = Listing::new(caps, dialect.access(), page_size, settings.max_loaded_rows);
        listing.set_finds_tail(reach.finds_tail());
        // Keys a configuration took from new default actions: said once, at start.
        let status = (!settings.keymap.notices().is_empty())
            .then(|| Status::Info(settings.keymap.notices().join("; ")));
        App {
            conn,
            listing,
            settings,
            dialect,
            reach,
            insecure: false,
            detail: detail::DetailPane::new(has_detail_endpoint),
            scopes,
            overlay: Overlay::List,
            focus: Focus::List,
            filter_input: Input::default(),
            filter_deadline: None,
            status,
            org: None,
            spinner: 0,
            next_spin: None,
            should_quit: false,
            dirty: true,
            size: (0, 0),
            files: actions::FileActions::default(),
            scans: 0,
            count: None,
            gg_pending: None,
            last_search: String::new(),
            last_filter: String::new(),
            last_click: None,
            versions: None,
        }
    }

    /// TLS verification is off: the header says so in red.
    pub fn set_insecure(&mut self, insecure: bool) {
        self.insecure = insecure;
    }

    /// The profile allows deleting (`allow_delete = true`); read-only otherwise.
    pub fn set_allow_delete(&mut self, allow: bool) {
        self.files.allow_delete = allow;
    }

    /// Where downloads and exports go (the prompt starts here).
    pub fn set_download_dir(&mut self, dir: PathBuf) {
        self.files.download_dir = dir;
    }

    /// For the benchmark's baseline: fetch only what is on screen.
    pub fn set_prefetch(&mut self, enabled: bool) {
        self.listing.set_prefetch(enabled);
    }

    /// Loaded rows above which a local sort or filter runs away from the UI task.
    pub fn set_local_async_rows(&mut self, rows: usize) {
        self.listing.set_local_async_rows(rows);
    }

    // ---- what the views and the runtime read ----

    pub fn connection(&self) -> &ConnectionInfo {
        &self.conn
    }

    /// Where the store's own credentials come from (S3), for the header.
    pub fn credential_source(&self) -> Option<String> {
        self.reach.credential_source()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn dialect(&self) -> &dyn Dialect {
        self.dialect.as_ref()
    }

    /// How the store is reached (its family).
    pub fn reach(&self) -> &dyn crate::api::Reach {
        self.reach.as_ref()
    }

    pub fn caps(&self) -> &Capabilities {
        self.dialect.capabilities()
    }

    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    pub fn listing(&self) -> &Listing {
        &self.listing
    }

    pub fn cursor(&self) -> &Cursor {
        self.listing.cursor()
    }

    pub fn detail(&self) -> &detail::DetailPane {
        &self.detail
    }

    pub fn scopes(&self) -> Option<&Scopes> {
        self.scopes.as_ref()
    }

    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// Which overlay is open, without its state.
    pub fn mode(&self) -> Mode {
        self.overlay.mode()
    }

    /// The pane with the keyboard; never one that is not on screen.
    pub fn focus(&self) -> Focus {
        if self.focusable().contains(&self.focus) {
            self.focus
        } else {
            Focus::List
        }
    }

    /// The filter bar's text.
    pub fn filter_input(&self) -> &Input {
        &self.filter_input
    }

    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// What the API says the listing belongs to (FileJar's organization name).
    pub fn org(&self) -> Option<&str> {
        self.org.as_deref()
    }

    pub fn spinner(&self) -> usize {
        self.spinner
    }

    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    /// Whether the screen needs drawing; clears the flag.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    pub fn files(&self) -> &actions::FileActions {
        &self.files
    }

    pub fn marks(&self) -> &actions::Marks {
        &self.files.marks
    }

    pub fn transfers(&self) -> &actions::Transfers {
        &self.files.transfers
    }

    /// Whether the transfers panel is on screen.
    pub fn transfers_shown(&self) -> bool {
        self.files.transfers_shown
    }

    /// The selected record, when its page is loaded.
    pub fn selected(&self) -> Option<&FileRecord> {
        self.listing.selected()
    }

    pub fn row_count(&self) -> usize {
        self.listing.row_count()
    }

    pub fn is_count_known(&self) -> bool {
        self.listing.is_count_known()
    }

    pub fn row(&self, i: usize) -> Row<'_> {
        self.listing.row(i)
    }

    pub fn is_loading(&self) -> bool {
        self.listing.is_loading()
    }

    /// The count typed so far for the next motion, if any.
    pub fn pending_count(&self) -> Option<usize> {
        self.count
    }

    /// What the footer shows waiting at its right, as vim's `showcmd` does: the count typed
    /// so far (`12`), or a `g` that a second `g` would complete (`12g`, until
    /// [`GG_TIMEOUT`]).
    pub fn pending_keys(&self) -> Option<String> {
        match (self.count, self.gg_pending) {
            (Some(count), _) => Some(count.to_string()),
            (None, Some((count, _))) => Some(format!("{count}{}", self.key(Action::Top))),
            (None, None) => None,
        }
    }

    /// The key that does `action`, as hints name it.
    pub fn key(&self, action: Action) -> String {
        self.settings.keymap.key(action)
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
            self.detail.deadline(),
            self.gg_pending.map(|(_, until)| until),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- update ----

    /// Sizes the view and requests the first page.
    pub fn start(&mut self, width: u16, height: u16, now: Instant) -> Vec<Effect> {
        self.size = (width, height);
        let rows = self.table_rows();
        self.listing.cursor_mut().height = rows;
        let mut effects = self.restart(now);
        if let Some(scopes) = &mut self.scopes {
            effects.extend(scopes.reload());
        }
        self.after_update(now);
        effects
    }

    pub fn update(&mut self, msg: Msg, now: Instant) -> Vec<Effect> {
        let mut effects = self.handle(msg, now);
        // A range being marked follows the cursor, and the rows that arrive inside it.
        self.extend_range();
        effects.extend(self.detail_effects(now));
        let rows = self.table_rows();
        effects.extend(self.listing.set_height(rows, now));
        self.after_update(now);
        effects
    }

    /// What every update ends with: the listing's news in the status line, the spinner.
    fn after_update(&mut self, now: Instant) {
        if let Some(notice) = self.listing.take_notice() {
            self.status = Some(self.word(notice));
            self.dirty = true;
        }
        if self.is_loading() && self.next_spin.is_none_or(|t| t < now) {
            self.next_spin = Some(now + SPINNER_INTERVAL);
        }
    }

    /// The listing's news in words, naming the keys in force.
    fn word(&self, notice: listing::Notice) -> Status {
        use listing::Notice;
        match notice {
            // The action first, so an 80-column footer that cuts the reason keeps it.
            Notice::PageFailed { page, error } => Status::Error(format!(
                "{} reloads · page {page}: {error}",
                self.key(Action::Reload)
            )),
            Notice::Contradiction(what) => Status::Error(what),
            Notice::LoadAllStopped => Status::Info(format!(
                "stopped loading every page at {} loaded{}",
                crate::text::count(self.listing.pages().loaded_rows(), "row"),
                self.load_all_hint()
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            )),
            Notice::EndOfLoaded => Status::Info(format!(
                "{}the end of what is loaded",
                self.load_all_hint()
                    .map(|h| format!("{h} · "))
                    .unwrap_or_default()
            )),
            Notice::Sorting { rows } => Status::Info(format!(
                "sorting and filtering {} loaded…",
                crate::text::count(rows, "row")
            )),
            Notice::Walking { page, to_end } => Status::Info(format!(
                "any key stops · walking {}: page {}…",
                if to_end { "to the end" } else { "to the row" },
                crate::text::thousands(page)
            )),
            Notice::Walked { pages } => {
                Status::Info(format!("walked {}", crate::text::count(pages, "page")))
            }
            Notice::WalkStopped { page } => Status::Info(format!(
                "stopped walking at page {}; the rows so far stay loaded",
                crate::text::thousands(page)
            )),
            // A store that finds its last rows by key never walks to its end (S3).
            Notice::SizeUnknown if self.reach.finds_tail() => Status::Info(format!(
                "{jump}N walks to a row, {} shows the last rows; no {jump}N%: the store gives no row count",
                self.key(Action::Bottom),
                jump = self.key(Action::JumpPrompt),
            )),
            Notice::SizeUnknown => Status::Info(format!(
                "the listing's size is not known yet; {} walks to the end",
                self.key(Action::Bottom)
            )),
            Notice::FindingTail => {
                Status::Info("finding the last rows by key, without walking…".to_string())
            }
            Notice::TailFound { requests } => Status::Info(format!(
                "the last rows, found with {requests} requests; {} goes back to the top",
                self.key(Action::Top)
            )),
            Notice::TailFailed(why) => Status::Error(format!("cannot find the last rows: {why}")),
        }
    }

    /// Rows of files the table shows at the current size, less what the transfers panel covers.
    fn table_rows(&self) -> usize {
        let (shown, items) = (self.files.transfers_shown, self.files.transfers.items.len());
        geometry::table_rows(self.size.0, self.size.1, self.has_scope_pane(), |body| {
            geometry::panel_height(shown, items, body)
        })
    }

    /// Whether the detail pane is on screen.
    fn detail_visible(&self) -> bool {
        self.mode() == Mode::DetailFull || self.detail_pane_shown()
    }

    /// Whether the detail pane is drawn beside or below the list at this size.
    pub fn detail_pane_shown(&self) -> bool {
        geometry::detail_fits(self.size.0, self.size.1, self.has_scope_pane())
    }

    /// Whether the folders/contexts pane is drawn at this size.
    pub fn scope_pane_shown(&self) -> bool {
        self.has_scope_pane() && geometry::scope_pane_fits(self.size.0, self.size.1)
    }

    /// Whether the API's folders or contexts have a pane of their own (S3's folders are
    /// rows of the listing instead).
    pub fn has_scope_pane(&self) -> bool {
        self.scopes.as_ref().is_some_and(Scopes::has_pane)
    }

    /// Whether the API's folders are rows of the listing (S3's prefixes), not a pane.
    fn folders_are_rows(&self) -> bool {
        self.scopes.as_ref().is_some_and(|s| !s.has_pane())
    }

    /// The panes that can have the keyboard at this size, in `Tab` order: only panes on
    /// screen.
    pub fn focusable(&self) -> Vec<Focus> {
        let mut panes = vec![Focus::List];
        if self.detail_pane_shown() {
            panes.push(Focus::Detail);
        }
        if self.scope_pane_shown() {
            panes.push(Focus::Scopes);
        }
        panes
    }

    fn detail_effects(&mut self, now: Instant) -> Vec<Effect> {
        let visible = self.detail_visible();
        let at_once = self.mode() == Mode::DetailFull;
        let generation = self.listing.pages().generation();
        // Only a row the dialect has a detail for (not S3's folders) is asked for.
        let selected = self
            .listing
            .selected()
            .filter(|r| self.dialect.detail_request(&r.id).is_some())
            .map(|r| r.id.clone());
        self.detail
            .effects(selected.as_deref(), visible, at_once, generation, now)
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
            Msg::Mouse(event) => self.on_mouse(event, now),
            Msg::Resize { width, height } => {
                self.dirty = true;
                self.size = (width, height);
                // A pane that left the screen gives the keyboard back to the list.
                self.focus = self.focus();
                Vec::new()
            }
            Msg::Listing(msg) => self.on_listing_msg(msg, now),
            Msg::Files(msg) => self.on_files_msg(msg, now),
            Msg::ClientNotice(notice) => {
                self.status = Some(Status::Info(notice.describe()));
                self.dirty = true;
                Vec::new()
            }
            Msg::Notice(status) => {
                self.dirty = true;
                self.status = Some(status);
                Vec::new()
            }
            Msg::Resumed => {
                self.dirty = true;
                Vec::new()
            }
            Msg::Tick => self.on_tick(now),
            Msg::Terminate => {
                self.should_quit = true;
                Vec::new()
            }
            Msg::Stop => vec![TerminalEffect::Suspend.into()],
        }
    }

    /// A page was filed (`None`: it was stale): what the API says the listing belongs to
    /// comes with it.
    fn on_filed(&mut self, org: Option<String>, filed: Option<Vec<Effect>>) -> Vec<Effect> {
        let Some(effects) = filed else {
            return Vec::new();
        };
        self.dirty = true;
        if org.is_some() {
            self.org = org;
        }
        effects
    }

    /// An answer of the listing executor: the listing, the detail, the scopes or the insight
    /// view it was for files it.
    fn on_listing_msg(&mut self, msg: ListingMsg, now: Instant) -> Vec<Effect> {
        match msg {
            ListingMsg::TailFound { generation, result } => {
                self.dirty = true;
                self.listing.on_tail(generation, result, now)
            }
            ListingMsg::Page {
                generation,
                page,
                result,
            } => {
                let org = result.as_ref().ok().and_then(|p| p.scope.clone());
                let filed = self.listing.on_page(generation, page, result, now);
                self.on_filed(org, filed)
            }
            ListingMsg::Walked { generation, result } => {
                let org = result.as_ref().ok().and_then(|p| p.scope.clone());
                let filed = self.listing.on_walked(generation, result, now);
                self.on_filed(org, filed)
            }
            ListingMsg::WalkDone { generation } => {
                let effects = self.listing.on_walk_done(generation, now);
                self.dirty |= effects.is_some();
                effects.unwrap_or_default()
            }
            ListingMsg::Detail {
                generation,
                id,
                result,
            } => {
                if generation == self.listing.pages().generation() {
                    self.detail.on_record(id, result);
                    self.dirty = true;
                }
                Vec::new()
            }
            ListingMsg::ViewBuilt { id, view, pages } => {
                match self.listing.on_view_built(id, view, pages, now) {
                    Some(effects) => {
                        self.status = None;
                        self.detail.set_scroll(0);
                        self.dirty = true;
                        effects
                    }
                    None => Vec::new(),
                }
            }
            ListingMsg::Scanned {
                id,
                stats,
                progress,
                done,
                error,
            } => {
                let Overlay::Insight(view) = &mut self.overlay else {
                    return Vec::new();
                };
                if view.on_scan(id, *stats, progress, done, error) {
                    self.dirty = true;
                }
                Vec::new()
            }
            ListingMsg::Scopes {
                generation,
                page,
                result,
            } => {
                let Some(scopes) = &mut self.scopes else {
                    return Vec::new();
                };
                let effects = scopes.on_page(generation, page, result);
                self.dirty |= effects.is_some();
                effects.unwrap_or_default()
            }
        }
    }

    fn on_copied(&mut self, label: String, text: String, via: Result<Delivered, String>) {
        match via {
            Ok(Delivered::ShowByHand) => {
                self.overlay = Overlay::Value {
                    title: format!("{label} (select it by hand)"),
                    text,
                    from_transfers: false,
                };
            }
            Ok(Delivered::Via(how)) => {
                let chars = text.chars().count();
                // A link's query may be its signature: never shown, only copied.
                let shown = match reqwest::Url::parse(&text) {
                    Ok(url) if url.query().is_some() => {
                        format!("{}?…", crate::api::error::display_url(&url))
                    }
                    _ => text.clone(),
                };
                let preview: String = sanitize_line(&shown, 60);
                // Copied exactly as the server has it; pasting it into a shell without
                // bracketed paste would run what follows a newline.
                // Valid JSON (`y j`, written by filescope's escaping writer) can hold a raw
                // newline only as layout between tokens: nothing hidden, nothing to warn of.
                let layout_only = text
                    .chars()
                    .all(|c| c == '\n' || !crate::text::is_unsafe(c))
                    && serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
                let warning = if !layout_only && text.chars().any(crate::text::is_unsafe) {
                    " — it holds control characters, copied as they are"
                } else {
                    ""
                };
                self.status = Some(Status::Info(format!(
                    "copied {label} ({chars} chars) via {how}{warning}: {preview}"
                )));
            }
            Err(e) => self.status = Some(Status::Error(format!("cannot copy {label}: {e}"))),
        }
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.filter_deadline.is_some_and(|d| d <= now) {
            self.filter_deadline = None;
            effects.extend(self.apply_filter(now));
        }
        if self.gg_pending.is_some_and(|(_, until)| until <= now) {
            // The footer stops showing the `g` that waited for a second one.
            self.gg_pending = None;
            self.dirty = true;
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
            return self.interrupt(now);
        }
        // Any key stops a walk, and does nothing else.
        if self.listing.is_walking() {
            return self.listing.stop_walk();
        }
        match std::mem::take(&mut self.overlay) {
            Overlay::List => self.on_list_key(key, now),
            Overlay::Filter { before, edited } => self.on_filter_key(before, edited, key, now),
            Overlay::SortMenu { index } => self.on_sort_menu_key(index, key, now),
            Overlay::Help { scroll } => {
                self.on_help_key(scroll, key);
                Vec::new()
            }
            Overlay::Insight(view) => self.on_insight_key(view, key, now),
            Overlay::CopyMenu { from_detail } => self.on_copy_menu_key(from_detail, key),
            Overlay::Prompt { prompt, input } => self.on_prompt_key(prompt, input, key, now),
            Overlay::Exists(pending) => self.on_exists_key(pending, key),
            Overlay::Transfers => self.on_transfers_key(key).unwrap_or_else(|| {
                // Keys the panel does not use work on the list behind it.
                self.overlay = Overlay::List;
                self.on_list_key(key, now)
            }),
            Overlay::Preview(preview) => self.on_preview_key(preview, key),
            // Any key closes it, back to what opened it.
            Overlay::Value { from_transfers, .. } => {
                if from_transfers {
                    self.overlay = Overlay::Transfers;
                }
                Vec::new()
            }
            Overlay::DetailFull => self.on_detail_key(key),
        }
    }

    /// Ctrl-c, as a shell takes it: it stops what is running (a walk, loading every page),
    /// else closes what is on top as `Esc` does (a prompt, a menu, the help, a view; a scan
    /// stops with the insight view), and only from the list with nothing running does it
    /// quit — asking first while downloads run, as `q` does. In the transfers panel, whose
    /// `Esc` cancels a download, it gives the keys back to the list.
    fn interrupt(&mut self, now: Instant) -> Vec<Effect> {
        if self.listing.is_walking() {
            return self.listing.stop_walk();
        }
        match self.mode() {
            Mode::List => {}
            Mode::Transfers => {
                self.overlay = Overlay::List;
                return Vec::new();
            }
            _ => return self.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), now),
        }
        if self.count.take().is_some() || self.gg_pending.take().is_some() {
            return Vec::new();
        }
        if self.files.range.is_some() {
            self.drop_range();
            return Vec::new();
        }
        if self.listing.is_loading_all() {
            self.listing.stop_load_all();
            return Vec::new();
        }
        let armed = std::mem::take(&mut self.files.quit_armed);
        self.quit(armed, "Ctrl-c")
    }

    /// `q` or Ctrl-c from the list: quits, unless downloads run and this is the first press
    /// (`again` is the key that pressed again quits).
    fn quit(&mut self, armed: bool, again: &str) -> Vec<Effect> {
        let active = self.files.transfers.active();
        if active > 0 && !armed {
            // Nothing is lost (parts are kept and `d` resumes), but it should be a choice.
            self.files.quit_armed = true;
            let what = crate::text::under_way(self.files.transfers.running(), active);
            self.status = Some(Status::Info(format!(
                "{again} again quits · {what} ({} resumes them later)",
                self.key(Action::Download)
            )));
            return Vec::new();
        }
        self.should_quit = true;
        Vec::new()
    }

    /// The full-screen detail: scroll, copy from the record shown (the copy menu comes back
    /// here), or back to the list.
    fn on_detail_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        self.overlay = Overlay::DetailFull;
        match lookup(DETAIL_KEYS, &key, &self.settings.keymap) {
            Some(DetailKey::Close) => self.overlay = Overlay::List,
            Some(DetailKey::Copy) => return self.on_file_action(actions::FileAction::Copy),
            Some(DetailKey::Scroll(by)) => self.scroll_detail_with(by),
            None => {}
        }
        Vec::new()
    }

    fn on_list_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        let action = self.settings.keymap.action_for(&key);
        // A count before a motion: digits the key map leaves free (1-9 start one, 0 goes on).
        if action.is_none()
            && let KeyCode::Char(c @ '0'..='9') = key.code
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            let digit = c as usize - '0' as usize;
            if digit > 0 || self.count.is_some() {
                let count = self.count.unwrap_or(0).saturating_mul(10) + digit;
                self.count = Some(count.min(MAX_COUNT));
                self.dirty = true;
            }
            return Vec::new();
        }
        let count = self.count.take();
        let gg = self.gg_pending.take().is_some_and(|(_, until)| now < until);
        let Some(action) = action else {
            return Vec::new();
        };
        // Esc drops a count typed by mistake, and does nothing else.
        if count.is_some() && action == Action::ClearFilter {
            return Vec::new();
        }
        // `10gg`: the second `g` completes what `10g` did.
        if gg && action == Action::Top && count.is_none() {
            return Vec::new();
        }
        self.status = None;
        // A pane that left the screen (a resize) gives the keyboard back to the list.
        self.focus = self.focus();
        if self.focus == Focus::Detail && self.scroll_detail(key) {
            return Vec::new();
        }
        if self.focus == Focus::Scopes
            && let Some(scopes) = &mut self.scopes
        {
            match action {
                Action::Down => scopes.select(|at, _| at + 1),
                Action::Up => scopes.select(|at, _| at.saturating_sub(1)),
                Action::Top => scopes.select(|_, _| 0),
                Action::Bottom => scopes.select(|_, last| last),
                // `l` and `→` go in as Enter does, as in ranger, yazi and lf.
                Action::OpenDetail | Action::EnterFolder => return self.enter_scope(now),
                _ => return self.on_list_action(action, count, now),
            }
            return Vec::new();
        }
        self.on_list_action(action, count, now)
    }

    fn on_list_action(
        &mut self,
        action: Action,
        count: Option<usize>,
        now: Instant,
    ) -> Vec<Effect> {
        let height = self.listing.cursor().height.max(1) as isize;
        let n = count.unwrap_or(1).max(1);
        let times = n.min(isize::MAX as usize) as isize;
        let quit_armed = std::mem::take(&mut self.files.quit_armed);
        if self.files.range.is_some() {
            match action {
                Action::ClearFilter => {
                    self.drop_range();
                    return Vec::new();
                }
                // Moves extend it; `V` ends it (below).
                Action::Down
                | Action::Up
                | Action::HalfPageDown
                | Action::HalfPageUp
                | Action::PageDown
                | Action::PageUp
                | Action::Top
                | Action::Bottom
                | Action::ScreenTop
                | Action::ScreenMiddle
                | Action::ScreenBottom
                | Action::NextMatch
                | Action::PrevMatch
                | Action::JumpPrompt
                | Action::SwitchFocus
                | Action::Help
                | Action::Suspend
                | Action::MarkRange => {}
                // Anything else ends it, marked, and acts on the marks (as an operator on
                // vim's selection): `d` downloads the range, `x` exports it.
                _ => self.files.range = None,
            }
        }
        let motion: MotionFn = match action {
            Action::Quit => {
                let again = self.key(Action::Quit);
                return self.quit(quit_armed, &again);
            }
            Action::Suspend => return vec![TerminalEffect::Suspend.into()],
            Action::Down => Box::new(move |c, len| c.move_by(times, len)),
            Action::Up => Box::new(move |c, len| c.move_by(-times, len)),
            Action::HalfPageDown => {
                Box::new(move |c, len| c.page_by((height / 2).max(1).saturating_mul(times), len))
            }
            Action::HalfPageUp => {
                Box::new(move |c, len| c.page_by(-(height / 2).max(1).saturating_mul(times), len))
            }
            Action::PageDown => {
                Box::new(move |c, len| c.page_by(height.saturating_mul(times), len))
            }
            Action::PageUp => Box::new(move |c, len| c.page_by(-height.saturating_mul(times), len)),
            Action::Top | Action::Bottom if count.is_some() => {
                // `10G`, `10g` (and `10gg`): row 10, as `:10` goes there.
                self.gg_pending = (action == Action::Top).then(|| (n, now + GG_TIMEOUT));
                self.detail.set_scroll(0);
                return self.listing.jump_to(n - 1, now);
            }
            Action::Top => {
                // After `G` found the last rows: back to the top of the whole listing.
                if let Some(effects) = self.listing.leave_tail(now) {
                    self.detail.set_scroll(0);
                    return effects;
                }
                Box::new(|c, len| {
                    c.move_to(0, len);
                    Motion::Jump
                })
            }
            Action::Bottom => {
                self.detail.set_scroll(0);
                return self.listing.jump_to_end(now);
            }
            // As in vim and less: the top, middle and bottom rows of the screen (`3H`: the
            // third from the top, `3L` the third from the bottom).
            Action::ScreenTop => Box::new(move |c, len| {
                let rows = c.visible(len);
                c.move_to((rows.start + n - 1).min(rows.end.saturating_sub(1)), len);
                Motion::Jump
            }),
            Action::ScreenMiddle => Box::new(|c, len| {
                let rows = c.visible(len);
                c.move_to(rows.start + rows.len().saturating_sub(1) / 2, len);
                Motion::Jump
            }),
            Action::ScreenBottom => Box::new(move |c, len| {
                let rows = c.visible(len);
                let row = rows.end.saturating_sub(n).max(rows.start);
                c.move_to(row, len);
                Motion::Jump
            }),
            Action::NextMatch => return self.find_match(true, n, now),
            Action::PrevMatch => return self.find_match(false, n, now),
            Action::JumpPrompt => {
                self.overlay = Overlay::Prompt {
                    prompt: actions::Prompt::Jump,
                    input: Input::default(),
                };
                return Vec::new();
            }
            Action::Filter => {
                // The bar opens empty, as less and vim open their search: typing is a new
                // filter, never appended to the old one; `↑` recalls the last.
                let before = std::mem::take(&mut self.filter_input).value().to_string();
                self.overlay = Overlay::Filter {
                    before,
                    edited: false,
                };
                return Vec::new();
            }
            Action::ClearFilter => return self.on_escape(now),
            Action::LoadAll => {
                return match self.listing.start_load_all(now) {
                    Ok(effects) => effects,
                    Err(why) => {
                        self.status = Some(Status::Info(why.to_string()));
                        Vec::new()
                    }
                };
            }
            Action::Versions => return self.show_versions(now),
            Action::Insight => {
                self.open_insight();
                return Vec::new();
            }
            Action::CycleSort => return self.cycle_sort(now),
            Action::FlipSort => {
                let Some(sort) = self.listing.sort() else {
                    self.status = Some(Status::Info(format!(
                        "listed as served; pick a sort first ({} or {})",
                        self.key(Action::CycleSort),
                        self.key(Action::SortMenu)
                    )));
                    return Vec::new();
                };
                let sort = Sort {
                    field: sort.field,
                    order: sort.order.flipped(),
                };
                return self.set_sort(sort, now);
            }
            Action::SortMenu => {
                let index = sort_menu_row(self.listing.sort().map(|s| s.field));
                self.overlay = Overlay::SortMenu { index };
                return Vec::new();
            }
            Action::SwitchFocus => {
                let panes = self.focusable();
                let at = panes.iter().position(|p| *p == self.focus()).unwrap_or(0);
                self.focus = panes[(at + 1) % panes.len()];
                return Vec::new();
            }
            Action::ScopeUp => return self.scope_up(now),
            // `l` and `→` are Enter, as in ranger, yazi and lf: into a folder row, else the
            // detail.
            Action::OpenDetail | Action::EnterFolder => {
                if let Some(folder) = self.selected().filter(|r| self.dialect.is_folder(r)) {
                    let (id, name) = (folder.id.clone(), folder.name.clone());
                    return self.enter_folder(id, name, now);
                }
                self.overlay = Overlay::DetailFull;
                return Vec::new();
            }
            Action::Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                return Vec::new();
            }
            Action::Reload => return self.reload(now),
            Action::Copy => return self.on_file_action(actions::FileAction::Copy),
            Action::Download => return self.on_file_action(actions::FileAction::Download),
            // One Space on a folder is refused in one line; `10 Space` marks the files among
            // ten rows, as a count repeats a motion.
            Action::Mark if n <= 1 => return self.on_file_action(actions::FileAction::Mark),
            Action::Mark => {
                self.mark_rows(n);
                return Vec::new();
            }
            Action::MarkRange => return self.on_file_action(actions::FileAction::MarkRange),
            Action::InvertMarks => return self.on_file_action(actions::FileAction::InvertMarks),
            Action::Transfers => return self.on_file_action(actions::FileAction::Transfers),
            Action::Preview => return self.on_file_action(actions::FileAction::Preview),
            Action::OpenLink => return self.on_file_action(actions::FileAction::OpenLink),
            Action::Export => return self.on_file_action(actions::FileAction::Export),
            Action::Delete => return self.on_file_action(actions::FileAction::Delete),
        };
        self.detail.set_scroll(0);
        self.listing.motion(motion, now)
    }

    /// Esc in the list: stops loading every page; else clears the filter; else the marks.
    fn on_escape(&mut self, now: Instant) -> Vec<Effect> {
        if self.listing.is_loading_all() {
            self.listing.stop_load_all();
            return Vec::new();
        }
        if !(self.filter_input.value().is_empty() && self.listing.filter().is_empty()) {
            self.filter_input.reset();
            return self.apply_filter(now);
        }
        if self.versions.is_some() {
            return self.leave_versions(now);
        }
        if !self.files.marks.is_empty() {
            let n = self.files.marks.len();
            self.files.marks.clear();
            self.status = Some(Status::Info(format!(
                "unmarked {}",
                crate::text::count(n, "file")
            )));
        }
        Vec::new()
    }

    /// What `n` and `N` look for: the filter's text, else the last one applied.
    pub fn search_text(&self) -> Option<&str> {
        let text = self.listing.filter().text.trim();
        if !text.is_empty() {
            return Some(text);
        }
        Some(self.last_search.as_str()).filter(|t| !t.is_empty())
    }

    /// `n`/`N`: the `n`th loaded row after (before) the selection whose name or id holds the
    /// search text, wrapping around the ends as less and vim do.
    fn find_match(&mut self, forward: bool, n: usize, now: Instant) -> Vec<Effect> {
        let Some(text) = self.search_text().map(str::to_lowercase) else {
            self.status = Some(Status::Info(format!(
                "nothing to look for yet: type a text with {}",
                self.key(Action::Filter)
            )));
            return Vec::new();
        };
        let len = self.row_count();
        let start = self.cursor().selected;
        let mut found = None;
        let mut wrapped = false;
        let mut seen = 0;
        for step in 1..=len {
            let i = if forward {
                (start + step) % len
            } else {
                (start + len - step % len) % len
            };
            if let Row::Loaded(r) = self.row(i)
                && (crate::api::plan::contains_caseless(&r.name, &text)
                    || crate::api::plan::contains_caseless(&r.id, &text))
            {
                seen += 1;
                wrapped |= if forward { i <= start } else { i >= start };
                found = Some(i);
                if seen == n {
                    break;
                }
            }
        }
        let Some(row) = found else {
            self.status = Some(Status::Info(format!(
                "no loaded row holds \"{}\"{}",
                sanitize_line(&text, 40),
                self.load_all_hint()
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            )));
            return Vec::new();
        };
        if wrapped {
            self.status = Some(Status::Info(
                if forward {
                    "search hit the end of what is loaded, went on from the top"
                } else {
                    "search hit the top, went on from the end of what is loaded"
                }
                .to_string(),
            ));
        }
        self.detail.set_scroll(0);
        self.listing.motion(
            |c, len| {
                c.move_to(row, len);
                Motion::Jump
            },
            now,
        )
    }

    /// "A loads the rest", only where the load-all key would do something.
    pub fn load_all_hint(&self) -> Option<String> {
        self.listing
            .can_load_all()
            .then(|| format!("{} loads the rest", self.key(Action::LoadAll)))
    }

    /// Scrolls the detail pane for navigation keys; false for any other key.
    fn scroll_detail(&mut self, key: KeyEvent) -> bool {
        let by = match self.settings.keymap.action_for(&key) {
            Some(Action::Down) => Scroll::Down,
            Some(Action::Up) => Scroll::Up,
            Some(Action::PageDown) => Scroll::PageDown,
            Some(Action::HalfPageDown) => Scroll::HalfPageDown,
            Some(Action::PageUp) => Scroll::PageUp,
            Some(Action::HalfPageUp) => Scroll::HalfPageUp,
            Some(Action::Top) => Scroll::Top,
            Some(Action::Bottom) => Scroll::Bottom,
            _ => return false,
        };
        self.scroll_detail_with(by);
        true
    }

    /// Scrolls the detail text (a half page is a page: the text is short).
    fn scroll_detail_with(&mut self, by: Scroll) {
        let page = self.size.1.saturating_sub(4).max(1);
        let scroll = self.detail.scroll();
        let scroll = match by {
            Scroll::Down => scroll.saturating_add(1),
            Scroll::Up => scroll.saturating_sub(1),
            Scroll::PageDown | Scroll::HalfPageDown => scroll.saturating_add(page),
            Scroll::PageUp | Scroll::HalfPageUp => scroll.saturating_sub(page),
            Scroll::Top => 0,
            Scroll::Bottom => u16::MAX,
        };
        self.detail.set_scroll(scroll);
    }

    /// The help scrolls with every scroll key and closes only on q, Esc or its own key; other
    /// keys do nothing, so closing it never acts on the list.
    fn on_help_key(&mut self, scroll: u16, key: KeyEvent) {
        let lines = crate::keymap::help_line_count();
        let help = geometry::help_box(geometry::screen(self.size.0, self.size.1), lines);
        let page = help.rows.max(1);
        let at = scroll as usize;
        let at = match lookup(HELP_KEYS, &key, &self.settings.keymap) {
            Some(HelpKey::Close) => return,
            Some(HelpKey::Scroll(by)) => match by {
                Scroll::Down => at + 1,
                Scroll::Up => at.saturating_sub(1),
                Scroll::PageDown => at + page,
                Scroll::HalfPageDown => at + page / 2,
                Scroll::PageUp => at.saturating_sub(page),
                Scroll::HalfPageUp => at.saturating_sub(page / 2),
                Scroll::Top => 0,
                Scroll::Bottom => help.max_scroll,
            },
            None => at,
        };
        let scroll = at.min(help.max_scroll).min(u16::MAX as usize) as u16;
        self.overlay = Overlay::Help { scroll };
    }

    fn on_filter_key(
        &mut self,
        before: String,
        mut edited: bool,
        key: KeyEvent,
        now: Instant,
    ) -> Vec<Effect> {
        match lookup(PROMPT_KEYS, &key, &self.settings.keymap) {
            // Enter on the bar as it opened (empty) keeps the filter in force, as `/` Enter
            // in less and vim searches again for the last pattern.
            Some(PromptKey::Accept) if !edited => {
                self.filter_deadline = None;
                self.filter_input = Input::new(before);
                Vec::new()
            }
            Some(PromptKey::Accept) => {
                self.filter_deadline = None;
                self.apply_filter(now)
            }
            Some(PromptKey::Cancel) => {
                // The edit is cancelled: the filter applied before it stays (a second Esc, in
                // the list, clears it).
                self.filter_deadline = None;
                self.filter_input = Input::new(before);
                self.apply_filter(now)
            }
            None if key.code == KeyCode::Up && key.modifiers.is_empty() => {
                // The last filter: the one in force, else the last one applied.
                let last = if before.is_empty() {
                    self.last_filter.clone()
                } else {
                    before.clone()
                };
                if last != self.filter_input.value() {
                    self.filter_input = Input::new(last);
                    self.filter_deadline = Some(now + FILTER_DEBOUNCE);
                    edited = true;
                }
                self.overlay = Overlay::Filter { before, edited };
                Vec::new()
            }
            None => {
                if let Some(changed) = self.filter_input.handle_event(&Event::Key(key)) {
                    edited |= changed.value;
                    if changed.value {
                        self.filter_deadline = Some(now + FILTER_DEBOUNCE);
                    }
                }
                self.overlay = Overlay::Filter { before, edited };
                Vec::new()
            }
        }
    }

    /// Enter in the `:` prompt: go to the row or percentage typed.
    fn jump_to_typed(&mut self, text: &str, now: Instant) -> Vec<Effect> {
        let len = self.row_count();
        if text.trim().ends_with('%')
            && !self.is_count_known()
            && self.dialect.access() == crate::api::dialect::Access::Sequential
        {
            self.status = Some(self.word(listing::Notice::SizeUnknown));
            return Vec::new();
        }
        match parse_jump(text, len) {
            Some(row) => {
                // The target goes to the top of the screen: it and what follows it are
                // shown, usually from the one page it lands on.
                self.detail.set_scroll(0);
                self.listing.jump_to(row, now)
            }
            None => {
                self.status = Some(Status::Error(format!(
                    "not a row number or a percentage: {text:?} (try :5000 or :50%)"
                )));
                Vec::new()
            }
        }
    }

    fn on_sort_menu_key(&mut self, index: usize, key: KeyEvent, now: Instant) -> Vec<Effect> {
        let rows = SORT_MENU_ROWS.len();
        let stay = |app: &mut App, index| {
            app.overlay = Overlay::SortMenu { index };
            Vec::new()
        };
        let chosen = match lookup(SORT_MENU_KEYS, &key, &self.settings.keymap) {
            Some(SortKey::Close) => return Vec::new(),
            Some(SortKey::Down) => return stay(self, (index + 1) % rows),
            Some(SortKey::Up) => return stay(self, (index + rows - 1) % rows),
            Some(SortKey::Choose) => SORT_MENU_ROWS.get(index).copied(),
            Some(SortKey::Field(field)) => Some(Some(field)),
            Some(SortKey::AsServed) => Some(None),
            None => None,
        };
        let Some(chosen) = chosen else {
            return stay(self, index);
        };
        let Some(field) = chosen else {
            return self.serve_order(now);
        };
        self.sort_by(field, now)
    }

    /// Sorts by `field`, the other way round when it is the sort already (the sort menu's
    /// field keys, a click on a column's title).
    fn sort_by(&mut self, field: SortField, now: Instant) -> Vec<Effect> {
        let order = match self.listing.sort() {
            Some(sort) if sort.field == field => sort.order.flipped(),
            _ => field.natural_order(),
        };
        self.set_sort(Sort { field, order }, now)
    }

    /// The sort that is the server's own order, as at the start: its documented one where
    /// the API documents it (FileJar's newest first), else none (FileGuard's "as served").
    pub fn served_order(&self) -> Option<Sort> {
        let caps = self.dialect.capabilities();
        caps.order_known.then_some(caps.default_sort)
    }

    /// The sort menu's `as served`: the server's own order again, nothing sorted here.
    fn serve_order(&mut self, now: Instant) -> Vec<Effect> {
        let sort = self.served_order();
        if self.listing.sort() == sort {
            return Vec::new();
        }
        let filter = self.listing.filter().clone();
        self.replan(sort, filter, now)
    }

    /// Every field can be sorted by: server-side where the API can, locally where not.
    fn cycle_sort(&mut self, now: Instant) -> Vec<Effect> {
        let fields = &SortField::ALL;
        let next = fields
            .iter()
            .position(|f| Some(*f) == self.listing.sort().map(|s| s.field))
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
        if Some(sort) == self.listing.sort() {
            return Vec::new();
        }
        let filter = self.listing.filter().clone();
        self.replan(Some(sort), filter, now)
    }

    /// Parses the filter bar and applies it, if it changed; a bad filter is reported and the
    /// listing left as it was.
    fn apply_filter(&mut self, now: Instant) -> Vec<Effect> {
        let parsed = match filter::parse(self.filter_input.value(), &self.dialect.filter_keys()) {
            Ok(parsed) => parsed,
            Err(message) => {
                self.status = Some(Status::Error(format!("filter: {message}")));
                return Vec::new();
            }
        };
        if !parsed.text.trim().is_empty() {
            self.last_search = parsed.text.trim().to_string();
        }
        if !self.filter_input.value().trim().is_empty() {
            self.last_filter = self.filter_input.value().to_string();
        }
        // Sizes are shown in binary units: say which unit a size term used, and its bytes.
        if let Some(sizes) = parsed.sizes_in_words() {
            self.status = Some(Status::Info(format!("filter: {sizes}")));
        }
        if parsed == *self.listing.filter() {
            return Vec::new();
        }
        let sort = self.listing.sort();
        self.replan(sort, parsed, now)
    }

    /// A filter plus the folder or context the listing is narrowed to.
    fn scoped(&self, filter: &Filter) -> Filter {
        let mut filter = filter.clone();
        if let Some((id, _)) = self.scopes.as_ref().and_then(Scopes::active) {
            filter.terms.push(self.dialect.scope_term(id));
        }
        filter
    }

    /// The filter in force plus the folder or context the listing is narrowed to.
    pub fn scoped_filter(&self) -> Filter {
        self.scoped(self.listing.filter())
    }

    /// Splits sort and filter into server and local work and lists again as needed.
    fn replan(&mut self, sort: Option<Sort>, filter: Filter, now: Instant) -> Vec<Effect> {
        let plan = self.plan_of(sort, &filter);
        let reads_again = plan.server != *self.listing.query();
        self.detail.set_scroll(0);
        self.dirty = true;
        if reads_again {
            self.before_reading_again();
        }
        self.listing.replan(sort, filter, plan, now)
    }

    /// Enter in the scope pane: go into the folder, or narrow the listing to the context
    /// (again: back to all contexts).
    fn enter_scope(&mut self, now: Instant) -> Vec<Effect> {
        let Some(mut effects) = self.scopes.as_mut().and_then(Scopes::enter) else {
            return Vec::new();
        };
        let (sort, filter) = (self.listing.sort(), self.listing.filter().clone());
        effects.extend(self.replan(sort, filter, now));
        effects
    }

    /// Enter on a folder row (S3's prefixes): list inside it.
    fn enter_folder(&mut self, id: String, name: String, now: Instant) -> Vec<Effect> {
        let Some(scopes) = self.scopes.as_mut() else {
            return Vec::new();
        };
        scopes.enter_folder(id, name);
        let (sort, filter) = (self.listing.sort(), self.listing.filter().clone());
        self.replan(sort, filter, now)
    }

    /// What the server is asked and what is left to do here, for a sort and a filter: in the
    /// folder or context entered, and of the versions when they are shown.
    fn plan_of(&self, sort: Option<Sort>, filter: &Filter) -> crate::api::Plan {
        let mut plan = plan(self.dialect.as_ref(), sort, &self.scoped(filter));
        plan.server.versions = self.versions.as_ref().map(|(of, _)| of.clone());
        plan
    }

    /// `v`: the versions of the selected key, every version and delete marker, newest first;
    /// on a folder row or with nothing selected, those of every key of the listing.
    fn show_versions(&mut self, now: Instant) -> Vec<Effect> {
        if !self.dialect.lists_versions() {
            self.status = Some(Status::Info(format!(
                "{} keeps no versions to show",
                self.conn.dialect
            )));
            return Vec::new();
        }
        if self.versions.is_some() {
            self.status = Some(Status::Info(format!(
                "these are versions already; {} goes back",
                self.key(Action::ScopeUp)
            )));
            return Vec::new();
        }
        let selected = self.selected().cloned();
        let of = match selected.as_ref().filter(|r| !self.dialect.is_folder(r)) {
            Some(record) => crate::api::Versions::Of(
                self.dialect
                    .storage_key(record)
                    .unwrap_or_else(|| record.id.clone()),
            ),
            None => crate::api::Versions::Listing,
        };
        self.versions = Some((of, selected.map(|r| r.id)));
        let (sort, filter) = (self.listing.sort(), self.listing.filter().clone());
        self.replan(sort, filter, now)
    }

    /// Backspace or Esc in the versions: back to the live files, the key left selected.
    fn leave_versions(&mut self, now: Instant) -> Vec<Effect> {
        let Some((_, left)) = self.versions.take() else {
            return Vec::new();
        };
        let (sort, filter) = (self.listing.sort(), self.listing.filter().clone());
        let effects = self.replan(sort, filter, now);
        if let Some(id) = left {
            self.listing.select_when_listed(id);
        }
        effects
    }

    /// Whose versions are shown, for the header (`versions of logs/app.log`).
    pub fn versions_of(&self) -> Option<String> {
        let (of, _) = self.versions.as_ref()?;
        Some(match of {
            crate::api::Versions::Of(key) => key.clone(),
            crate::api::Versions::Listing => self
                .scopes
                .as_ref()
                .and_then(Scopes::active)
                .map(|(id, _)| id.to_string())
                .unwrap_or_else(|| self.conn.label.clone()),
        })
    }

    /// Backspace/h: up a folder, or back to all contexts; the folder left is selected again.
    /// In the versions, back to the live files first.
    fn scope_up(&mut self, now: Instant) -> Vec<Effect> {
        if self.versions.is_some() {
            return self.leave_versions(now);
        }
        let Some((mut effects, left)) = self.scopes.as_mut().and_then(Scopes::up) else {
            if let Some(top) = self.at_the_top() {
                self.status = Some(Status::Info(top));
            }
            return Vec::new();
        };
        let (sort, filter) = (self.listing.sort(), self.listing.filter().clone());
        effects.extend(self.replan(sort, filter, now));
        if let Some(id) = left {
            self.listing.select_when_listed(id);
        }
        effects
    }

    /// `i`: a summary of what is loaded, at once; `a` in the view scans the rest.
    fn open_insight(&mut self) {
        let mut stats = crate::insight::Stats::default();
        let pages = self.listing.pages();
        let size = pages.page_size();
        let local = self.listing.local().cloned();
        for (page, records) in pages.snapshot() {
            let first = (page - 1) * size;
            for (i, r) in records.iter().enumerate() {
                if local.as_ref().is_none_or(|l| l.matches(r)) {
                    stats.add(first + i, r);
                }
            }
        }
        let source = insight::Source::Loaded {
            rows: stats.total.files as usize,
            total: if local.is_some() { None } else { pages.total() },
        };
        self.overlay = Overlay::Insight(Box::new(insight::Insight::new(stats, source)));
    }

    fn on_insight_key(
        &mut self,
        mut view: Box<insight::Insight>,
        key: KeyEvent,
        now: Instant,
    ) -> Vec<Effect> {
        let last = view.notable().len().saturating_sub(1);
        let mut effects = Vec::new();
        match lookup(INSIGHT_KEYS, &key, &self.settings.keymap) {
            Some(InsightKey::Close) => {
                view.stop_scan();
                return Vec::new();
            }
            Some(InsightKey::SwitchPane) => {
                view.pane = match view.pane {
                    insight::Pane::Largest => insight::Pane::Newest,
                    insight::Pane::Newest => insight::Pane::Largest,
                };
                view.selected = 0;
            }
            Some(InsightKey::Down) => view.selected = (view.selected + 1).min(last),
            Some(InsightKey::Up) => view.selected = view.selected.saturating_sub(1),
            Some(InsightKey::Summary(down)) => {
                let step = self.size.1.saturating_sub(4).max(1);
                view.scroll = if down {
                    view.scroll.saturating_add(step)
                } else {
                    view.scroll.saturating_sub(step)
                };
            }
            Some(InsightKey::ScanAll)
                if view.scan.is_none() && view.source != insight::Source::Scanned =>
            {
                self.scans += 1;
                let id = ScanId(self.scans);
                let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
                view.scan = Some((id, Arc::clone(&cancel)));
                view.error = None;
                view.source = insight::Source::Scanning {
                    progress: crate::api::scan::Progress {
                        pages_done: 0,
                        pages_total: None,
                        first_row: 0,
                    },
                    started: now,
                };
                let mut plan = self.plan_of(self.listing.sort(), self.listing.filter());
                // Folders that are rows (S3's prefixes) are scanned into, every file below.
                plan.server.recursive = self.folders_are_rows();
                view.below = plan.server.recursive;
                effects.push(
                    ListingEffect::Scan(insight::ScanJob {
                        id,
                        plan,
                        jobs: LOAD_ALL_CONCURRENCY,
                        cancel,
                    })
                    .into(),
                );
            }
            // Scanning, or scanned: nothing more to scan.
            Some(InsightKey::ScanAll) | None => {}
            Some(InsightKey::Go) => {
                if let Some(file) = view.notable().get(view.selected).cloned() {
                    view.stop_scan();
                    self.detail.set_scroll(0);
                    // A scan into the folders below numbers its own rows: found by id.
                    let row = (!view.below).then_some(file.row);
                    return match self.listing.go_to_file(row, &file.id, now) {
                        Some(effects) => effects,
                        None if view.below => {
                            self.status = Some(Status::Info(format!(
                                "{} goes into folders: {} is in one below this",
                                self.key(Action::OpenDetail),
                                crate::text::sanitize(&file.name)
                            )));
                            Vec::new()
                        }
                        None => {
                            self.status = Some(Status::Info(format!(
                                "that file is not loaded in this view{}",
                                self.load_all_hint()
                                    .map(|h| format!("; {h}"))
                                    .unwrap_or_default()
                            )));
                            Vec::new()
                        }
                    };
                }
            }
        }
        self.overlay = Overlay::Insight(view);
        effects
    }

    /// What reading the listing again forgets: details (they may be stale) and a range being
    /// marked (rows may move, so a range must not span rows that now hold other files; what
    /// it marked stays marked).
    fn before_reading_again(&mut self) {
        self.files.range = None;
        self.detail.clear();
        self.detail.set_scroll(0);
    }

    /// Lists again from the top for a new query.
    fn restart(&mut self, now: Instant) -> Vec<Effect> {
        self.before_reading_again();
        self.dirty = true;
        self.listing.restart(now)
    }

    /// Lists again with the same query, keeping the position.
    fn reload(&mut self, now: Instant) -> Vec<Effect> {
        self.before_reading_again();
        self.dirty = true;
        self.listing.reload(now)
    }
}

/// Shortcuts for benchmarks that build large states quickly; what they do is what scrolling
/// and jumping do, through the same listing code.
#[cfg(any(test, feature = "test-support"))]
impl App {
    /// Asks for every page holding `rows`, as scrolling over them would; returns the fetches.
    pub fn want_rows(&mut self, rows: std::ops::Range<usize>) -> Vec<Effect> {
        self.listing.want_rows(rows, Instant::now())
    }

    /// Files answers straight into the listing, as `Msg::Page` does but without a frame's
    /// layout per page: a million rows load in a second, laid out in memory as they would be
    /// with nothing else allocating in between.
    pub fn file_pages(
        &mut self,
        answers: impl IntoIterator<
            Item = (crate::listing::Generation, usize, crate::api::dialect::Page),
        >,
    ) {
        let now = Instant::now();
        for (generation, page, answer) in answers {
            self.listing.on_page(generation, page, Ok(answer), now);
        }
        self.dirty = true;
    }

    /// Selects `row`, scrolling as little as needed, and fetches what that shows.
    pub fn select(&mut self, row: usize) -> Vec<Effect> {
        self.listing.motion(
            |c, len| {
                c.move_to(row, len);
                Motion::Jump
            },
            Instant::now(),
        )
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
        // As less does: 50% of 100,000 rows is row 50,000; 0% the first row, 100% the last.
        let row = ((len as f64) * pct / 100.0).round() as usize;
        return Some(row.clamp(1, len.max(1)) - 1);
    }
    let row: usize = text.parse().ok()?;
    Some(row.saturating_sub(1))
}

#[cfg(test)]
mod tests;
