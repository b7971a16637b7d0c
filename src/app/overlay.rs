//! What is on top of the list, as one value: each overlay owns its own state (the insight view
//! its numbers, a prompt its input, the preview its lines) and its key table, so nothing can be
//! open without its state or leave state behind when it closes, and the keys its handler takes
//! are the keys the footer shows.

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;

use super::actions::{PendingDownload, Preview, Prompt};
use super::insight::Insight;
use crate::keymap::{Action, Key, KeyMap};

/// Declares [`Overlay`] and derives [`Mode`] from it: one variant of `Mode` per variant of
/// `Overlay`, same name, without the state. Nothing to keep in step by hand.
macro_rules! overlays {
    ($( $(#[$doc:meta])* $variant:ident $( ( $($tuple:ty),* ) )? $( { $($(#[$fdoc:meta])* $field:ident : $fty:ty),* $(,)? } )? ),* $(,)?) => {
        #[derive(Debug, Default)]
        pub enum Overlay {
            $( $(#[$doc])* $variant $( ( $($tuple),* ) )? $( { $($(#[$fdoc])* $field: $fty),* } )? ),*
        }

        /// Which overlay is open, without its state: for a glance (tests, the footer).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Mode {
            $( $variant ),*
        }

        impl Overlay {
            pub fn mode(&self) -> Mode {
                match self {
                    $( Overlay::$variant { .. } => Mode::$variant ),*
                }
            }
        }
    };
}

overlays! {
    /// The list itself has the keyboard.
    #[default]
    List,
    /// Typing in the filter bar (its text lives with the app: it stays between edits).
    Filter {
        /// The filter bar's text when it was opened: Esc goes back to it, `↑` recalls it.
        before: String,
        /// Something was typed: Enter applies the bar (else it keeps the filter in force).
        edited: bool,
    },
    /// The sort menu: row 0 is `as served`, then [`sort_menu_row`]'s fields.
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
    /// Typing an answer: a row to jump to, a directory, a path, a confirmation.
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
        /// Opened from the transfers panel (a transfer's whole line): closing it gives the
        /// keys back to the panel, not the list.
        from_transfers: bool,
    },
}

/// Which keys one entry of a key table answers to.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// These keys, whatever the key map says (a menu's letters, Esc, Enter), all shown.
    Fixed(&'static [KeyCode]),
    /// The keys the key map gives an action, so a remapped key works and is shown remapped
    /// (its first key is shown), and these besides (the arrows, which are never taken away).
    Mapped(Action, &'static [KeyCode]),
}

impl Keys {
    fn matches(self, key: &KeyEvent, keymap: &KeyMap) -> bool {
        match self {
            Keys::Fixed(codes) => codes.contains(&key.code),
            Keys::Mapped(action, also) => {
                keymap.action_for(key) == Some(action) || also.contains(&key.code)
            }
        }
    }

    fn label(self, keymap: &KeyMap) -> String {
        match self {
            Keys::Fixed(codes) => codes
                .iter()
                .map(|code| {
                    Key {
                        code: *code,
                        mods: crossterm::event::KeyModifiers::NONE,
                    }
                    .to_string()
                })
                .collect::<Vec<_>>()
                .join("/"),
            Keys::Mapped(action, _) => keymap.key(action),
        }
    }
}

/// One hint of a key table: groups of keys (shown joined by spaces, the keys of a group by
/// `/`), each key with what it does in the overlay; what the hint says and its rank in the
/// footer (0 is kept longest). A hint that says nothing (`what` empty) is a key that works
/// but is not shown.
pub struct Hint<C: 'static> {
    pub keys: &'static [&'static [(Keys, C)]],
    pub what: &'static str,
    pub rank: u8,
}

/// An overlay's key table: the handler looks keys up in it, the footer shows it.
pub type Table<C> = [Hint<C>];

/// What `key` does in the overlay whose table this is: a fixed key first (a menu's letter
/// wins over a key the map gives a move), else the first entry that takes it.
pub fn lookup<C: Copy>(table: &Table<C>, key: &KeyEvent, keymap: &KeyMap) -> Option<C> {
    let entries = || table.iter().flat_map(|h| h.keys.iter().copied().flatten());
    entries()
        .find(|(keys, _)| matches!(keys, Keys::Fixed(_)) && keys.matches(key, keymap))
        .or_else(|| entries().find(|(keys, _)| keys.matches(key, keymap)))
        .map(|(_, does)| *does)
}

/// A shown hint of a table: its keys as the key map has them, what it says, its rank, and
/// what its first key does (for a footer that words a hint by the overlay's state).
pub struct Shown<C> {
    pub keys: String,
    pub what: &'static str,
    pub rank: u8,
    pub does: C,
}

/// The hints of a table the footer shows, in the table's order.
pub fn shown<C: Copy>(table: &Table<C>, keymap: &KeyMap) -> Vec<Shown<C>> {
    table
        .iter()
        .filter(|h| !h.what.is_empty())
        .filter_map(|h| {
            let does = h.keys.first()?.first()?.1;
            let keys = h
                .keys
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .map(|(keys, _)| keys.label(keymap))
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .collect::<Vec<_>>()
                .join(" ");
            Some(Shown {
                keys,
                what: h.what,
                rank: h.rank,
                does,
            })
        })
        .collect()
}

/// A scroll of a text view (the help, the preview, the full-screen detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Down,
    Up,
    PageDown,
    HalfPageDown,
    PageUp,
    HalfPageUp,
    Top,
    Bottom,
}

const DOWN: Keys = Keys::Mapped(Action::Down, &[KeyCode::Down]);
const UP: Keys = Keys::Mapped(Action::Up, &[KeyCode::Up]);

/// In the sort menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Close,
    Down,
    Up,
    Choose,
    Field(crate::api::SortField),
    /// Back to the server's own order: no sort sent, none applied here.
    AsServed,
}

/// The sort menu's rows: `as served` (`None`), then every field.
pub const SORT_MENU_ROWS: [Option<crate::api::SortField>; 1 + crate::api::SortField::ALL.len()] = {
    let fields = crate::api::SortField::ALL;
    let mut rows = [None; 1 + crate::api::SortField::ALL.len()];
    let mut i = 0;
    while i < fields.len() {
        rows[i + 1] = Some(fields[i]);
        i += 1;
    }
    rows
};

/// The sort menu's row for a sort: `as served` for none.
pub fn sort_menu_row(field: Option<crate::api::SortField>) -> usize {
    SORT_MENU_ROWS
        .iter()
        .position(|row| *row == field)
        .unwrap_or(0)
}

pub const SORT_MENU_KEYS: &Table<SortKey> = {
    use crate::api::SortField as F;
    &[
        Hint {
            keys: &[&[(DOWN, SortKey::Down), (UP, SortKey::Up)]],
            what: "choose",
            rank: 1,
        },
        Hint {
            keys: &[&[(Keys::Fixed(&[KeyCode::Enter]), SortKey::Choose)]],
            what: "sort (again: flip)",
            rank: 2,
        },
        Hint {
            keys: &[
                &[(Keys::Fixed(&[KeyCode::Char('n')]), SortKey::Field(F::Name))],
                &[(Keys::Fixed(&[KeyCode::Char('s')]), SortKey::Field(F::Size))],
                &[(Keys::Fixed(&[KeyCode::Char('t')]), SortKey::Field(F::Type))],
                &[(
                    Keys::Fixed(&[KeyCode::Char('c')]),
                    SortKey::Field(F::Created),
                )],
                &[(
                    Keys::Fixed(&[KeyCode::Char('u')]),
                    SortKey::Field(F::Updated),
                )],
            ],
            what: "by field",
            rank: 3,
        },
        Hint {
            keys: &[&[(Keys::Fixed(&[KeyCode::Char('a')]), SortKey::AsServed)]],
            what: "as served",
            rank: 4,
        },
        Hint {
            keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), SortKey::Close)]],
            what: "close",
            rank: 0,
        },
        Hint {
            keys: &[&[(
                Keys::Fixed(&[KeyCode::Char('o'), KeyCode::Char('q')]),
                SortKey::Close,
            )]],
            what: "",
            rank: 0,
        },
    ]
};

/// In the help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpKey {
    Close,
    Scroll(Scroll),
}

pub const HELP_KEYS: &Table<HelpKey> = &[
    Hint {
        keys: &[
            &[
                (DOWN, HelpKey::Scroll(Scroll::Down)),
                (UP, HelpKey::Scroll(Scroll::Up)),
            ],
            &[
                (
                    Keys::Mapped(Action::PageDown, &[]),
                    HelpKey::Scroll(Scroll::PageDown),
                ),
                (
                    Keys::Mapped(Action::PageUp, &[]),
                    HelpKey::Scroll(Scroll::PageUp),
                ),
            ],
        ],
        what: "scroll",
        rank: 1,
    },
    Hint {
        keys: &[&[
            (
                Keys::Fixed(&[KeyCode::Char('q'), KeyCode::Esc]),
                HelpKey::Close,
            ),
            (Keys::Mapped(Action::Help, &[]), HelpKey::Close),
        ]],
        what: "close",
        rank: 0,
    },
    Hint {
        keys: &[&[(Keys::Mapped(Action::Quit, &[]), HelpKey::Close)]],
        what: "",
        rank: 0,
    },
    Hint {
        keys: &[&[
            (
                Keys::Fixed(&[KeyCode::Char(' ')]),
                HelpKey::Scroll(Scroll::PageDown),
            ),
            (
                Keys::Mapped(Action::HalfPageDown, &[]),
                HelpKey::Scroll(Scroll::HalfPageDown),
            ),
            (
                Keys::Mapped(Action::HalfPageUp, &[]),
                HelpKey::Scroll(Scroll::HalfPageUp),
            ),
            (Keys::Mapped(Action::Top, &[]), HelpKey::Scroll(Scroll::Top)),
            (
                Keys::Mapped(Action::Bottom, &[]),
                HelpKey::Scroll(Scroll::Bottom),
            ),
        ]],
        what: "",
        rank: 0,
    },
];

/// In the full-screen detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKey {
    Close,
    Copy,
    Scroll(Scroll),
}

pub const DETAIL_KEYS: &Table<DetailKey> = &[
    Hint {
        keys: &[&[
            (DOWN, DetailKey::Scroll(Scroll::Down)),
            (UP, DetailKey::Scroll(Scroll::Up)),
        ]],
        what: "scroll",
        rank: 1,
    },
    Hint {
        keys: &[&[
            (
                Keys::Mapped(Action::Top, &[]),
                DetailKey::Scroll(Scroll::Top),
            ),
            (
                Keys::Mapped(Action::Bottom, &[]),
                DetailKey::Scroll(Scroll::Bottom),
            ),
        ]],
        what: "top/end",
        rank: 3,
    },
    Hint {
        keys: &[&[(Keys::Mapped(Action::Copy, &[]), DetailKey::Copy)]],
        what: "copy",
        rank: 2,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), DetailKey::Close)]],
        what: "back",
        rank: 0,
    },
    Hint {
        keys: &[&[
            (
                Keys::Fixed(&[KeyCode::Char('q'), KeyCode::Enter]),
                DetailKey::Close,
            ),
            (
                Keys::Mapped(Action::PageDown, &[]),
                DetailKey::Scroll(Scroll::PageDown),
            ),
            (
                Keys::Mapped(Action::HalfPageDown, &[]),
                DetailKey::Scroll(Scroll::HalfPageDown),
            ),
            (
                Keys::Mapped(Action::PageUp, &[]),
                DetailKey::Scroll(Scroll::PageUp),
            ),
            (
                Keys::Mapped(Action::HalfPageUp, &[]),
                DetailKey::Scroll(Scroll::HalfPageUp),
            ),
        ]],
        what: "",
        rank: 0,
    },
];

/// In the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewKey {
    Close,
    Pager,
    Scroll(Scroll),
    /// Long lines wrapped or cut.
    Wrap,
    /// Lines moved sideways: `true` to the right.
    Sideways(bool),
}

pub const PREVIEW_KEYS: &Table<PreviewKey> = &[
    Hint {
        keys: &[&[
            (DOWN, PreviewKey::Scroll(Scroll::Down)),
            (UP, PreviewKey::Scroll(Scroll::Up)),
        ]],
        what: "scroll",
        rank: 1,
    },
    Hint {
        keys: &[&[
            (
                Keys::Fixed(&[KeyCode::Char(' ')]),
                PreviewKey::Scroll(Scroll::PageDown),
            ),
            (
                Keys::Mapped(Action::PageDown, &[]),
                PreviewKey::Scroll(Scroll::PageDown),
            ),
        ]],
        what: "page",
        rank: 3,
    },
    Hint {
        keys: &[&[
            (
                Keys::Mapped(Action::Top, &[]),
                PreviewKey::Scroll(Scroll::Top),
            ),
            (
                Keys::Mapped(Action::Bottom, &[]),
                PreviewKey::Scroll(Scroll::Bottom),
            ),
        ]],
        what: "top/end",
        rank: 4,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('e')]), PreviewKey::Pager)]],
        what: "$PAGER",
        rank: 2,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('w')]), PreviewKey::Wrap)]],
        what: "wrap",
        rank: 3,
    },
    Hint {
        keys: &[&[
            (
                Keys::Fixed(&[KeyCode::Left, KeyCode::Char('h')]),
                PreviewKey::Sideways(false),
            ),
            (
                Keys::Fixed(&[KeyCode::Right, KeyCode::Char('l')]),
                PreviewKey::Sideways(true),
            ),
        ]],
        what: "sideways",
        rank: 4,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), PreviewKey::Close)]],
        what: "back",
        rank: 0,
    },
    Hint {
        keys: &[&[(
            Keys::Fixed(&[KeyCode::Char('q'), KeyCode::Char('p')]),
            PreviewKey::Close,
        )]],
        what: "",
        rank: 0,
    },
    Hint {
        keys: &[&[
            (
                Keys::Mapped(Action::HalfPageDown, &[]),
                PreviewKey::Scroll(Scroll::PageDown),
            ),
            (
                Keys::Mapped(Action::PageUp, &[]),
                PreviewKey::Scroll(Scroll::PageUp),
            ),
            (
                Keys::Mapped(Action::HalfPageUp, &[]),
                PreviewKey::Scroll(Scroll::PageUp),
            ),
        ]],
        what: "",
        rank: 0,
    },
];

/// In the insight view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsightKey {
    Close,
    SwitchPane,
    Down,
    Up,
    ScanAll,
    Go,
    /// The summary scrolled: `true` down.
    Summary(bool),
}

pub const INSIGHT_KEYS: &Table<InsightKey> = &[
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('a')]), InsightKey::ScanAll)]],
        what: "scan all",
        rank: 1,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Tab]), InsightKey::SwitchPane)]],
        what: "largest/newest",
        rank: 2,
    },
    Hint {
        keys: &[&[(DOWN, InsightKey::Down), (UP, InsightKey::Up)]],
        what: "move",
        rank: 3,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Enter]), InsightKey::Go)]],
        what: "go to the file",
        rank: 2,
    },
    Hint {
        keys: &[&[
            (
                Keys::Mapped(Action::PageDown, &[KeyCode::Char(' ')]),
                InsightKey::Summary(true),
            ),
            (
                Keys::Mapped(Action::PageUp, &[]),
                InsightKey::Summary(false),
            ),
        ]],
        what: "scroll the summary",
        rank: 4,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), InsightKey::Close)]],
        what: "back",
        rank: 0,
    },
    Hint {
        keys: &[&[
            (
                Keys::Fixed(&[KeyCode::Char('q'), KeyCode::Char('i')]),
                InsightKey::Close,
            ),
            (Keys::Fixed(&[KeyCode::BackTab]), InsightKey::SwitchPane),
        ]],
        what: "",
        rank: 0,
    },
];

/// In the transfers panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransfersKey {
    Down,
    Up,
    Details,
    CancelOne,
    CancelAll,
    Hide,
    ToList,
}

pub const TRANSFERS_KEYS: &Table<TransfersKey> = &[
    Hint {
        keys: &[&[(DOWN, TransfersKey::Down), (UP, TransfersKey::Up)]],
        what: "choose",
        rank: 1,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Enter]), TransfersKey::Details)]],
        what: "details",
        rank: 2,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), TransfersKey::CancelOne)]],
        what: "cancel one",
        rank: 3,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('C')]), TransfersKey::CancelAll)]],
        what: "cancel all",
        rank: 4,
    },
    Hint {
        keys: &[&[(Keys::Mapped(Action::Transfers, &[]), TransfersKey::Hide)]],
        what: "hide",
        rank: 0,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Tab]), TransfersKey::ToList)]],
        what: "list",
        rank: 0,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('q')]), TransfersKey::Hide)]],
        what: "",
        rank: 0,
    },
];

/// When some files to download exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistsKey {
    Overwrite,
    KeepBoth,
    Skip,
    Cancel,
}

pub const EXISTS_KEYS: &Table<ExistsKey> = &[
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('o')]), ExistsKey::Overwrite)]],
        what: "overwrite",
        rank: 1,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('k')]), ExistsKey::KeepBoth)]],
        what: "keep both",
        rank: 1,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('s')]), ExistsKey::Skip)]],
        what: "skip",
        rank: 1,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), ExistsKey::Cancel)]],
        what: "cancel",
        rank: 0,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Char('q')]), ExistsKey::Cancel)]],
        what: "",
        rank: 0,
    },
];

/// In a prompt (the filter bar, `:`, a directory, a path, a confirmation): what is not one of
/// these is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKey {
    Accept,
    Cancel,
}

pub const PROMPT_KEYS: &Table<PromptKey> = &[
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Enter]), PromptKey::Accept)]],
        what: "ok",
        rank: 0,
    },
    Hint {
        keys: &[&[(Keys::Fixed(&[KeyCode::Esc]), PromptKey::Cancel)]],
        what: "cancel",
        rank: 0,
    },
];
