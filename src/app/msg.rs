//! What reaches the app ([`Msg`]) and what it asks of the runtime ([`Effect`]). Effects come in
//! groups, one per executor, and every executor matches its group exhaustively: a new effect
//! that nobody carries out does not build. Every async answer carries the id of what it was
//! asked for, in a type of its own, so ids of different things cannot be mixed up.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crossterm::event::KeyEvent;

use super::actions::{CopySource, DownloadJob, ExportJob, PreviewData, TransferEvent, TransferId};
use super::insight::ScanJob;
use crate::api::Notice;
use crate::api::dialect::{Continuation, Page, PageRequest, ScopePage};
use crate::api::{ApiError, FileRecord, ListQuery};
use crate::config::CommandLine;
use crate::listing::{Generation, LocalView};

/// A local sort or filter built away from the UI task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// A background scan of the whole listing for the insight view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScanId(pub u64);

/// One listing of folders or contexts; a new level is a new generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ScopesGeneration(pub u64);

/// How a value reached the clipboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Copied, through this path ("OSC 52", "OSC 52 through tmux", a command's name).
    Via(String),
    /// Nothing can carry it to the clipboard here: shown, to be selected by hand.
    ShowByHand,
}

/// Something the app shows in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

/// Everything that can happen to the app. Answers come in groups, as effects do: each
/// executor answers with its group, and the part of the app that owns the group handles it.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The wheel or a click (with `[ui] mouse`, on by default).
    Mouse(crossterm::event::MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// An answer to a [`ListingEffect`].
    Listing(ListingMsg),
    /// An answer to a [`FileEffect`].
    Files(FileMsg),
    /// A request is about to be retried, or the store's region changed: shown in the status
    /// line.
    ClientNotice(Notice),
    /// Something the runtime did, for the status line.
    Notice(Status),
    /// The terminal was given away (suspend, pager) and taken back: everything is redrawn.
    Resumed,
    /// Time passed: debounce deadlines and the spinner.
    Tick,
    /// A signal whose default action ends the process (SIGTERM, SIGHUP, SIGINT, SIGQUIT,
    /// SIGUSR1, SIGALRM, …): quit, so the terminal is restored on the way out.
    Terminate,
    /// SIGTSTP, SIGTTIN or SIGTTOU from outside (a `kill -TSTP`): give the terminal back and
    /// stop, as Ctrl-z does.
    Stop,
}

/// What the listing executor answers: pages, records, folders, local views, scans.
#[derive(Debug)]
pub enum ListingMsg {
    /// The next page of a walk ([`ListingEffect::Walk`]), for the generation that asked.
    Walked {
        generation: Generation,
        result: Result<Page, ApiError>,
    },
    /// A walk's walker stopped (the end, `until`, a failure, or it was stopped).
    WalkDone { generation: Generation },
    /// Where the last rows start, for the listing generation that asked.
    TailFound {
        generation: Generation,
        result: Result<crate::api::Tail, ApiError>,
    },
    /// A page arrived (or failed), tagged with the generation and page it was requested for.
    Page {
        generation: Generation,
        page: usize,
        result: Result<Page, ApiError>,
    },
    /// A file's full record from the dialect's single-file endpoint, tagged with the
    /// generation and id it was requested for.
    Detail {
        generation: Generation,
        id: String,
        result: Result<FileRecord, ApiError>,
    },
    /// A local view built away from the UI task (`None`: it was cancelled), with the pages its
    /// snapshot held.
    ViewBuilt {
        id: JobId,
        view: Option<LocalView>,
        pages: Vec<usize>,
    },
    /// A scan for the insight view moved on (or ended, with `done`).
    Scanned {
        id: ScanId,
        stats: Box<crate::insight::Stats>,
        progress: crate::api::scan::Progress,
        done: bool,
        error: Option<String>,
    },
    /// A page of folders or contexts, tagged with the scope generation it was asked for.
    Scopes {
        generation: ScopesGeneration,
        page: usize,
        result: Result<ScopePage, ApiError>,
    },
}

/// What the file executor answers: values to copy and whether they reached the clipboard (the
/// terminal executor's answer to a copy), downloads, previews, links, exports, deletions.
#[derive(Debug)]
pub enum FileMsg {
    /// A value reached the clipboard, or could not.
    Copied {
        label: String,
        text: String,
        via: Result<Delivered, String>,
    },
    /// A value resolved for copying (a fresh link, a curl command): now to the clipboard.
    CopyReady { label: String, text: String },
    /// The download directory was looked at: these names exist there already.
    TargetsChecked {
        dir: PathBuf,
        records: Vec<FileRecord>,
        existing: Vec<String>,
    },
    /// A download moved on, tagged with its transfer id.
    Transfer {
        id: TransferId,
        event: TransferEvent,
    },
    /// The first bytes (or extracted text) of a file, for the preview of `id`.
    Previewed {
        id: String,
        result: Result<PreviewData, String>,
    },
    /// A value to show for selecting by hand (a link, over SSH).
    ShowValue { title: String, text: String },
    /// An export finished: records written, or why not.
    Exported {
        path: PathBuf,
        result: Result<usize, String>,
    },
    /// The export's file exists (nothing was written); `free` is a name beside it that does
    /// not, if one was found.
    ExportExists {
        path: PathBuf,
        free: Option<PathBuf>,
    },
    /// The server confirmed or refused deleting one file.
    Deleted {
        id: String,
        result: Result<(), String>,
    },
}

/// What the app asks the runtime to do, by the executor that does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Listing(ListingEffect),
    Files(FileEffect),
    Terminal(TerminalEffect),
}

/// Reading the listing and what goes with it: pages, records, folders, local views, scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingEffect {
    Fetch {
        generation: Generation,
        query: ListQuery,
        page: PageRequest,
        /// What the request carries to continue from the page before (APIs read in order).
        after: Option<Continuation>,
    },
    /// Fetch one file's full record for the detail pane.
    FetchDetail { generation: Generation, id: String },
    /// Fetch a page of folders (children of `parent`) or contexts.
    FetchScopes {
        generation: ScopesGeneration,
        parent: Option<String>,
        page: usize,
    },
    /// Walk a listing read in order from `from` (continuing from `after`), every page in
    /// turn, the next request in flight while a page is decoded, up to page `until` (`None`:
    /// to the end); answers `Walked` for each page, then `WalkDone`.
    Walk {
        generation: Generation,
        query: ListQuery,
        from: PageRequest,
        after: Option<Continuation>,
        until: Option<usize>,
    },
    /// Stop the walk under way (a key was pressed, or it arrived).
    StopWalk,
    /// Abort every request made for a generation older than this one.
    CancelBefore(Generation),
    /// Build a local view away from the UI task.
    BuildView(ViewJob),
    /// Scan the whole listing for the insight view.
    Scan(ScanJob),
    /// Find where the last rows of a listing read in order start, without walking it
    /// (S3: a search of the key space), for at least `want` rows after `from`.
    FindTail {
        generation: Generation,
        query: ListQuery,
        from: Option<String>,
        want: usize,
    },
}

/// Acting on files: resolving values to copy, downloads, previews, links, export, delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileEffect {
    /// Resolve a value to copy (a fresh link may cost a request); answers `CopyReady`.
    ResolveCopy {
        label: String,
        source: CopySource,
    },
    /// Look at the download directory for names that exist already.
    PrepareDownload {
        dir: PathBuf,
        records: Vec<FileRecord>,
    },
    /// Download these files, at most a few at a time.
    Download(Vec<DownloadJob>),
    CancelTransfers(Vec<TransferId>),
    /// Fetch the first bytes or the extracted text of a file.
    Preview(Box<FileRecord>),
    /// Open the file's link in a browser, or show it when there is no local display.
    OpenLink(Box<FileRecord>),
    Export(ExportJob),
    Delete(Vec<String>),
}

/// What needs the terminal itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalEffect {
    /// Ctrl-z: give the terminal back until resumed.
    Suspend,
    /// Put a value in the clipboard: OSC 52 to the terminal, or `command` when set.
    Clipboard {
        label: String,
        text: String,
        command: Option<CommandLine>,
    },
    /// Hand fetched bytes to `$PAGER`, giving it the terminal meanwhile.
    Pager { name: String, bytes: Arc<Vec<u8>> },
}

impl From<ListingEffect> for Effect {
    fn from(e: ListingEffect) -> Self {
        Effect::Listing(e)
    }
}

impl From<FileEffect> for Effect {
    fn from(e: FileEffect) -> Self {
        Effect::Files(e)
    }
}

impl From<TerminalEffect> for Effect {
    fn from(e: TerminalEffect) -> Self {
        Effect::Terminal(e)
    }
}

/// A local sort or filter over many loaded rows, to run away from the UI task: a snapshot of
/// the loaded pages and a flag a newer change sets to stop it.
#[derive(Clone)]
pub struct ViewJob {
    pub id: JobId,
    pub local: crate::api::Local,
    pub page_size: usize,
    pub pages: Vec<(usize, Arc<Vec<FileRecord>>)>,
    pub cancel: Arc<AtomicBool>,
}

impl ViewJob {
    /// Runs the job (on a blocking thread) and returns the message that delivers its result.
    pub fn run(self) -> Msg {
        let view = LocalView::build(self.local, self.page_size, &self.pages, &self.cancel);
        Msg::Listing(ListingMsg::ViewBuilt {
            id: self.id,
            view,
            pages: self.pages.iter().map(|(p, _)| *p).collect(),
        })
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
            self.id.0,
            self.pages.len()
        )
    }
}
