//! The folders (AstraCollab) or contexts (FileGuard) beside the files: a tree entered with
//! Enter and left with Backspace, or a flat list of filter values.

use super::actions::FileAction;
use super::msg::{Effect, ListingEffect, ScopesGeneration};
use super::{Action, App};
use crate::api::dialect::{Scope, ScopeKind, ScopePage};

/// The most scope pages read for one level (100 each): a pane, not an archive.
const MAX_SCOPE_PAGES: usize = 50;

#[derive(Debug)]
pub struct Scopes {
    kind: ScopeKind,
    /// Folders entered, outermost first, as `(id, name)`; empty at the root and for contexts.
    path: Vec<(String, String)>,
    /// The folders inside the current one, or every context.
    items: Vec<Scope>,
    selected: usize,
    /// The context the listing is narrowed to (folders use `path`).
    context: Option<(String, String)>,
    loading: bool,
    error: Option<String>,
    generation: ScopesGeneration,
    /// The folder just left (its id): selected again when its level's pages bring it, so
    /// going up returns to the row you came from.
    reselect: Option<String>,
}

impl Scopes {
    pub fn new(kind: ScopeKind) -> Self {
        Scopes {
            kind,
            path: Vec::new(),
            items: Vec::new(),
            selected: 0,
            context: None,
            loading: false,
            error: None,
            generation: ScopesGeneration::default(),
            reselect: None,
        }
    }

    pub fn kind(&self) -> ScopeKind {
        self.kind
    }

    /// Folders entered, outermost first, as `(id, name)`.
    pub fn path(&self) -> &[(String, String)] {
        &self.path
    }

    pub fn items(&self) -> &[Scope] {
        &self.items
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The context the listing is narrowed to.
    pub fn context(&self) -> Option<&(String, String)> {
        self.context.as_ref()
    }

    pub fn is_loading(&self) -> bool {
        self.loading
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The scope the listing is narrowed to, if any: the current folder or the context.
    pub fn active(&self) -> Option<&(String, String)> {
        match self.kind {
            ScopeKind::Folders | ScopeKind::Prefixes => self.path.last(),
            ScopeKind::Contexts => self.context.as_ref(),
        }
    }

    /// Whether the scopes have a pane of their own (S3's folders are rows of the listing).
    pub fn has_pane(&self) -> bool {
        self.kind != ScopeKind::Prefixes
    }

    /// Starts listing a level again: a new generation, so late pages of the old one drop.
    /// Nothing to fetch for folders that are rows of the listing.
    pub(super) fn reload(&mut self) -> Vec<Effect> {
        self.generation.0 += 1;
        self.items.clear();
        self.selected = 0;
        self.error = None;
        self.reselect = None;
        let parent = match self.kind {
            ScopeKind::Prefixes => return Vec::new(),
            ScopeKind::Folders => self.path.last().map(|(id, _)| id.clone()),
            ScopeKind::Contexts => None,
        };
        self.loading = true;
        vec![
            ListingEffect::FetchScopes {
                generation: self.generation,
                parent,
                page: 1,
            }
            .into(),
        ]
    }

    /// Enter on a folder row of the listing (S3): go into it.
    pub(super) fn enter_folder(&mut self, id: String, name: String) {
        self.path.push((id, name));
    }

    /// Moves the selection within the pane.
    pub(super) fn select(&mut self, pick: impl FnOnce(usize, usize) -> usize) {
        let last = self.items.len().saturating_sub(1);
        self.selected = pick(self.selected, last).min(last);
    }

    /// A page of scopes arrived; `None` when it answered an older level.
    pub(super) fn on_page(
        &mut self,
        generation: ScopesGeneration,
        page: usize,
        result: Result<ScopePage, crate::api::ApiError>,
    ) -> Option<Vec<Effect>> {
        if generation != self.generation {
            return None;
        }
        match result {
            Ok(answer) => {
                self.items.extend(answer.scopes);
                if let Some(at) = self
                    .reselect
                    .as_ref()
                    .and_then(|id| self.items.iter().position(|s| s.id == *id))
                {
                    self.selected = at;
                    self.reselect = None;
                }
                if answer.has_next && page < MAX_SCOPE_PAGES {
                    return Some(vec![
                        ListingEffect::FetchScopes {
                            generation,
                            parent: self.path.last().map(|(id, _)| id.clone()),
                            page: page + 1,
                        }
                        .into(),
                    ]);
                }
                self.loading = false;
            }
            Err(e) => {
                self.loading = false;
                self.error = Some(e.to_string());
            }
        }
        Some(Vec::new())
    }

    /// Enter: go into the selected folder (a new level to list), or narrow to the selected
    /// context (again: back to all). `None` when nothing is selected.
    pub(super) fn enter(&mut self) -> Option<Vec<Effect>> {
        let item = self.items.get(self.selected).cloned()?;
        match self.kind {
            ScopeKind::Folders | ScopeKind::Prefixes => {
                self.path.push((item.id, item.name));
                Some(self.reload())
            }
            ScopeKind::Contexts => {
                let same = self.context.as_ref().is_some_and(|(id, _)| *id == item.id);
                self.context = (!same).then_some((item.id, item.name));
                Some(Vec::new())
            }
        }
    }

    /// Backspace/h: up a folder, or back to all contexts. `None` at the top already. Going
    /// up a folder returns to it: the id of the folder left, which the pane selects again when
    /// its level is listed (and the app selects in the listing, where folders are rows).
    pub(super) fn up(&mut self) -> Option<(Vec<Effect>, Option<String>)> {
        match self.kind {
            ScopeKind::Folders | ScopeKind::Prefixes => {
                let (left, _) = self.path.pop()?;
                let effects = self.reload();
                if self.kind == ScopeKind::Prefixes {
                    return Some((effects, Some(left)));
                }
                self.reselect = Some(left);
                Some((effects, None))
            }
            ScopeKind::Contexts => {
                self.context.take()?;
                Some((Vec::new(), None))
            }
        }
    }
}

impl App {
    /// Marking, downloading and previewing take files: on a folder row (S3's prefixes) they
    /// refuse at once, in one line. `None`: the action goes ahead.
    pub(super) fn folder_refusal(&self, action: FileAction) -> Option<String> {
        let verb = match action {
            FileAction::Mark => "marked",
            FileAction::Download if self.files.marks.is_empty() => "downloaded",
            FileAction::Preview => "previewed",
            FileAction::Download
            | FileAction::Copy
            | FileAction::MarkRange
            | FileAction::InvertMarks
            | FileAction::Transfers
            | FileAction::OpenLink
            | FileAction::Export
            | FileAction::Delete => return None,
        };
        let folder = self.selected().filter(|r| self.dialect.is_folder(r))?;
        Some(format!(
            "{} goes into {}; a folder cannot be {verb}, only files",
            self.key(Action::OpenDetail),
            crate::text::sanitize(&folder.name)
        ))
    }

    /// Backspace at the top: going up stops at the folder the listing starts in (an S3 URL's
    /// prefix: what is above it may not be the user's to list), and says so.
    pub(super) fn at_the_top(&self) -> Option<String> {
        let kind = self.scopes.as_ref()?.kind();
        if kind == ScopeKind::Contexts {
            return None;
        }
        let root = self.dialect.key_prefix(&crate::api::ListQuery::new(
            self.dialect.capabilities().default_sort,
        ));
        Some(if root.is_empty() {
            "already at the top".to_string()
        } else {
            format!(
                "already at the top: this listing starts at {}",
                crate::text::sanitize(&root)
            )
        })
    }
}
