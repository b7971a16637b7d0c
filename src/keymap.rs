//! The key map of the list view. The defaults are a TOML asset (`keys.toml`) compiled in; a
//! `[keys]` table in the configuration file replaces the keys of the actions it names. The
//! key handler, the help overlay and the docs test all read the same map, so they cannot
//! drift apart.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The default key map, as shipped.
pub const DEFAULT_KEYS: &str = include_str!("keys.toml");

/// What a key in the list view asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Down,
    Up,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    Top,
    Bottom,
    ScreenTop,
    ScreenMiddle,
    ScreenBottom,
    JumpPrompt,
    Filter,
    NextMatch,
    PrevMatch,
    ClearFilter,
    CycleSort,
    FlipSort,
    SortMenu,
    SwitchFocus,
    OpenDetail,
    EnterFolder,
    ScopeUp,
    Reload,
    LoadAll,
    Insight,
    Versions,
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
    Help,
    Suspend,
    Quit,
}

impl Action {
    /// Every action, in the order the help lists them.
    pub const ALL: [Action; 40] = [
        Action::Down,
        Action::Up,
        Action::HalfPageDown,
        Action::HalfPageUp,
        Action::PageDown,
        Action::PageUp,
        Action::Top,
        Action::Bottom,
        Action::ScreenTop,
        Action::ScreenMiddle,
        Action::ScreenBottom,
        Action::JumpPrompt,
        Action::Filter,
        Action::NextMatch,
        Action::PrevMatch,
        Action::ClearFilter,
        Action::CycleSort,
        Action::FlipSort,
        Action::SortMenu,
        Action::SwitchFocus,
        Action::OpenDetail,
        Action::EnterFolder,
        Action::ScopeUp,
        Action::Reload,
        Action::LoadAll,
        Action::Insight,
        Action::Versions,
        Action::Copy,
        Action::Download,
        Action::Mark,
        Action::MarkRange,
        Action::InvertMarks,
        Action::Transfers,
        Action::Preview,
        Action::OpenLink,
        Action::Export,
        Action::Delete,
        Action::Help,
        Action::Suspend,
        Action::Quit,
    ];

    /// The name used in `keys.toml` and the configuration file.
    pub fn name(self) -> &'static str {
        match self {
            Action::Down => "down",
            Action::Up => "up",
            Action::HalfPageDown => "half_page_down",
            Action::HalfPageUp => "half_page_up",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::ScreenTop => "screen_top",
            Action::ScreenMiddle => "screen_middle",
            Action::ScreenBottom => "screen_bottom",
            Action::JumpPrompt => "jump",
            Action::Filter => "filter",
            Action::NextMatch => "next_match",
            Action::PrevMatch => "prev_match",
            Action::ClearFilter => "clear_filter",
            Action::CycleSort => "cycle_sort",
            Action::FlipSort => "flip_sort",
            Action::SortMenu => "sort_menu",
            Action::SwitchFocus => "switch_focus",
            Action::OpenDetail => "open_detail",
            Action::EnterFolder => "enter_folder",
            Action::ScopeUp => "scope_up",
            Action::Reload => "reload",
            Action::LoadAll => "load_all",
            Action::Insight => "insight",
            Action::Versions => "versions",
            Action::Copy => "copy",
            Action::Download => "download",
            Action::Mark => "mark",
            Action::MarkRange => "mark_range",
            Action::InvertMarks => "invert_marks",
            Action::Transfers => "transfers",
            Action::Preview => "preview",
            Action::OpenLink => "open_link",
            Action::Export => "export",
            Action::Delete => "delete",
            Action::Help => "help",
            Action::Suspend => "suspend",
            Action::Quit => "quit",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Action::Down => "next row (5j: five rows)",
            Action::Up => "previous row (5k: five rows)",
            Action::HalfPageDown => "half a screen down (3Ctrl-d: three times)",
            Action::HalfPageUp => "half a screen up",
            Action::PageDown => "a screen down",
            Action::PageUp => "a screen up",
            Action::Top => "first row (10g or 10gg: row 10)",
            Action::Bottom => "last row (10G: row 10); walks where read in order",
            Action::ScreenTop => "top row of the screen",
            Action::ScreenMiddle => "middle row of the screen",
            Action::ScreenBottom => "bottom row of the screen",
            Action::JumpPrompt => "jump to a row or a percentage (:5000, :50%)",
            Action::Filter => "filter: text and terms (type:image size>1MB)",
            Action::NextMatch => "next loaded row matching the filter text",
            Action::PrevMatch => "previous loaded row matching the filter text",
            Action::ClearFilter => "clear the filter, then the marks; stops A",
            Action::CycleSort => "sort by the next field",
            Action::FlipSort => "flip the sort direction",
            Action::SortMenu => "sort menu",
            Action::SwitchFocus => "focus: list, detail, folders/contexts",
            Action::OpenDetail => "open the detail full-screen; in the folder pane, enter",
            Action::EnterFolder => "into the folder, as Enter (on a file: its detail)",
            Action::ScopeUp => "up a folder, or back to all contexts",
            Action::Reload => "reload, keeping the position",
            Action::LoadAll => "load every page, to sort or filter all locally (Esc stops)",
            Action::Insight => "insight: what the listing holds (a scans it all)",
            Action::Versions => "versions of the key (on a folder: of the folder); Backspace back",
            Action::Copy => "copy id, name, link, JSON, curl… (a menu)",
            Action::Download => "download the marked or selected files",
            Action::Mark => "mark or unmark, then next row (10 Space: ten)",
            Action::MarkRange => "mark a range: moves extend it, V keeps, Esc drops",
            Action::InvertMarks => "invert the marks over loaded rows",
            Action::Transfers => "focus the transfers panel; again: hide it",
            Action::Preview => "preview the text (e: $PAGER)",
            Action::OpenLink => "open the link (over SSH: show it)",
            Action::Export => "export the view or marks (ndjson, csv, json)",
            Action::Delete => "delete (only with allow_delete)",
            Action::Help => "this help",
            Action::Suspend => "suspend to the shell (fg resumes)",
            Action::Quit => "quit",
        }
    }

    fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One key, with the modifiers that must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const NAMED: [(&str, KeyCode, &str); 15] = [
    ("down", KeyCode::Down, "↓"),
    ("up", KeyCode::Up, "↑"),
    ("left", KeyCode::Left, "←"),
    ("right", KeyCode::Right, "→"),
    ("pgdn", KeyCode::PageDown, "PgDn"),
    ("pgup", KeyCode::PageUp, "PgUp"),
    ("home", KeyCode::Home, "Home"),
    ("end", KeyCode::End, "End"),
    ("tab", KeyCode::Tab, "Tab"),
    ("shift-tab", KeyCode::BackTab, "Shift-Tab"),
    ("enter", KeyCode::Enter, "Enter"),
    ("esc", KeyCode::Esc, "Esc"),
    ("backspace", KeyCode::Backspace, "Backspace"),
    ("delete", KeyCode::Delete, "Delete"),
    ("space", KeyCode::Char(' '), "Space"),
];

impl Key {
    /// Reads a key name: `j`, `G`, `?`, `ctrl-d`, `pgdn`, `shift-tab`, `f5`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let bad = || {
            format!(
                "{text:?} is not a key; use a character (\"j\", \"G\", \"?\"), ctrl-x, or one of {}, f1 … f12",
                NAMED.map(|(n, _, _)| n).join(", ")
            )
        };
        let (mods, rest) = match text.strip_prefix("ctrl-") {
            Some(rest) if !rest.is_empty() => (KeyModifiers::CONTROL, rest),
            _ => (KeyModifiers::NONE, text),
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code, _)) = NAMED.iter().find(|(n, _, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
                    && (1..=12).contains(&n)
                {
                    KeyCode::F(n)
                } else {
                    return Err(bad());
                }
            }
        };
        Ok(Key { code, mods })
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        // Terminals report Shift with upper-case letters and symbols inconsistently: match on
        // the character alone for those, and on exact modifiers for everything else.
        let mods = match event.code {
            KeyCode::Char(_) => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.code == event.code && self.mods == mods
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyCode::Char(c) if c != ' ' => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => {
                let label = NAMED
                    .iter()
                    .find(|(_, c, _)| *c == code)
                    .map_or("?", |(_, _, label)| label);
                f.write_str(label)
            }
        }
    }
}

/// Which keys do what in the list view.
#[derive(Debug, Clone)]
pub struct KeyMap {
    /// Every action with its keys, in [`Action::ALL`] order.
    bindings: Vec<(Action, Vec<Key>)>,
    /// Keys the user's bindings took from default actions, said once at start.
    notices: Vec<String>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::from_toml(DEFAULT_KEYS).expect("the shipped keys.toml is valid (tested)")
    }
}

impl KeyMap {
    fn from_toml(text: &str) -> Result<KeyMap, String> {
        let table: BTreeMap<String, Vec<String>> =
            toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut map = KeyMap {
            bindings: Action::ALL.iter().map(|a| (*a, Vec::new())).collect(),
            notices: Vec::new(),
        };
        map.apply(&table)?;
        if let Some((action, _)) = map.bindings.iter().find(|(_, keys)| keys.is_empty()) {
            return Err(format!("no key for {}", action.name()));
        }
        Ok(map)
    }

    /// The defaults with `overrides` (action name → key names) replacing the keys of the
    /// actions they name. A key the user gives one action is taken from the default action
    /// that had it (said in [`KeyMap::notices`]), so a configuration written before a new
    /// default key keeps working. Errors name the action or key, and a key the user gave to
    /// two actions.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        map.apply(overrides)?;
        Ok(map)
    }

    fn apply(&mut self, table: &BTreeMap<String, Vec<String>>) -> Result<(), String> {
        let mut given = Vec::new();
        for (name, keys) in table {
            let action = Action::parse(name).ok_or_else(|| {
                format!(
                    "unknown action {name:?}; actions: {}",
                    Action::ALL.map(Action::name).join(", ")
                )
            })?;
            let keys = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("{name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(format!("{name}: give at least one key"));
            }
            if let Some(slot) = self.bindings.iter_mut().find(|(a, _)| *a == action) {
                slot.1 = keys;
            }
            given.push(action);
        }
        // A key given twice in the same table would make one of its actions unreachable.
        for (i, (a, keys)) in self.bindings.iter().enumerate() {
            for (b, other) in &self.bindings[i + 1..] {
                if !(given.contains(a) && given.contains(b)) {
                    continue;
                }
                if let Some(key) = keys.iter().find(|k| other.contains(k)) {
                    return Err(format!(
                        "{key} is bound to both {} and {}",
                        a.name(),
                        b.name()
                    ));
                }
            }
        }
        // A key given here wins over the default of another action, which loses it.
        let taken: Vec<(Action, Key)> = self
            .bindings
            .iter()
            .filter(|(a, _)| given.contains(a))
            .flat_map(|(a, keys)| keys.iter().map(move |k| (*a, *k)))
            .collect();
        for (action, keys) in &mut self.bindings {
            if given.contains(action) {
                continue;
            }
            for (by, key) in &taken {
                if let Some(at) = keys.iter().position(|k| k == key) {
                    keys.remove(at);
                    let rest = if keys.is_empty() {
                        "has no key now (give it one under [keys])".to_string()
                    } else {
                        format!(
                            "keeps {}",
                            keys.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    };
                    self.notices.push(format!(
                        "keys: your {key} for {} takes it from {}, which {rest}",
                        by.name(),
                        action.name()
                    ));
                }
            }
        }
        Ok(())
    }

    /// What the configuration's `[keys]` took from default actions, one line each.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The action bound to a key press, if any.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.iter().any(|k| k.matches(event)))
            .map(|(action, _)| *action)
    }

    /// How an action's keys are written in the help and the docs: `PgDn Ctrl-f`.
    pub fn label(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, keys)| {
                keys.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    /// The first key of an action, as hints name it: `L`, `Ctrl-d`.
    pub fn key(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| keys.first())
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// `(label, help)` for every action, in help order.
    pub fn entries(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .map(|a| (self.label(*a), a.help()))
            .collect()
    }
}

/// Keys of the other views (and of the list outside the key map), for the help overlay and
/// the docs: each label is a row of docs/KEYS.md's "Other views", word for word.
pub const OTHER_KEYS: &[(&str, &str)] = &[
    ("counts: 5j 10G 10gg 3Ctrl-d", "a number before a motion"),
    ("detail: j k ↑ ↓ PgUp PgDn g G", "scroll the detail"),
    ("detail: y", "copy from the record shown"),
    ("detail: Esc q Enter", "back to the list"),
    ("sort menu: j k Enter", "choose a field (again flips it)"),
    (
        "sort menu: a n s t c u",
        "as served, name, size, type, created, updated",
    ),
    ("filter: Enter Esc", "keep; cancel the edit (filter stays)"),
    ("filter: ↑", "recall the last filter (opens empty)"),
    ("jump: Enter Esc", "go; cancel"),
    ("Ctrl-c", "stop a walk or A, close; else quit"),
    (
        "insight: a Tab j k Enter",
        "scan all, switch, move, go to file",
    ),
    (
        "insight: PgDn Space PgUp",
        "scroll the summary where the screen is too short",
    ),
    ("insight: Esc q i", "back to the list (stops a scan)"),
    ("transfers: j k ↑ ↓", "choose a download"),
    ("transfers: Enter", "the chosen download whole (why)"),
    ("transfers: Esc", "cancel the chosen download"),
    ("transfers: C", "cancel every running download"),
    ("transfers: t q Tab", "hide; Tab: keys back to the list"),
    (
        "file exists: o k s Esc",
        "overwrite, keep both, skip, cancel",
    ),
    ("preview: j k PgUp PgDn g G Space", "scroll"),
    ("preview: e", "open in $PAGER"),
    ("preview: w", "wrap long lines (again: cut them)"),
    ("preview: → l / ← h", "scroll cut lines sideways"),
    ("preview: Esc q p", "back to the list"),
    ("help: j k PgUp PgDn Space g G", "scroll"),
    ("help: q Esc ?", "close"),
    ("shown value: any key", "close (select it first)"),
    ("mouse: wheel", "scroll the pane under the pointer"),
    (
        "mouse: click, double-click",
        "select a row; open its detail",
    ),
    (
        "mouse: click a column's title",
        "sort by it; again, the other way",
    ),
    ("mouse: Shift-drag", "select text by hand"),
];

/// How the help shows an action that has no key (a `[keys]` binding took its only one).
pub const NO_KEY: &str = "(no key)";

/// Every line of the help, as `(keys, what they do)`: the list's actions with the keys in
/// force, a blank line, then [`OTHER_KEYS`]. The views lay them out; the state scrolls
/// through [`help_line_count`] of them.
pub fn help_rows(map: &KeyMap) -> Vec<(String, &'static str)> {
    let mut rows: Vec<(String, &'static str)> = map
        .entries()
        .into_iter()
        .map(|(keys, what)| {
            // An action a `[keys]` binding left without a key is still listed, and says so:
            // a row with no keys is the line between the two tables.
            let keys = if keys.is_empty() {
                NO_KEY.to_string()
            } else {
                keys
            };
            (keys, what)
        })
        .collect();
    rows.push((String::new(), ""));
    rows.extend(OTHER_KEYS.iter().map(|(k, h)| (k.to_string(), *h)));
    rows
}

/// How many lines the help has (whatever the keys in force).
pub fn help_line_count() -> usize {
    Action::ALL.len() + 1 + OTHER_KEYS.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn the_shipped_map_parses_and_binds_every_action() {
        let map = KeyMap::from_toml(DEFAULT_KEYS).unwrap();
        for action in Action::ALL {
            assert!(!map.label(action).is_empty(), "{action:?}");
        }
    }

    #[test]
    fn keys_map_to_actions() {
        let map = KeyMap::default();
        let cases = [
            (KeyCode::Char('j'), KeyModifiers::NONE, Some(Action::Down)),
            (
                KeyCode::Char('G'),
                KeyModifiers::SHIFT,
                Some(Action::Bottom),
            ),
            (KeyCode::Char('?'), KeyModifiers::SHIFT, Some(Action::Help)),
            (
                KeyCode::Char('d'),
                KeyModifiers::CONTROL,
                Some(Action::HalfPageDown),
            ),
            (
                KeyCode::Char('d'),
                KeyModifiers::NONE,
                Some(Action::Download),
            ),
            (KeyCode::Char('z'), KeyModifiers::NONE, None),
            (
                KeyCode::Char('c'),
                KeyModifiers::CONTROL,
                Some(Action::Quit),
            ),
            (KeyCode::BackTab, KeyModifiers::SHIFT, None),
            (
                KeyCode::BackTab,
                KeyModifiers::NONE,
                Some(Action::SwitchFocus),
            ),
        ];
        for (code, mods, want) in cases {
            assert_eq!(map.action_for(&key(code, mods)), want, "{code:?} {mods:?}");
        }
    }

    #[test]
    fn labels_read_as_people_write_keys() {
        let map = KeyMap::default();
        assert_eq!(map.label(Action::PageDown), "PgDn Ctrl-f");
        assert_eq!(map.label(Action::Down), "j ↓");
        assert_eq!(map.label(Action::SwitchFocus), "Tab Shift-Tab");
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let overrides = BTreeMap::from([
            ("quit".to_string(), vec!["ctrl-q".to_string()]),
            (
                "down".to_string(),
                vec!["n".to_string(), "down".to_string()],
            ),
        ]);
        let map = KeyMap::with_overrides(&overrides).unwrap();
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&q), None);
        let ctrl_q = key(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(map.action_for(&ctrl_q), Some(Action::Quit));
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&n), Some(Action::Down));
        assert_eq!(map.label(Action::Quit), "Ctrl-q");
    }

    #[test]
    fn bad_overrides_are_named() {
        let one = |action: &str, keys: &[&str]| {
            let table = BTreeMap::from([(
                action.to_string(),
                keys.iter().map(|k| k.to_string()).collect(),
            )]);
            KeyMap::with_overrides(&table).unwrap_err()
        };
        assert!(one("fly", &["x"]).starts_with("unknown action \"fly\"; actions: down, up"));
        assert!(one("quit", &["hyper-x"]).starts_with("quit: \"hyper-x\" is not a key"));
        assert_eq!(one("quit", &[]), "quit: give at least one key");
        // The same key given to two actions in [keys] is an error.
        let twice = BTreeMap::from([
            ("quit".to_string(), vec!["x".to_string()]),
            ("down".to_string(), vec!["x".to_string()]),
        ]);
        assert_eq!(
            KeyMap::with_overrides(&twice).unwrap_err(),
            "x is bound to both down and quit"
        );
    }

    /// A configuration written before a key became a default keeps working: its binding
    /// takes the key from the new default action, with a notice.
    #[test]
    fn a_users_key_wins_over_a_new_default_with_a_notice() {
        let table = BTreeMap::from([(
            "down".to_string(),
            vec!["j".to_string(), "down".to_string(), "n".to_string()],
        )]);
        let map = KeyMap::with_overrides(&table).unwrap();
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&n), Some(Action::Down));
        assert_eq!(map.label(Action::NextMatch), "");
        assert_eq!(
            map.notices(),
            [
                "keys: your n for down takes it from next_match, which has no key now (give it one under [keys])"
            ]
        );
        let table = BTreeMap::from([("quit".to_string(), vec!["j".to_string()])]);
        let map = KeyMap::with_overrides(&table).unwrap();
        assert_eq!(map.label(Action::Down), "↓");
        assert_eq!(
            map.notices(),
            ["keys: your j for quit takes it from down, which keeps ↓"]
        );
        assert!(KeyMap::default().notices().is_empty());
    }

    #[test]
    fn keys_doc_lists_every_binding() {
        let doc = include_str!("../docs/KEYS.md");
        for (label, _) in KeyMap::default().entries() {
            assert!(
                doc.contains(&format!("`{label}`")),
                "docs/KEYS.md misses `{label}`"
            );
        }
        for (label, _) in OTHER_KEYS {
            assert!(doc.contains(label), "docs/KEYS.md misses {label}");
        }
    }
}
