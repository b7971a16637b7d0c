//! What is on top of the list, as one value: each overlay owns its own state (the insight view
//! its numbers, a prompt its input, the preview its lines), so nothing can be open without its
//! state or leave state behind when it closes.

use tui_input::Input;

use super::actions::{PendingDownload, Preview, Prompt};
use super::insight::Insight;

#[derive(Debug, Default)]
pub enum Overlay {
    /// The list itself has the keyboard.
    #[default]
    None,
    /// Typing in the filter bar (its text lives with the app: it stays between edits).
    Filter,
    /// The `:` prompt: a row number or a percentage.
    Jump(Input),
    SortMenu {
        index: usize,
    },
    Help {
        scroll: u16,
    },
    /// The detail of the selected file, full-screen.
    DetailFull,
    Insight(Box<Insight>),
    /// `y` was pressed: the next key says what to copy. From the full-screen detail, it
    /// goes back there after.
    CopyMenu {
        from_detail: bool,
    },
    /// Typing an answer.
    Prompt {
        prompt: Prompt,
        input: Input,
    },
    /// Some files to download exist already: overwrite, keep both, skip?
    Exists(PendingDownload),
    /// The transfers panel has the keyboard.
    Transfers,
    Preview(Preview),
    /// A value shown to be selected by hand.
    Value {
        title: String,
        text: String,
    },
}

/// Which overlay is open, without its state: for a glance (tests, the footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    List,
    Filter,
    Jump,
    SortMenu,
    Help,
    DetailFull,
    Insight,
    CopyMenu,
    Prompt,
    Exists,
    Transfers,
    Preview,
    Value,
}

impl Overlay {
    pub fn mode(&self) -> Mode {
        match self {
            Overlay::None => Mode::List,
            Overlay::Filter => Mode::Filter,
            Overlay::Jump(_) => Mode::Jump,
            Overlay::SortMenu { .. } => Mode::SortMenu,
            Overlay::Help { .. } => Mode::Help,
            Overlay::DetailFull => Mode::DetailFull,
            Overlay::Insight(_) => Mode::Insight,
            Overlay::CopyMenu { .. } => Mode::CopyMenu,
            Overlay::Prompt { .. } => Mode::Prompt,
            Overlay::Exists(_) => Mode::Exists,
            Overlay::Transfers => Mode::Transfers,
            Overlay::Preview(_) => Mode::Preview,
            Overlay::Value { .. } => Mode::Value,
        }
    }
}
