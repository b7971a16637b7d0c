//! The key map of the list view: one table that the key handler, the help overlay and the docs
//! test all read, so they cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key in the list view asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Suspend,
    Down,
    Up,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    Top,
    Bottom,
    JumpPrompt,
    Filter,
    ClearFilter,
    CycleSort,
    FlipSort,
    SortMenu,
    SwitchFocus,
    OpenDetail,
    Help,
    Reload,
    LoadAll,
    ScopeUp,
}

/// One key, with the modifiers that must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn plain(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

pub struct Binding {
    /// How the keys are written in the help and in docs/KEYS.md.
    pub label: &'static str,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

/// The list view's keys, in the order the help shows them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        label: "j ↓",
        keys: &[plain('j'), code(KeyCode::Down)],
        action: Action::Down,
        help: "next row",
    },
    Binding {
        label: "k ↑",
        keys: &[plain('k'), code(KeyCode::Up)],
        action: Action::Up,
        help: "previous row",
    },
    Binding {
        label: "Ctrl-d",
        keys: &[ctrl('d')],
        action: Action::HalfPageDown,
        help: "half a screen down",
    },
    Binding {
        label: "Ctrl-u",
        keys: &[ctrl('u')],
        action: Action::HalfPageUp,
        help: "half a screen up",
    },
    Binding {
        label: "PgDn Ctrl-f",
        keys: &[code(KeyCode::PageDown), ctrl('f')],
        action: Action::PageDown,
        help: "a screen down",
    },
    Binding {
        label: "PgUp Ctrl-b",
        keys: &[code(KeyCode::PageUp), ctrl('b')],
        action: Action::PageUp,
        help: "a screen up",
    },
    Binding {
        label: "g Home",
        keys: &[plain('g'), code(KeyCode::Home)],
        action: Action::Top,
        help: "first row",
    },
    Binding {
        label: "G End",
        keys: &[plain('G'), code(KeyCode::End)],
        action: Action::Bottom,
        help: "last row (fetches only that page)",
    },
    Binding {
        label: ":",
        keys: &[plain(':')],
        action: Action::JumpPrompt,
        help: "jump to a row number or a percentage (:5000, :50%)",
    },
    Binding {
        label: "/",
        keys: &[plain('/')],
        action: Action::Filter,
        help: "filter (server-side search); Enter keeps it, Esc clears it",
    },
    Binding {
        label: "Esc",
        keys: &[code(KeyCode::Esc)],
        action: Action::ClearFilter,
        help: "clear the filter",
    },
    Binding {
        label: "s",
        keys: &[plain('s')],
        action: Action::CycleSort,
        help: "sort by the next field",
    },
    Binding {
        label: "S",
        keys: &[plain('S')],
        action: Action::FlipSort,
        help: "flip the sort direction",
    },
    Binding {
        label: "o",
        keys: &[plain('o')],
        action: Action::SortMenu,
        help: "sort menu",
    },
    Binding {
        label: "Tab",
        keys: &[code(KeyCode::Tab), code(KeyCode::BackTab)],
        action: Action::SwitchFocus,
        help: "focus: list, detail, folders/contexts",
    },
    Binding {
        label: "Enter",
        keys: &[code(KeyCode::Enter)],
        action: Action::OpenDetail,
        help: "open the detail full-screen; in the folder pane, enter",
    },
    Binding {
        label: "Backspace h",
        keys: &[code(KeyCode::Backspace), plain('h')],
        action: Action::ScopeUp,
        help: "up a folder, or back to all contexts",
    },
    Binding {
        label: "R",
        keys: &[plain('R')],
        action: Action::Reload,
        help: "reload, keeping the position",
    },
    Binding {
        label: "L",
        keys: &[plain('L')],
        action: Action::LoadAll,
        help: "load every page, to sort or filter all locally",
    },
    Binding {
        label: "?",
        keys: &[plain('?')],
        action: Action::Help,
        help: "this help",
    },
    Binding {
        label: "Ctrl-z",
        keys: &[ctrl('z')],
        action: Action::Suspend,
        help: "suspend to the shell (fg resumes)",
    },
    Binding {
        label: "q Ctrl-c",
        keys: &[plain('q'), ctrl('c')],
        action: Action::Quit,
        help: "quit",
    },
];

/// Keys of the other views, for the help overlay and the docs.
pub const OTHER_KEYS: &[(&str, &str)] = &[
    ("detail: j k ↑ ↓ PgUp PgDn g G", "scroll the detail"),
    ("detail: Esc q Enter", "back to the list"),
    (
        "sort menu: j k Enter",
        "choose a field (again flips the direction)",
    ),
    (
        "sort menu: n s t c u",
        "sort by name, size, type, created, updated",
    ),
    ("filter, jump: Enter Esc", "apply, cancel"),
];

/// The list-view action bound to a key press, if any.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    // Terminals report Shift with upper-case letters and symbols inconsistently: match on the
    // character alone for those, and on exact modifiers for everything else.
    let mods = match key.code {
        KeyCode::Char(_) => key.modifiers - KeyModifiers::SHIFT,
        _ => key.modifiers,
    };
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.code == key.code && k.mods == mods))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(
            action_for(&key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('d'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn no_key_is_bound_twice() {
        let all: Vec<Key> = BINDINGS
            .iter()
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for (i, a) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(a), "{a:?} is bound twice");
        }
    }

    #[test]
    fn keys_doc_lists_every_binding() {
        let doc = include_str!("../../docs/KEYS.md");
        for b in BINDINGS {
            assert!(
                doc.contains(&format!("`{}`", b.label)),
                "docs/KEYS.md misses `{}`",
                b.label
            );
        }
        for (label, _) in OTHER_KEYS {
            assert!(doc.contains(label), "docs/KEYS.md misses {label}");
        }
    }
}
