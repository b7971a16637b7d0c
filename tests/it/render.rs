//! Render tests: the real views drawn on ratatui's TestBackend, compared line by line.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::time::Instant;

use common::{app_showing, dialect_app_showing, render, showing_with};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use filescope::app::actions::PreviewData;
use filescope::app::{App, FileMsg, ListingMsg, Msg};
use filescope::app::{FileEffect, ScopesGeneration};
use filescope::config::{Column, Settings, Theme};

fn press(app: &mut App, code: KeyCode) {
    app.update(
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        Instant::now(),
    );
}

/// Filters the list by `text` as the keys do: `/`, the text, Enter.
fn filter_by(app: &mut App, text: &str) {
    press(app, KeyCode::Char('/'));
    type_text(app, text);
    press(app, KeyCode::Enter);
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

const NAMES: [&str; 4] = [
    "2024-q1-master.pdf",
    "site-visit.jpg",
    "報告書.pdf",
    "notes.txt",
];

/// The text of columns `from..from + width` of a screen line (wide characters take two).
fn columns(line: &str, from: usize, width: usize) -> String {
    let mut at = 0;
    let mut out = String::new();
    for c in line.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if at >= from && at + w <= from + width {
            out.push(c);
        }
        at += w;
    }
    out
}

fn show(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l:?}\n")).collect()
}

fn assert_screen(actual: &[String], expected: &[&str]) {
    let trimmed: Vec<&str> = actual.iter().map(|l| l.trim_end()).collect();
    assert_eq!(trimmed, expected, "screen was:\n{}", show(actual));
}

#[test]
fn list_with_header_columns_and_footer() {
    let app = app_showing(&NAMES, 4, 90, 7);
    assert_screen(
        &render(&app, 90, 7),
        &[
            " filescope  test (filejar) · Northwind Labs                   row 1 of 4 · sort created ↓",
            "Name                                                Size Type             Created ↓",
            "2024-q1-master.pdf                                   0 B application/pdf  2024-03-02 09:14",
            "site-visit.jpg                                    1000 B application/pdf  2024-03-02 09:15",
            "報告書.pdf                                       2.0 KiB application/pdf  2024-03-02 09:16",
            "notes.txt                                        2.9 KiB application/pdf  2024-03-02 09:17",
            " Enter detail · j/k move · Space mark · d download · p preview · i stats · ? help · q quit",
        ],
    );
}

#[test]
fn placeholders_while_a_page_loads_and_the_count() {
    let mut app = app_showing(&NAMES, 1_234, 90, 7);
    press(&mut app, KeyCode::Char('G'));
    let screen = render(&app, 90, 7);
    assert!(
        screen[0].contains("row 1,234 of 1,234"),
        "{}",
        show(&screen)
    );
    assert!(
        screen[0].contains('⠋'),
        "spinner while loading: {}",
        show(&screen)
    );
    assert_eq!(screen[5].trim_end(), "…");
}

#[test]
fn filter_bar_shows_what_is_typed_with_the_cursor() {
    let mut app = app_showing(&NAMES, 4, 90, 7);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "rep");
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(90, 7)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
    let screen = common::screen_lines(&terminal);
    assert!(screen[6].starts_with("/rep "), "{}", screen[6]);
    assert!(
        screen[6]
            .trim_end()
            .ends_with("Esc cancel · ↑ last · Ctrl-u clear"),
        "{}",
        screen[6]
    );
    terminal.backend_mut().assert_cursor_position((4, 6));
}

#[test]
fn active_sort_and_filter_in_the_header() {
    let mut app = app_showing(&NAMES, 4, 100, 7);
    filter_by(&mut app, "q1");
    press(&mut app, KeyCode::Char('S'));
    let screen = render(&app, 100, 7);
    assert!(
        screen[0].ends_with("sort created ↑ · filter \"q1\" "),
        "{}",
        show(&screen)
    );
}

#[test]
fn detail_pane_beside_the_list_on_wide_screens() {
    let app = app_showing(&NAMES, 4, 120, 14);
    assert_screen(
        &render(&app, 120, 14),
        &[
            " filescope  test (filejar) · Northwind Labs                                                 row 1 of 4 · sort created ↓",
            "Name                             Size Type             Created ↓        ┌ Detail ──────────────────────────────────────┐",
            "2024-q1-master.pdf                0 B application/pdf  2024-03-02 09:14 │Name      2024-q1-master.pdf                  │",
            "site-visit.jpg                 1000 B application/pdf  2024-03-02 09:15 │ID        id-0                                │",
            "報告書.pdf                    2.0 KiB application/pdf  2024-03-02 09:16 │Size      0 B (0 bytes)                       │",
            "notes.txt                     2.9 KiB application/pdf  2024-03-02 09:17 │Type      application/pdf                     │",
            "                                                                        │Created   2024-03-02T09:14:00Z                │",
            "                                                                        │Updated   2024-03-02T09:14:00Z                │",
            "                                                                        │URL       https://cdn.example.test/0          │",
            "                                                                        │                                              │",
            "                                                                        │Raw JSON                                      │",
            "                                                                        │{                                             │",
            "                                                                        └──────────────────────────────────────────────┘",
            " Enter detail · j/k move · / filter · Tab detail · Space mark · d download · p preview · i stats · ? help · q quit",
        ],
    );
}

#[test]
fn full_screen_detail_scrolls_to_the_raw_json() {
    let mut app = app_showing(&NAMES, 4, 60, 12);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('G'));
    assert_screen(
        &render(&app, 60, 12),
        &[
            "test (filejar) · Northwind Labs row 1 of 4 · sort created ↓",
            " Detail (Esc returns) ──────────────────────────────────────",
            "Updated   2024-03-02T09:14:00Z",
            "URL       https://cdn.example.test/0",
            "",
            "Raw JSON",
            "{",
            "  \"file_name\": \"2024-q1-master.pdf\",",
            "  \"id\": \"id-0\",",
            "  \"size\": 0",
            "}",
            " j/k scroll · g/G top/end · y copy · Esc back",
        ],
    );
}

/// Every row of docs/KEYS.md's two tables — the list's keys and those of the other views,
/// outside the key map too — is a line of the help, found by scrolling it to its end; so is
/// what each bound key does.
#[test]
fn help_lists_every_key() {
    let doc = include_str!("../../docs/KEYS.md");
    let rows: Vec<String> = doc
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| key"))
        .map(|l| {
            l.split('|')
                .nth(1)
                .unwrap()
                .trim()
                .trim_matches('`')
                .to_string()
        })
        .collect();
    assert!(rows.len() > 60, "the tables were read: {rows:?}");
    let mut app = app_showing(&NAMES, 4, 100, 30);
    press(&mut app, KeyCode::Char('?'));
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..20 {
        let screen = render(&app, 100, 30);
        assert!(
            screen.iter().any(|l| l.contains("q/Esc/? close")),
            "{}",
            show(&screen)
        );
        // The lines inside the help's box (the list and the detail pane are around it).
        let top = screen.iter().position(|l| l.contains("┌ Keys")).unwrap();
        let left = screen[top].chars().position(|c| c == '┌').unwrap();
        let width = screen[top]
            .chars()
            .skip(left + 1)
            .take_while(|c| *c != '┐')
            .count();
        for line in &screen[top + 1..] {
            let inside = columns(line, left, width + 1);
            if inside.starts_with('└') {
                break;
            }
            seen.push(inside.trim_start_matches('│').trim().to_string());
        }
        if !screen.iter().any(|l| l.contains("more below")) {
            break;
        }
        press(&mut app, KeyCode::PageDown);
    }
    for row in &rows {
        assert!(
            seen.iter().any(|l| l.starts_with(row.as_str())),
            "the help misses {row:?} in {seen:#?}"
        );
    }
    for (label, help) in app.settings().keymap.entries() {
        let start: String = help.chars().take(30).collect();
        assert!(
            seen.iter()
                .any(|l| l.starts_with(&label) && l.contains(&start)),
            "the help misses {label} {help}"
        );
    }
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.mode(), filescope::app::Mode::List);
}

#[test]
fn sort_menu_marks_the_current_field() {
    let mut app = app_showing(&NAMES, 4, 80, 14);
    press(&mut app, KeyCode::Char('o'));
    let screen = render(&app, 80, 14);
    let menu: Vec<&str> = screen
        .iter()
        .filter(|l| l.contains('│'))
        .map(|l| l.trim())
        .collect();
    assert!(
        screen.iter().any(|l| l.contains("Sort by")),
        "{}",
        show(&screen)
    );
    assert!(
        menu.iter().any(|l| l.contains("created ↓")),
        "{}",
        show(&screen)
    );
    // Issue 27, expected 8: the server's own order can be chosen again, on the first row.
    assert!(
        menu.iter().any(|l| l.contains(" as served")),
        "{}",
        show(&screen)
    );
    assert!(
        menu.iter().any(|l| l.contains(" name ")),
        "{}",
        show(&screen)
    );
}

#[test]
fn a_20x6_terminal_still_shows_rows() {
    let app = app_showing(&NAMES, 4, 20, 6);
    assert_screen(
        &render(&app, 20, 6),
        &[
            "test     row 1 of 4",
            "Name",
            "2024-q1-master.pdf",
            "site-visit.jpg",
            "報告書.pdf",
            " ? help · q quit",
        ],
    );
}

#[test]
fn any_size_down_to_nothing_draws_without_panicking() {
    let mut app = app_showing(&NAMES, 4, 20, 6);
    for (w, h) in [(1, 1), (0, 0), (1, 40), (200, 1), (3, 3), (2, 2), (250, 80)] {
        app.update(
            Msg::Resize {
                width: w,
                height: h,
            },
            Instant::now(),
        );
        render(&app, w.max(1), h.max(1));
        press(&mut app, KeyCode::Char('?'));
        render(&app, w.max(1), h.max(1));
        press(&mut app, KeyCode::Char('?'));
        press(&mut app, KeyCode::Enter);
        render(&app, w.max(1), h.max(1));
        press(&mut app, KeyCode::Esc);
    }
}

#[test]
fn hostile_names_are_drawn_as_visible_escapes() {
    let hostile = [
        "\u{1b}[31mred\u{1b}[0m.txt",
        "\u{1b}]52;c;ZXZpbA==\u{7}clip.txt",
        "invoice\u{202e}fdp.exe",
        "line\none\r\ttab.txt",
        "c1\u{9b}31m.txt",
    ];
    let app = app_showing(&hostile, hostile.len(), 130, 30);
    let screen = render(&app, 130, 30);
    let text = screen.join("\n");
    assert!(text.contains("\\x1b[31mred\\x1b[0m.txt"), "{text}");
    assert!(text.contains("\\x1b]52;c;ZXZpbA==\\x07clip.txt"), "{text}");
    assert!(text.contains("invoice\\u{202e}fdp.exe"), "{text}");
    assert!(text.contains("line\\none\\r\\ttab.txt"), "{text}");
    for line in &screen {
        assert!(
            !line
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "raw control character in {line:?}"
        );
    }
}

#[test]
fn the_folder_pane_and_the_breadcrumb() {
    use filescope::api::dialect::{Scope, ScopePage};
    let mut app = dialect_app_showing("astracollab", &NAMES, 4, 150, 8);
    let folder = |id: &str, name: &str| Scope {
        id: id.into(),
        name: name.into(),
        note: Some("12 files".into()),
        ..Default::default()
    };
    // The scope generation starts at 1 for the first listing of the root.
    app.update(
        Msg::Listing(ListingMsg::Scopes {
            generation: ScopesGeneration(1),
            page: 1,
            result: Ok(ScopePage {
                scopes: vec![folder("f1", "Marketing"), folder("f2", "Legal\u{1b}[2J")],
                has_next: false,
            }),
        }),
        Instant::now(),
    );
    let screen = render(&app, 150, 8);
    assert!(screen[1].starts_with("┌ Folders ─"), "{}", show(&screen));
    assert!(
        screen[2].starts_with("│▸ Marketing  12 files"),
        "{}",
        show(&screen)
    );
    assert!(
        screen[3].starts_with("│▸ Legal\\x1b[2J  12 files"),
        "server names are escaped: {}",
        show(&screen)
    );
    assert!(
        screen[0].contains("(astracollab) · Northwind Labs · /  "),
        "{}",
        show(&screen)
    );

    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus(), filescope::app::Focus::Scopes);
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 150, 8);
    assert!(
        screen[0].contains("(astracollab) · Northwind Labs · / Marketing  "),
        "{}",
        show(&screen)
    );
    assert!(
        screen[1].starts_with("┌ Marketing (Backspace: up) ─"),
        "{}",
        show(&screen)
    );
}

#[test]
fn a_local_sort_says_so_in_the_header() {
    let mut app = dialect_app_showing("fileguard", &NAMES, 400, 150, 6);
    let screen = render(&app, 150, 6);
    assert!(
        screen[0].trim_end().ends_with("row 1 of 400 · as served"),
        "{}",
        show(&screen)
    );
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('n'));
    let screen = render(&app, 150, 6);
    assert!(
        screen[0]
            .trim_end()
            .ends_with("sort name ↑ · sorted locally · 4 of 400 loaded · A loads all"),
        "{}",
        show(&screen)
    );
}

#[test]
fn the_date_column_follows_the_configured_format() {
    let settings = Settings {
        date_format: "%d.%m.%Y".parse().unwrap(),
        ..Settings::default()
    };
    let app = showing_with("filejar", settings, &NAMES, 4, 90, 4);
    let screen = render(&app, 90, 4);
    assert!(
        screen[2]
            .trim_end()
            .ends_with("application/pdf  02.03.2024"),
        "{}",
        show(&screen)
    );
    assert!(screen[1].contains("Created ↓"), "{}", show(&screen));
}

#[test]
fn configured_columns_and_the_mono_theme() {
    let settings = Settings {
        columns: vec![Column::Size],
        ..Settings::default()
    };
    let app = showing_with("filejar", settings, &NAMES, 4, 90, 4);
    let screen = render(&app, 90, 4);
    assert!(
        !screen[1].contains("Type") && !screen[1].contains("Created"),
        "{}",
        show(&screen)
    );
    assert!(screen[2].trim_end().ends_with("0 B"), "{}", show(&screen));

    let colours = |app: &App| {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(90, 6)).unwrap();
        terminal.draw(|f| filescope::ui::draw(f, app)).unwrap();
        terminal
            .backend()
            .buffer()
            .content
            .iter()
            .filter(|c| {
                c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset
            })
            .count()
    };
    let mut app = app_showing(&NAMES, 4, 90, 6);
    press(&mut app, KeyCode::Char('/'));
    assert!(colours(&app) > 0, "the default theme has colours");
    let mono = Settings {
        theme: Theme::Mono,
        ..Settings::default()
    };
    let mut app = showing_with("filejar", mono, &NAMES, 4, 90, 6);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(colours(&app), 0, "mono has none");
}

/// The insight view says what it sums up at every size it has room for: the full view at
/// 80 columns and more, its title and totals down to 20x6; a 1x1 screen draws without
/// panicking and the view stays open.
#[test]
fn the_insight_view_at_several_sizes() {
    for (w, h) in [(140, 40), (80, 24), (40, 12), (20, 6), (1, 1)] {
        let mut app = app_showing(&NAMES, 4, w, h);
        press(&mut app, KeyCode::Char('i'));
        let lines = render(&app, w, h);
        let screen = lines.join("\n");
        assert_eq!(app.mode(), filescope::app::Mode::Insight, "{w}x{h}");
        if w >= 80 {
            assert!(
                screen.contains("Insight — all 4 files"),
                "{w}x{h}\n{screen}"
            );
            assert!(screen.contains("4 files, 5.9 KiB"), "{w}x{h}\n{screen}");
            assert!(screen.contains("document "), "{w}x{h}\n{screen}");
            assert!(screen.contains("Largest"), "{w}x{h}\n{screen}");
            assert!(screen.contains("notes.txt"), "{w}x{h}\n{screen}");
        } else if w >= 20 {
            // The title, cut at the width, and the totals.
            assert!(
                lines[1].starts_with(" Insight — all 4 fi"),
                "{w}x{h}\n{screen}"
            );
            assert!(
                lines[2].starts_with("4 files, 5.9 KiB"),
                "{w}x{h}\n{screen}"
            );
            assert!(screen.contains("┌ Largest"), "{w}x{h}\n{screen}");
        } else {
            assert_eq!(lines.len(), 1, "{w}x{h}");
        }
    }
}

#[test]
fn astracollab_folder_totals_come_from_the_api_in_the_insight_view() {
    use filescope::api::dialect::{Scope, ScopePage};
    let mut app = dialect_app_showing("astracollab", &NAMES, 4, 140, 50);
    app.update(
        Msg::Listing(ListingMsg::Scopes {
            generation: ScopesGeneration(1),
            page: 1,
            result: Ok(ScopePage {
                scopes: vec![
                    Scope {
                        id: "f1".into(),
                        name: "Small".into(),
                        files: Some(3),
                        bytes: Some(1_000),
                        ..Default::default()
                    },
                    Scope {
                        id: "f2".into(),
                        name: "Big".into(),
                        files: Some(12),
                        bytes: Some(5_000_000_000),
                        ..Default::default()
                    },
                ],
                has_next: false,
            }),
        }),
        Instant::now(),
    );
    press(&mut app, KeyCode::Char('i'));
    let screen = render(&app, 140, 50);
    let at = |text: &str| screen.iter().position(|l| l.contains(text));
    let heading = at("Folders here, by the API's own totals").expect("the section is shown");
    let (big, small) = (at("Big ").unwrap(), at("Small ").unwrap());
    assert!(
        heading < big && big < small,
        "largest first:\n{}",
        show(&screen)
    );
    assert!(screen[big].contains("4.7 GiB") && screen[big].contains("12 files"));
}

#[test]
fn insecure_connections_say_so_in_the_header() {
    let mut app = app_showing(&NAMES, 4, 120, 5);
    assert!(!render(&app, 120, 5)[0].contains("TLS NOT VERIFIED"));
    app.set_insecure(true);
    let screen = render(&app, 120, 5);
    assert!(
        screen[0].contains("TLS NOT VERIFIED (--insecure)"),
        "{}",
        show(&screen)
    );
}

/// Marks ten files and starts their download the way the keys do; returns the app with the
/// transfers panel shown.
fn downloading(names: &[&str], width: u16, height: u16) -> App {
    use filescope::app::Effect;
    let mut app = app_showing(names, names.len(), width, height);
    app.set_download_dir("/tmp/nowhere".into());
    for _ in 0..10 {
        press(&mut app, KeyCode::Char(' '));
    }
    press(&mut app, KeyCode::Char('d'));
    let effects = app.update(
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        Instant::now(),
    );
    let Some(Effect::Files(FileEffect::PrepareDownload { dir, records })) =
        effects.into_iter().next()
    else {
        panic!("no download asked for");
    };
    app.update(
        Msg::Files(FileMsg::TargetsChecked {
            dir,
            records,
            existing: Vec::new(),
        }),
        Instant::now(),
    );
    app
}

/// Lines of the table's rows on a screen: those showing one of `names`.
fn table_rows(screen: &[String], names: &[&str]) -> Vec<usize> {
    (0..screen.len())
        .filter(|&i| names.iter().any(|n| screen[i].starts_with(n)))
        .collect()
}

#[test]
fn the_transfers_panel_shrinks_the_table_and_keeps_the_selection_in_view() {
    let names: Vec<String> = (0..60).map(|i| format!("file-{i:02}.bin")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let before = render(&app_showing(&names, names.len(), 80, 24), 80, 24);
    let rows_before = table_rows(&before, &names);
    let app = downloading(&names, 80, 24);
    // Ten rows down from the marks: near the bottom of the table before the panel opened.
    let selected = names[app.cursor().selected];
    let screen = render(&app, 80, 24);
    let rows = table_rows(&screen, &names);
    let top = screen
        .iter()
        .position(|l| l.starts_with("┌ Transfers · "))
        .expect("the panel is drawn");
    let bottom = screen
        .iter()
        .rposition(|l| l.starts_with('└'))
        .expect("the panel's bottom border");
    let panel = bottom + 1 - top;
    assert!(panel >= 3, "{}", show(&screen));
    // The table gave the panel exactly the lines it takes, and ends right above it.
    assert_eq!(rows.len() + panel, rows_before.len(), "{}", show(&screen));
    assert_eq!(rows.last().map(|r| r + 1), Some(top), "{}", show(&screen));
    assert!(
        rows.windows(2).all(|w| w[1] == w[0] + 1),
        "the rows are one block: {}",
        show(&screen)
    );
    assert!(
        rows.iter().any(|&i| screen[i].starts_with(selected)),
        "{selected} stays on screen:\n{}",
        show(&screen)
    );
    assert!(
        screen.iter().any(|l| l.contains("queued")),
        "{}",
        show(&screen)
    );
    assert!(
        !screen.join("\n").contains("● "),
        "the marks were spent on the download"
    );
}

#[test]
fn the_action_views_draw_at_any_size_without_panicking() {
    let names: Vec<String> = (0..20)
        .map(|i| format!("\u{1b}]52;c;eA==\u{7}f{i}"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 6), (40, 12), (120, 40)] {
        let mut app = downloading(&names, w.max(20), h.max(6));
        app.update(
            Msg::Resize {
                width: w,
                height: h,
            },
            Instant::now(),
        );
        let _ = render(&app, w, h);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Char('y'));
        let screen = render(&app, w, h).join("\n");
        assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('p'));
        if let Some(id) = app.selected().map(|r| r.id.clone()) {
            let text = format!("{}\n", "a".repeat(300)).repeat(50);
            app.update(
                Msg::Files(FileMsg::Previewed {
                    id,
                    result: Ok(PreviewData {
                        bytes: text.into_bytes(),
                        extracted: false,
                        size: None,
                    }),
                }),
                Instant::now(),
            );
            assert_eq!(app.mode(), filescope::app::Mode::Preview);
        }
        let _ = render(&app, w, h);
        app.update(
            Msg::Files(FileMsg::ShowValue {
                title: "link".into(),
                text: "https://x.test/".repeat(40),
            }),
            Instant::now(),
        );
        assert_eq!(app.mode(), filescope::app::Mode::Value);
        let _ = render(&app, w, h);
    }
}

#[test]
fn a_wide_footer_names_the_file_actions() {
    let app = app_showing(&NAMES, 4, 140, 20);
    let screen = render(&app, 140, 20);
    let footer = screen.last().unwrap();
    assert!(
        footer.contains("Space mark · d download · p preview · i stats"),
        "{footer}"
    );
}

// ---- Issue 16: every key honest, every pane findable ----

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("file-{i:03}.txt")).collect()
}

fn header(screen: &[String]) -> String {
    screen[0].trim_end().to_string()
}

fn footer(screen: &[String]) -> String {
    screen.last().unwrap().trim_end().to_string()
}

/// Bug 1: `Tab` only ever lands on a pane that is drawn, at every size and on every kind of
/// listing, and with the list's keyboard `j` moves the list.
#[test]
fn tab_never_lands_on_a_pane_that_is_not_drawn() {
    let owned = names(40);
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    for dialect in ["filejar", "fileguard", "astracollab"] {
        for (w, h) in [
            (60, 10),
            (80, 24),
            (100, 20),
            (120, 36),
            (140, 20),
            (150, 36),
        ] {
            let mut app = dialect_app_showing(dialect, &names, 40, w, h);
            for _ in 0..4 {
                press(&mut app, KeyCode::Tab);
                let screen = render(&app, w, h).join("\n");
                let drawn = match app.focus() {
                    filescope::app::Focus::List => true,
                    filescope::app::Focus::Detail => screen.contains("┌ Detail"),
                    filescope::app::Focus::Scopes => {
                        screen.contains("┌ Contexts") || screen.contains("┌ Folders")
                    }
                };
                assert!(
                    drawn,
                    "{dialect} {w}x{h}: focus {:?} is not on screen:\n{screen}",
                    app.focus()
                );
            }
            while app.focus() != filescope::app::Focus::List {
                press(&mut app, KeyCode::Tab);
            }
            press(&mut app, KeyCode::Char('j'));
            let screen = render(&app, w, h);
            assert!(
                header(&screen).contains("row 2 of 40") || w < 40,
                "{dialect} {w}x{h}: j moves the list:\n{}",
                show(&screen)
            );
        }
    }
    // Where there is no other pane, the footer does not offer one.
    let app = app_showing(&names, 40, 80, 22);
    let screen = render(&app, 80, 22);
    assert!(!footer(&screen).contains("Tab"), "{}", show(&screen));
}

/// Bug 2: the contexts pane is on screen at every width from 90 columns, and the footer says
/// how much room it needs when the screen is narrower.
#[test]
fn the_contexts_pane_shows_at_every_width_from_90_columns() {
    for w in [90, 100, 110, 120, 130, 140, 150, 200] {
        for h in [12, 30] {
            let app = dialect_app_showing("fileguard", &NAMES, 4, w, h);
            let screen = render(&app, w, h).join("\n");
            assert!(screen.contains("┌ Contexts"), "{w}x{h}:\n{screen}");
        }
    }
    let app = dialect_app_showing("fileguard", &NAMES, 4, 80, 12);
    let screen = render(&app, 80, 12);
    assert!(
        footer(&screen).contains("contexts: 90+ cols"),
        "{}",
        show(&screen)
    );
}

/// Bug 6: the last line of a long preview can be scrolled to, and the note says so.
#[test]
fn the_preview_scrolls_to_its_last_line() {
    let mut app = app_showing(&NAMES, 4, 80, 24);
    press(&mut app, KeyCode::Char('p'));
    let id = app.selected().unwrap().id.clone();
    let text: String = (1..=3642).map(|i| format!("line {i}\n")).collect();
    app.update(
        Msg::Files(FileMsg::Previewed {
            id,
            result: Ok(PreviewData {
                bytes: text.trim_end().as_bytes().to_vec(),
                extracted: false,
                size: None,
            }),
        }),
        Instant::now(),
    );
    press(&mut app, KeyCode::Char('G'));
    let screen = render(&app, 80, 24);
    let text = screen.join("\n");
    assert!(
        screen.iter().any(|l| l.contains("│3642 line 3642 ")),
        "{}",
        show(&screen)
    );
    assert!(
        text.contains("lines 3623–3642 of 3642"),
        "{}",
        show(&screen)
    );
}

/// The preview of `bytes` on an 80x24 screen.
fn previewing(bytes: &[u8]) -> App {
    let mut app = app_showing(&NAMES, 4, 80, 24);
    press(&mut app, KeyCode::Char('p'));
    let id = app.selected().unwrap().id.clone();
    app.update(
        Msg::Files(FileMsg::Previewed {
            id,
            result: Ok(PreviewData {
                bytes: bytes.to_vec(),
                extracted: false,
                size: None,
            }),
        }),
        Instant::now(),
    );
    app
}

/// Issue 27, Expected 5: a preview numbers its lines in a gutter, shows a JSON document
/// pretty-printed, cuts a long line at the edge with `…` and scrolls it sideways with `→`/`←`,
/// and `w` wraps it instead.
#[test]
fn a_preview_numbers_lines_pretty_prints_json_and_wraps_or_scrolls_long_lines() {
    let app = previewing(br#"{"name":"report.pdf","tags":["a","b"],"size":12}"#);
    let screen = render(&app, 80, 24);
    let text = screen.join("\n");
    assert!(text.contains("│1 {"), "{}", show(&screen));
    assert!(
        text.contains("│2   \"name\": \"report.pdf\","),
        "{}",
        show(&screen)
    );
    assert!(text.contains("JSON, pretty-printed"), "{}", show(&screen));

    let long: String = (0..40).map(|i| format!("word{i:02} ")).collect();
    let mut app = previewing(format!("short\n{long}\nend").as_bytes());
    let line = |app: &App| {
        render(app, 80, 24)
            .into_iter()
            .find(|l| l.contains("│2 "))
            .unwrap_or_default()
    };
    let cut = line(&app);
    assert!(cut.contains("│2 word00 word01"), "{cut}");
    assert!(cut.trim_end_matches('│').trim_end().ends_with('…'), "{cut}");
    press(&mut app, KeyCode::Right);
    let moved = line(&app);
    assert!(moved.contains("│2 …"), "{moved}");
    assert!(!moved.contains("word00"), "{moved}");
    press(&mut app, KeyCode::Left);
    assert_eq!(line(&app), cut, "← comes back");
    press(&mut app, KeyCode::Char('w'));
    let screen = render(&app, 80, 24);
    let text = screen.join("\n");
    assert!(
        text.contains("word39"),
        "wrapped, the end is on screen: {}",
        show(&screen)
    );
    assert!(!text.contains("word00 word01…"), "{}", show(&screen));
    // Control characters are drawn as escapes (styled apart, as in the list), never sent.
    let app = previewing(b"plain\n\x1b[31mred\x07 bell");
    let screen = render(&app, 80, 24);
    let line = screen.iter().find(|l| l.contains("│2 ")).unwrap();
    assert!(line.contains("│2 \\x1b[31mred\\x07 bell"), "{line}");
}

fn transfer(app: &mut App, id: u64, event: filescope::app::actions::TransferEvent) {
    app.update(
        Msg::Files(FileMsg::Transfer {
            id: filescope::app::actions::TransferId(id),
            event,
        }),
        Instant::now(),
    );
}

/// `files` files downloading (see [`downloading`]), the first `started` of them running.
fn downloading_some_started(files: usize, started: u64, width: u16, height: u16) -> App {
    let owned = names(files);
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut app = downloading(&names, width, height);
    for id in 1..=started {
        transfer(
            &mut app,
            id,
            filescope::app::actions::TransferEvent::Started,
        );
    }
    app
}

/// Bug 7: a failed download's whole reason can be read: Enter on its row in the panel.
#[test]
fn enter_on_a_failed_download_shows_its_whole_reason() {
    use filescope::app::actions::TransferEvent;
    let owned = names(3);
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut app = downloading(&names, 100, 30);
    let reason = format!(
        "HTTP 403 from https://cdn.example.test/{}: the signature expired; ask for a fresh link END",
        "x".repeat(150)
    );
    transfer(&mut app, 1, TransferEvent::Started);
    transfer(&mut app, 1, TransferEvent::Failed(reason.clone()));
    // The list kept the keys; `t` gives them to the panel.
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.mode(), filescope::app::Mode::Transfers);
    press(&mut app, KeyCode::Enter);
    // The value is wrapped at spaces: read it without them.
    let screen: String = render(&app, 100, 30).concat().split_whitespace().collect();
    let reason: String = reason.split_whitespace().collect();
    assert!(screen.contains(&reason), "{screen}");
}

/// Bug 8: the panel counts running and queued downloads apart, and `t` does what its title
/// says: on a panel shown without the keys, it gives it the keys.
#[test]
fn the_transfers_title_counts_running_and_queued_and_t_focuses() {
    let mut app = downloading_some_started(20, 3, 120, 40);
    let screen = render(&app, 120, 40).join("\n");
    assert!(screen.contains("3 running · 7 queued"), "{screen}");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.mode(), filescope::app::Mode::List);
    let screen = render(&app, 120, 40).join("\n");
    assert!(screen.contains("t focuses"), "{screen}");
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.mode(), filescope::app::Mode::Transfers, "t focuses");
    assert!(app.transfers_shown());
}

/// A finished download's line names the checksum that proved it, or says what could not.
#[test]
fn a_saved_download_names_the_checksum_that_proved_it() {
    use filescope::api::content::{Algorithm, Saved};
    use filescope::app::actions::TransferEvent;
    let owned = names(2);
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut app = downloading(&names, 140, 30);
    let saved = |name: &str, verified, notes: Vec<String>| Saved {
        path: std::path::PathBuf::from("/tmp/nowhere").join(name),
        bytes: 2048,
        verified,
        resumed_from: 0,
        notes,
    };
    transfer(&mut app, 1, TransferEvent::Started);
    transfer(
        &mut app,
        1,
        TransferEvent::Done(saved(names[0], Some(Algorithm::Crc64Nvme), Vec::new())),
    );
    transfer(&mut app, 2, TransferEvent::Started);
    transfer(
        &mut app,
        2,
        TransferEvent::Done(saved(
            names[1],
            None,
            vec!["the ETag is not the MD5".to_string()],
        )),
    );
    let screen = render(&app, 140, 30);
    let line = |name: &str| {
        screen
            .iter()
            .rev()
            .find(|l| l.contains(name) && l.contains("saved 2.0 KiB"))
            .cloned()
            .unwrap_or_else(|| panic!("no saved line for {name}: {screen:#?}"))
    };
    assert!(
        line(names[0]).contains("· crc64nvme ok"),
        "{}",
        line(names[0])
    );
    let second = line(names[1]);
    assert!(second.contains("· the ETag is not the MD5"), "{second}");
    assert!(!second.contains(" ok"), "{second}");
}

/// Bug 9: `*` over a listing the server sorts and filters names no key that would refuse.
#[test]
fn inverting_marks_names_no_key_that_would_refuse() {
    let mut app = app_showing(&NAMES, 4_000, 120, 10);
    press(&mut app, KeyCode::Char('*'));
    let screen = render(&app, 120, 10);
    let status = footer(&screen);
    assert!(status.contains("4 marked"), "{status}");
    assert!(!status.contains("loads"), "{status}");
}

/// Bug 10: the footer names the keys in force: `quit = ["Q"]` shows `Q quit`.
#[test]
fn the_footer_names_remapped_keys() {
    let keymap = filescope::keymap::KeyMap::with_overrides(&std::collections::BTreeMap::from([
        ("quit".to_string(), vec!["Q".to_string()]),
        ("filter".to_string(), vec!["f".to_string()]),
    ]))
    .unwrap();
    let settings = Settings {
        keymap,
        ..Settings::default()
    };
    let app = showing_with("filejar", settings, &NAMES, 4, 120, 8);
    let line = footer(&render(&app, 120, 8));
    assert!(
        line.contains("Q quit") && line.contains("f filter"),
        "{line}"
    );
    assert!(
        !line.contains("q quit") && !line.contains("/ filter"),
        "{line}"
    );
}

/// Bug 11: a first page that failed is one error state with the whole reason and the key
/// that retries, not rows of the error nor a count of rows that do not exist.
#[test]
fn a_failed_first_page_is_one_error_with_its_reason_and_retry() {
    use filescope::app::{Effect, ListingEffect};
    let mut app = filescope::test_support::app_for("filejar", 100);
    let effects = app.start(100, 16, Instant::now());
    let Some(Effect::Listing(ListingEffect::Fetch { generation, .. })) = effects.last().cloned()
    else {
        panic!("expected a fetch")
    };
    let err = filescope::api::ApiError::Http {
        status: 401,
        url: "http://127.0.0.1:9/v1/files/organization-files".into(),
        code: Some("unauthorized".into()),
        message: "Invalid API key".into(),
        hint: Some("the x-api-key header from FILESCOPE_API_KEY was rejected; set FILESCOPE_API_KEY to a valid key".into()),
    };
    app.update(
        Msg::Listing(ListingMsg::Page {
            generation,
            page: 1,
            result: Err(err),
        }),
        Instant::now(),
    );
    let screen = render(&app, 100, 16);
    let text = screen.join("\n");
    assert!(!header(&screen).contains("row 1 of"), "{}", show(&screen));
    assert_eq!(
        screen.iter().filter(|l| l.contains("HTTP 401")).count(),
        1,
        "{}",
        show(&screen)
    );
    assert!(
        text.replace('\n', "")
            .contains("set FILESCOPE_API_KEY to a valid key"),
        "the whole reason: {}",
        show(&screen)
    );
    assert!(text.contains("R retr"), "{}", show(&screen));
}

/// Bug 13: `:50%` of 100,000 rows is row 50,000.
#[test]
fn fifty_percent_of_100000_rows_is_row_50000() {
    let mut app = app_showing(&NAMES, 100_000, 100, 8);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "50%");
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 100, 8);
    assert!(
        header(&screen).contains("row 50,000 of 100,000"),
        "{}",
        show(&screen)
    );
}

/// Bug 13, and issue 27's bug 1: a long header shortens its pieces before it leaves any
/// out; the name, the filter and "local" stay down to 40 columns, and the position is never
/// cut in the middle.
#[test]
fn a_long_header_shortens_its_pieces_and_keeps_the_state() {
    for w in [40, 60, 80, 100, 120] {
        let mut app = dialect_app_showing("fileguard", &NAMES, 400, w, 8);
        filter_by(&mut app, "pdf");
        let screen = render(&app, w, 8);
        let top = header(&screen);
        assert!(
            top.starts_with("test") || top.contains(" test "),
            "{w}: {top:?}"
        );
        assert!(
            top.contains("/pdf") || top.contains("filter \"pdf\""),
            "{w}: {top:?}"
        );
        assert!(top.contains("local"), "{w}: {top:?}");
        assert!(
            top.contains("row 1 of 2+") || top.contains(" 1/2+ "),
            "{w}: {top:?}"
        );
        assert!(!top.contains('…'), "{w}: nothing needs cutting: {top:?}");
    }
}

/// Bug 13: counts of one are singular.
#[test]
fn one_running_download_is_one_download() {
    let mut app = downloading(&["only.bin"], 100, 12);
    transfer(&mut app, 1, filescope::app::actions::TransferEvent::Started);
    press(&mut app, KeyCode::Char('q'));
    let line = footer(&render(&app, 100, 12));
    assert!(line.contains("1 download is running"), "{line}");
    assert!(!app.should_quit());
}

/// Bug 14: every human view writes escapes as the README does (`\x1b`, `\u{202e}`); the raw
/// JSON pane writes JSON's own (`\u001b`, `\u202e`) and stays valid JSON.
#[test]
fn escapes_are_written_the_human_way_and_the_json_way() {
    let hostile = "a\u{1b}[31mb\u{202e}c.txt";
    let mut app = app_showing(&[hostile], 1, 100, 40);
    let list = render(&app, 100, 40).join("\n");
    assert!(list.contains("a\\x1b[31mb\\u{202e}c.txt"), "{list}");
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 100, 40);
    let text = screen.join("\n");
    assert!(
        text.contains("Name      a\\x1b[31mb\\u{202e}c.txt"),
        "{text}"
    );
    let json_start = screen.iter().position(|l| l.trim_end() == "{").unwrap();
    let json_end = json_start
        + screen[json_start..]
            .iter()
            .position(|l| l.trim_end() == "}")
            .unwrap();
    let json = screen[json_start..=json_end]
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    let json = json.as_str();
    assert!(json.contains("a\\u001b[31mb\\u202ec.txt"), "{json}");
    let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(parsed["file_name"], hostile);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('p'));
    let id = app.selected().unwrap().id.clone();
    app.update(
        Msg::Files(FileMsg::Previewed {
            id,
            result: Ok(PreviewData {
                bytes: "plain \u{1b}]0;title\u{7} and \u{202e}rtl\n"
                    .as_bytes()
                    .to_vec(),
                extracted: false,
                size: None,
            }),
        }),
        Instant::now(),
    );
    let preview = render(&app, 100, 40).join("\n");
    assert!(
        preview.contains("plain \\x1b]0;title\\x07 and \\u{202e}rtl"),
        "{preview}"
    );
}

// ---- Issue 16: habits ----

/// Each context's footer names its own keys, from the key map, and reads whole at 60 columns.
#[test]
fn every_context_has_its_own_footer_that_fits_60_columns() {
    use filescope::app::Mode;
    let check = |app: &App, want: &[&str]| {
        for w in [60u16, 120] {
            let line = footer(&render(app, w, 20));
            assert!(
                line.chars().count() <= w as usize && !line.ends_with('…'),
                "{w}: {line}"
            );
            if w == 120 {
                for part in want {
                    assert!(line.contains(part), "{:?}: {part:?} in {line}", app.mode());
                }
            }
        }
    };
    let mut app = app_showing(&NAMES, 4, 120, 20);
    check(&app, &["j/k move", "/ filter", "? help", "q quit"]);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::DetailFull);
    check(&app, &["j/k scroll", "g/G top/end", "y copy", "Esc back"]);
    press(&mut app, KeyCode::Char('y'));
    check(&app, &["i n k u l j c", "Esc cancel"]);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('o'));
    check(&app, &["j/k choose", "Enter sort", "Esc close"]);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('?'));
    check(&app, &["j/k PgDn/PgUp scroll", "q/Esc/? close"]);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('i'));
    check(&app, &["a scan all", "Tab largest/newest", "Esc back"]);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('p'));
    check(&app, &["j/k scroll", "e $PAGER", "Esc back"]);
    press(&mut app, KeyCode::Esc);
    // The prompts show their keys beside what is typed.
    press(&mut app, KeyCode::Char('/'));
    let line = footer(&render(&app, 120, 20));
    assert!(
        line.ends_with("Enter keep · Esc cancel · ↑ last · Ctrl-u clear"),
        "{line}"
    );
    press(&mut app, KeyCode::Esc);
    let mut app = downloading(&NAMES, 120, 20);
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('j'));
    check(&app, &["j/k choose", "Enter details", "t hide"]);
    // Remapped keys are shown remapped in other contexts too.
    let keymap = filescope::keymap::KeyMap::with_overrides(&std::collections::BTreeMap::from([(
        "down".to_string(),
        vec!["ctrl-n".to_string()],
    )]))
    .unwrap();
    let settings = Settings {
        keymap,
        ..Settings::default()
    };
    app = showing_with("filejar", settings, &NAMES, 4, 120, 20);
    press(&mut app, KeyCode::Enter);
    assert!(footer(&render(&app, 120, 20)).contains("Ctrl-n/k scroll"));
}

/// The help scrolls with the scroll keys, says there is more below, and lays out in two
/// columns on a wide screen.
#[test]
fn the_help_scrolls_says_more_below_and_goes_two_columns_when_wide() {
    let mut app = app_showing(&NAMES, 4, 80, 20);
    press(&mut app, KeyCode::Char('?'));
    let first = render(&app, 80, 20).join("\n");
    assert!(first.contains("↓ more below"), "{first}");
    assert!(first.contains("j ↓"), "{first}");
    press(&mut app, KeyCode::Char('G'));
    let last = render(&app, 80, 20).join("\n");
    assert!(!last.contains("more below"), "{last}");
    assert!(last.contains("mouse: Shift-drag"), "{last}");
    assert!(!last.contains("j ↓ "), "{last}");
    press(&mut app, KeyCode::Char('g'));
    assert!(render(&app, 80, 20).join("\n").contains("j ↓"));
    // Wide: both columns side by side, all of it at once.
    let mut app = app_showing(&NAMES, 4, 160, 40);
    press(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 160, 40);
    let row = screen
        .iter()
        .find(|l| l.contains("j ↓"))
        .expect("the first line");
    // The second column holds a key and its words beside the first (whichever key the
    // halves split at).
    let right = columns(row, 84, 70);
    assert!(
        right.trim().len() > 10 && row.contains("next row"),
        "two columns: {row}"
    );
    assert!(!screen.join("\n").contains("more below"));
}

/// Cut names and types end with `…`; the detail has them whole.
#[test]
fn cut_names_and_types_end_with_an_ellipsis() {
    let long = "a-very-long-file-name-that-cannot-fit-in-a-narrow-table-0123456789.pdf";
    let mut app = app_showing(&[long], 1, 70, 8);
    let screen = render(&app, 70, 8);
    let row = &screen[2];
    assert!(
        row.contains("a-very-long-file-name") && row.contains('…'),
        "{row}"
    );
    assert!(!row.contains("0123456789.pdf"), "{row}");
    press(&mut app, KeyCode::Enter);
    let detail: String = render(&app, 70, 8).concat().split_whitespace().collect();
    assert!(detail.contains("0123456789.pdf"), "{detail}");
    // A type wider than its column.
    let mut record = filescope::test_support::record(0, "letter.docx");
    record.content_type =
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document".into());
    let mut app = filescope::test_support::app_for("filejar", 100);
    let effects = app.start(90, 8, Instant::now());
    let Some(filescope::app::Effect::Listing(filescope::app::ListingEffect::Fetch {
        generation,
        ..
    })) = effects.last().cloned()
    else {
        panic!("a fetch")
    };
    app.update(
        Msg::Listing(ListingMsg::Page {
            generation,
            page: 1,
            result: Ok(filescope::api::dialect::Page {
                records: vec![record],
                total: Some(1),
                ..Default::default()
            }),
        }),
        Instant::now(),
    );
    // The name leaves room: the type takes it, and is still cut with `…`.
    let row = render(&app, 90, 8)[2].clone();
    assert!(
        row.contains(" application/vnd.openxmlformats-") && row.contains("… "),
        "{row}"
    );
}

/// While R reloads, the rows on screen stay, dimmed, rather than turning into placeholders.
#[test]
fn reload_keeps_the_old_rows_on_screen_dimmed() {
    let mut app = app_showing(&NAMES, 4, 90, 8);
    press(&mut app, KeyCode::Char('R'));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(90, 8)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
    let screen = common::screen_lines(&terminal);
    let buffer = terminal.backend().buffer();
    // Each row on screen, the cursor's included: its old text, and every cell of it dimmed
    // (a dimmed placeholder, or the old text undimmed, fails).
    for (i, name) in NAMES.iter().enumerate() {
        let y = 2 + i as u16;
        assert!(
            screen[y as usize].starts_with(name),
            "row {i}: {}",
            show(&screen)
        );
        let mut x = 0;
        while x < 90 {
            let cell = &buffer[(x, y)];
            assert!(
                cell.modifier.contains(ratatui::style::Modifier::DIM),
                "row {i}, column {x}: {cell:?}\n{}",
                show(&screen)
            );
            // A wide character's second column is part of its cell.
            x += unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1) as u16;
        }
    }
}

/// A count being typed shows at the right of the footer, as vim's showcmd does.
#[test]
fn a_count_being_typed_shows_in_the_footer() {
    let mut app = app_showing(&NAMES, 4, 90, 8);
    type_text(&mut app, "12");
    let line = footer(&render(&app, 90, 8));
    assert!(line.ends_with("12"), "{line}");
}

/// The download prompt says how many marked files it takes, and how many of them the filter
/// hides.
#[test]
fn the_download_prompt_counts_the_marked_files_and_those_hidden() {
    let owned = names(20);
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut app = dialect_app_showing("fileguard", &names, 20, 120, 30);
    for _ in 0..12 {
        press(&mut app, KeyCode::Char(' '));
    }
    filter_by(&mut app, "file-00");
    press(&mut app, KeyCode::Char('d'));
    let line = footer(&render(&app, 120, 30));
    assert!(
        line.starts_with("download 12 marked files (2 hidden by the filter) to: "),
        "{line}"
    );
}

/// A profile's accent colours the header's badge and name, so production stands out.
#[test]
fn a_profiles_accent_colours_the_header_and_reverses_the_name_in_mono() {
    let settings = Settings {
        accent: Some(filescope::config::Accent::Red),
        ..Settings::default()
    };
    let app = showing_with("filejar", settings, &NAMES, 4, 100, 6);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 6)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    assert_eq!(buffer[(1, 0)].symbol(), "f");
    assert_eq!(buffer[(1, 0)].bg, ratatui::style::Color::Red, "the badge");
    assert_eq!(buffer[(12, 0)].symbol(), "t");
    assert_eq!(
        buffer[(12, 0)].fg,
        ratatui::style::Color::Red,
        "the profile's name"
    );
    let plain = app_showing(&NAMES, 4, 100, 6);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 6)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &plain)).unwrap();
    assert_ne!(
        terminal.backend().buffer()[(1, 0)].bg,
        ratatui::style::Color::Red
    );
    assert!(
        !terminal.backend().buffer()[(12, 0)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED),
        "no accent: the name is plain"
    );
    // The mono theme (or NO_COLOR) drops the colour; the accent still marks the profile's name.
    let settings = Settings {
        accent: Some(filescope::config::Accent::Red),
        theme: filescope::config::Theme::Mono,
        ..Settings::default()
    };
    let mono = showing_with("filejar", settings, &NAMES, 4, 100, 6);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 6)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &mono)).unwrap();
    let name = &terminal.backend().buffer()[(12, 0)];
    assert_eq!(name.bg, ratatui::style::Color::Reset, "no colour in mono");
    assert!(
        name.modifier.contains(ratatui::style::Modifier::REVERSED),
        "the profile's name in reverse video"
    );
}

/// `[ui] columns` may name a dotted path into the server's record: the column shows that
/// field, cut with `…` when long.
#[test]
fn a_column_from_a_dotted_path_of_the_record() {
    let settings = Settings {
        columns: vec![
            Column::Size,
            Column::Path {
                title: "Owner".into(),
                path: "owner.username".into(),
            },
            Column::Path {
                title: "First tag".into(),
                path: "tags.0".into(),
            },
        ],
        ..Settings::default()
    };
    let mut app = filescope::test_support::app_with("filejar", 100, settings);
    let effects = app.start(100, 8, Instant::now());
    let Some(filescope::app::Effect::Listing(filescope::app::ListingEffect::Fetch {
        generation,
        ..
    })) = effects.last().cloned()
    else {
        panic!("a fetch")
    };
    let with = |i: usize, raw: serde_json::Value| {
        let mut r = filescope::test_support::record(i, &format!("file-{i}.pdf"));
        r.raw = serde_json::value::RawValue::from_string(raw.to_string()).unwrap();
        r
    };
    let records = vec![
        with(
            0,
            serde_json::json!({"owner": {"username": "ada"}, "tags": ["q1", "x"]}),
        ),
        with(
            1,
            serde_json::json!({"owner": {"username": "a-very-long-user-name-indeed"}}),
        ),
        with(2, serde_json::json!({"owner": null})),
    ];
    app.update(
        Msg::Listing(ListingMsg::Page {
            generation,
            page: 1,
            result: Ok(filescope::api::dialect::Page {
                records,
                total: Some(3),
                ..Default::default()
            }),
        }),
        Instant::now(),
    );
    let screen = render(&app, 100, 8);
    assert!(
        screen[1].contains("Owner") && screen[1].contains("First tag"),
        "{}",
        show(&screen)
    );
    assert!(
        screen[2].contains(" ada ") && screen[2].contains(" q1 "),
        "{}",
        show(&screen)
    );
    assert!(screen[3].contains(" a-very-long…"), "{}", show(&screen));
    assert!(!screen[4].contains("null"), "{}", show(&screen));
}

/// A folder name too long for its pane ends with `…`, as names in the table do.
#[test]
fn a_long_folder_name_ends_with_an_ellipsis_in_its_pane() {
    use filescope::api::dialect::{Scope, ScopePage};
    let mut app = dialect_app_showing("astracollab", &NAMES, 4, 120, 8);
    app.update(
        Msg::Listing(ListingMsg::Scopes {
            generation: ScopesGeneration(1),
            page: 1,
            result: Ok(ScopePage {
                scopes: vec![Scope {
                    id: "f1".into(),
                    name: "Quarterly reports of the northern region, all of them".into(),
                    note: Some("12 files".into()),
                    ..Default::default()
                }],
                has_next: false,
            }),
        }),
        Instant::now(),
    );
    let screen = render(&app, 120, 8);
    assert!(
        screen[2].starts_with("│▸ Quarterly reports of the …│"),
        "{}",
        show(&screen)
    );
}

// ---- Issue 27: what you see is the whole truth, at 80 columns ----

/// A page of `count` rows starting at row `first`, answered at `at`.
fn answer_page(app: &mut App, page: usize, first: usize, count: usize, at: Instant) {
    let generation = app.listing().pages().generation();
    let records = (first..first + count)
        .map(|i| common::record(i, &format!("file-{i:05}.bin")))
        .collect();
    app.update(
        Msg::Listing(ListingMsg::Page {
            generation,
            page,
            result: Ok(filescope::api::dialect::Page {
                records,
                total: Some(74_000),
                ..Default::default()
            }),
        }),
        at,
    );
}

/// Bug 1: the header shortens its pieces before it leaves any out, and never leaves out the
/// name of the connection, a filter, "local" or "loading": at 80, 100 and 120 columns.
#[test]
fn the_header_keeps_its_state_at_80_to_120_columns() {
    for w in [80, 100, 120] {
        // A local sort on FileGuard.
        let mut app = dialect_app_showing("fileguard", &NAMES, 74_000, w, 24);
        press(&mut app, KeyCode::Char('s'));
        let top = header(&render(&app, w, 24));
        assert!(
            top.contains("locally") || top.contains("local "),
            "{w}: {top:?}"
        );
        assert!(
            top.contains("A loads all") || top.contains("A all"),
            "{w}: {top:?}"
        );

        // A filter, on an API that filters and on one filtered locally.
        for dialect in ["filejar", "fileguard"] {
            let mut app = dialect_app_showing(dialect, &NAMES, 74_000, w, 24);
            filter_by(&mut app, "type:image size>1MB");
            let top = header(&render(&app, w, 24));
            assert!(top.contains("type:image size>"), "{w} {dialect}: {top:?}");
        }

        // Loading every page: how fast, and the key that stops it.
        let mut app = dialect_app_showing("fileguard", &NAMES, 74_000, w, 40);
        press(&mut app, KeyCode::Char('s'));
        let start = Instant::now();
        app.update(
            Msg::Key(KeyEvent::new(KeyCode::Char('A'), KeyModifiers::NONE)),
            start,
        );
        answer_page(
            &mut app,
            2,
            100,
            100,
            start + std::time::Duration::from_secs(1),
        );
        let top = header(&render(&app, w, 40));
        assert!(top.contains("loading"), "{w}: {top:?}");
        assert!(top.contains("/s"), "{w}: rows per second in {top:?}");
        assert!(top.contains("Esc stops"), "{w}: {top:?}");

        // The profile's name on a declared dialect, beside the loading.
        let shape = filescope::api::dialect::example("drf").unwrap();
        let mut app = common::labelled_showing(
            shape,
            "acme-staging-archive",
            Settings::default(),
            &NAMES,
            74_000,
            w,
            40,
        );
        filter_by(&mut app, "quarterly report");
        press(&mut app, KeyCode::Char('s'));
        app.update(
            Msg::Key(KeyEvent::new(KeyCode::Char('A'), KeyModifiers::NONE)),
            start,
        );
        let top = header(&render(&app, w, 40));
        assert!(top.contains("acme-staging-archive"), "{w}: {top:?}");
        assert!(top.contains("quarterly report"), "{w}: {top:?}");
    }
}

/// Bug 16: the header of an S3 listing names the prefix it started from.
#[test]
fn the_s3_header_shows_the_starting_prefix() {
    use filescope::api::family::{Credentials, Location, for_scheme};
    let location = Location {
        url: reqwest::Url::parse("s3://demo/uploads/").unwrap(),
        endpoint: Some("http://127.0.0.1:9".into()),
        region: Some("us-east-1".into()),
        credentials: Credentials::Given {
            id: "AKIDEXAMPLE".into(),
            secret: filescope::api::Secret::new("not-a-secret"),
            token: None,
            source: "the test".into(),
        },
        path_style: Some(true),
        levels: true,
    };
    let conn = (for_scheme("s3").unwrap().connect)(&location).unwrap();
    let app = common::labelled_showing(
        conn.store(),
        &conn.label,
        Settings::default(),
        &NAMES,
        4,
        80,
        24,
    );
    let top = header(&render(&app, 80, 24));
    assert!(top.contains("s3://demo/uploads/"), "{top:?}");
    // Where the credentials come from, where there is room for it.
    let top = header(&render(&app, 160, 24));
    assert!(
        top.contains("s3://demo/uploads/ (s3) · keys: the test"),
        "{top:?}"
    );
}

/// Bug 23: a transfer's line names the file as saved (`Pitch (1).gz` when both were kept),
/// not the server's name.
#[test]
fn a_transfer_line_names_the_file_as_saved() {
    use filescope::api::content::Saved;
    use filescope::app::actions::TransferEvent;
    let mut app = downloading(&["Pitch.gz"], 100, 20);
    transfer(&mut app, 1, TransferEvent::Started);
    transfer(
        &mut app,
        1,
        TransferEvent::Done(Saved {
            path: std::path::PathBuf::from("/tmp/nowhere/Pitch (1).gz"),
            bytes: 2048,
            verified: None,
            resumed_from: 0,
            notes: Vec::new(),
        }),
    );
    let screen = render(&app, 100, 20);
    let line = screen
        .iter()
        .find(|l| l.contains("saved 2.0 KiB"))
        .unwrap_or_else(|| panic!("{}", show(&screen)));
    assert!(line.contains("Pitch (1).gz"), "{line}");
}

/// Bug 26: a download cancelled before it started says nothing of partial data.
#[test]
fn a_download_cancelled_before_it_started_has_no_part_to_resume() {
    let mut app = downloading(&["a.bin", "b.bin"], 100, 20);
    if app.mode() != filescope::app::Mode::Transfers {
        press(&mut app, KeyCode::Char('t'));
    }
    press(&mut app, KeyCode::Char('C'));
    let screen = render(&app, 100, 20).join("\n");
    assert!(!screen.contains("partial data"), "{screen}");
    assert!(
        screen.contains("cancelled before anything was saved"),
        "{screen}"
    );
}

/// Bug 10: the transfers panel's title and lines end with `…` where they are cut, at 80
/// and 100 columns.
#[test]
fn the_transfers_panel_cuts_with_an_ellipsis() {
    use filescope::app::actions::TransferEvent;
    for w in [80u16, 100] {
        let owned: Vec<String> = (0..6)
            .map(|i| format!("a-rather-long-file-name-for-the-panel-{i}.tar.gz"))
            .collect();
        let names: Vec<&str> = owned.iter().map(String::as_str).collect();
        let mut app = downloading(&names, w, 30);
        for id in 1..=3 {
            transfer(&mut app, id, TransferEvent::Started);
        }
        transfer(
            &mut app,
            1,
            TransferEvent::Failed(format!(
                "HTTP 403 from https://cdn.example.test/{}",
                "x".repeat(120)
            )),
        );
        let screen = render(&app, w, 30);
        let top = screen
            .iter()
            .position(|l| l.starts_with("┌ Transfers"))
            .unwrap_or_else(|| panic!("{}", show(&screen)));
        for line in &screen[top..screen.len() - 1] {
            let inner: Vec<char> = line.trim_end().chars().collect();
            if inner.len() < 2 {
                continue;
            }
            let before_border = inner[inner.len() - 2];
            assert!(
                [' ', '─', '…'].contains(&before_border),
                "{w}: cut without `…`: {line:?}\n{}",
                show(&screen)
            );
        }
    }
}

/// Bug 24: a message leads with what to do, so an 80-column footer that cuts it keeps the
/// key: a failed page says `R reloads` first.
#[test]
fn a_failed_page_leads_with_the_key_that_reloads() {
    use filescope::app::{Effect, ListingEffect};
    let mut app = app_showing(&NAMES, 400, 80, 24);
    // `G` asks for the last page; it fails.
    let effects = app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE)),
        Instant::now(),
    );
    let (generation, page) = effects
        .iter()
        .find_map(|e| match e {
            Effect::Listing(ListingEffect::Fetch {
                generation, page, ..
            }) => Some((*generation, page.number)),
            _ => None,
        })
        .expect("G fetches the last page");
    let err = filescope::api::ApiError::Http {
        status: 502,
        url: "http://127.0.0.1:9/v1/files/organization-files?page=2".into(),
        code: Some("bad_gateway".into()),
        message: "The upstream storage node did not answer in time".into(),
        hint: None,
    };
    app.update(
        Msg::Listing(ListingMsg::Page {
            generation,
            page,
            result: Err(err),
        }),
        Instant::now(),
    );
    let line = footer(&render(&app, 80, 24));
    assert!(line.contains(&format!("page {page}")), "{line}");
    assert!(line.contains("R reloads"), "{line}");
}

/// An app on a `width`x`height` screen whose first page is `records`.
fn app_of_records(records: Vec<filescope::api::FileRecord>, width: u16, height: u16) -> App {
    let mut app = common::filejar_app(100);
    app.start(width, height, Instant::now());
    let generation = app.listing().pages().generation();
    let total = records.len();
    app.update(
        Msg::Listing(ListingMsg::Page {
            generation,
            page: 1,
            result: Ok(filescope::api::dialect::Page {
                records,
                total: Some(total),
                ..Default::default()
            }),
        }),
        Instant::now(),
    );
    app
}

/// Bug 25: on a wide screen a long type is shown whole while the names leave room, the
/// detail's JSON wraps between tokens with its continuations indented, and the table's last
/// column keeps a space from the pane beside it.
#[test]
fn wide_screens_give_the_room_to_what_needs_it() {
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let mut records = Vec::new();
    for (i, name) in ["budget.xlsx", "plan.xlsx"].iter().enumerate() {
        let mut r = common::record(i, name);
        r.content_type = Some(xlsx.to_string());
        let raw = serde_json::json!({
            "id": format!("id-{i}"),
            "file_name": name,
            "note": "kept for the quarterly review of the northwind storage-node-identifier-0042 migration",
        });
        r.raw = serde_json::value::RawValue::from_string(raw.to_string()).unwrap();
        records.push(r);
    }
    let app = app_of_records(records, 200, 50);
    let screen = render(&app, 200, 50);
    assert!(
        screen[2].contains(xlsx),
        "the type whole: {}",
        show(&screen)
    );
    // The table's rows end a column before the detail's border.
    let border = screen[2].chars().position(|c| c == '│').unwrap();
    for row in &screen[2..4] {
        let before: char = row.chars().nth(border - 1).unwrap();
        assert_eq!(before, ' ', "{row:?}");
    }
    // The JSON in the pane: no token cut, continuations indented.
    let pane: Vec<String> = screen
        .iter()
        .filter_map(|l| {
            let start = l.chars().position(|c| c == '│')?;
            let inner: String = l.chars().skip(start + 1).collect();
            Some(inner.trim_end_matches(['│', ' ']).to_string())
        })
        .collect();
    let json_start = pane.iter().position(|l| l == "{").unwrap();
    let json = &pane[json_start..];
    assert!(
        json.iter().any(|l| l.contains("storage-node-")),
        "{json:#?}"
    );
    assert!(
        json.iter().any(|l| l.trim_start().starts_with("identifier-0042")
            || l.contains("identifier-0042")),
        "{json:#?}"
    );
    for l in json.iter().skip(1) {
        if l == "}" {
            break;
        }
        assert!(
            l.starts_with("  "),
            "every line inside the braces is indented: {json:#?}"
        );
    }
    let words = "kept for the quarterly review of the northwind";
    let joined: String = json.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    for word in words.split(' ') {
        assert!(
            joined.split([' ', '"']).any(|w| w == word),
            "{word} cut in {json:#?}"
        );
    }
}

/// Bug 26: a mark goes in a gutter every row on screen keeps, so the names stay in line.
#[test]
fn marks_go_in_a_gutter_and_the_names_stay_in_line() {
    let mut app = app_showing(&NAMES, 4, 100, 10);
    press(&mut app, KeyCode::Char(' '));
    let screen = render(&app, 100, 10);
    // The column (in characters) where a name starts on its line.
    let at = |line: &str, name: &str| {
        let byte = line.find(name).unwrap_or_else(|| panic!("{line:?}"));
        line[..byte].chars().count()
    };
    assert!(
        screen[2].starts_with("● 2024-q1-master.pdf"),
        "{}",
        show(&screen)
    );
    assert_eq!(
        at(&screen[2], "2024-q1-master.pdf"),
        at(&screen[3], "site-visit.jpg"),
        "{}",
        show(&screen)
    );
}

/// Bug 26: an escape is drawn apart from the text (in the escape style) in the list, the
/// detail's fields and its JSON; the text around it is not.
#[test]
fn escapes_are_drawn_apart_from_the_text() {
    let hostile = "a\u{1b}[31mb.txt";
    let app = app_showing(&[hostile], 1, 120, 30);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let screen = common::screen_lines(&terminal);
    // Each place the escape is written: the cell of its backslash is drawn unlike the cell
    // of the `a` before it.
    let mut seen = 0;
    for (y, line) in screen.iter().enumerate() {
        for notation in ["a\\x1b", "a\\u001b"] {
            for (byte, _) in line.match_indices(notation) {
                let x = line[..byte].chars().count() as u16;
                let text = &buffer[(x, y as u16)];
                let slash = &buffer[(x + 1, y as u16)];
                assert!(
                    (slash.fg, slash.modifier) != (text.fg, text.modifier),
                    "{notation} on line {y} is drawn like its text: {line:?}"
                );
                seen += 1;
            }
        }
    }
    // The list, the detail's Name and the JSON.
    assert!(seen >= 3, "{seen}: {}", show(&screen));
}

/// Bug 26: the insight view at 80x24 keeps its size chart, and one file is "1 file".
#[test]
fn the_insight_view_at_80x24_keeps_every_chart_and_counts_one_file() {
    let mut app = app_showing(&["only.pdf"], 1, 80, 24);
    press(&mut app, KeyCode::Char('i'));
    let screen = render(&app, 80, 24).join("\n");
    assert!(screen.contains("Size      files"), "{screen}");
    assert!(screen.contains("≥10 GB"), "{screen}");
    assert!(screen.contains("Uploads per"), "{screen}");
    assert!(!screen.contains("1 files"), "{screen}");
    assert!(screen.contains("all 1 file "), "{screen}");
}

/// Bug 10: at 60x15 the preview's title and its bottom line end with `…` where cut, and the
/// lines shown are said first.
#[test]
fn the_preview_header_at_60x15_is_cut_with_an_ellipsis() {
    let name = "a-quarterly-report-of-the-northwind-storage-migration-with-appendices.txt";
    let mut app = app_showing(&[name], 1, 60, 15);
    press(&mut app, KeyCode::Char('p'));
    let id = app.selected().unwrap().id.clone();
    app.update(
        Msg::Files(FileMsg::Previewed {
            id,
            result: Ok(PreviewData {
                bytes: "one\ntwo\n".repeat(40).into_bytes(),
                extracted: false,
                size: Some(1 << 30),
            }),
        }),
        Instant::now(),
    );
    let screen = render(&app, 60, 15);
    let top = screen.iter().find(|l| l.starts_with('┌')).unwrap();
    assert!(top.contains('…'), "{}", show(&screen));
    let before = top.trim_end().chars().rev().nth(1).unwrap();
    assert!([' ', '─'].contains(&before), "{top:?}");
    let bottom = screen.iter().find(|l| l.starts_with('└')).unwrap();
    assert!(bottom.starts_with("└ lines 1–"), "{bottom:?}");
    let before = bottom.trim_end().chars().rev().nth(1).unwrap();
    assert!([' ', '─'].contains(&before), "{bottom:?}");
}

/// Bug 26: with 3 downloads running and 2 queued, `q` says so, not "5 downloads are
/// running", and says first what quits.
#[test]
fn quitting_counts_running_and_queued_downloads_apart() {
    let mut app = downloading_some_started(5, 3, 100, 20);
    if app.mode() == filescope::app::Mode::Transfers {
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Char('q'));
    let line = footer(&render(&app, 100, 20));
    assert!(line.contains("3 downloads are running, "), "{line}");
    assert!(line.contains(" queued"), "{line}");
    assert!(line.trim_start().starts_with("q again quits"), "{line}");
    assert!(!app.should_quit());
}

/// Bug 10: the help at 60x15 is narrower than its column: every line cut ends with `…`,
/// none is cut by the box's border.
#[test]
fn the_help_at_60x15_cuts_its_lines_with_an_ellipsis() {
    let mut app = app_showing(&NAMES, 4, 60, 15);
    press(&mut app, KeyCode::Char('?'));
    let rows = filescope::keymap::help_rows(&app.settings().keymap);
    let mut cut = 0;
    for _ in 0..20 {
        let screen = render(&app, 60, 15);
        let top = screen.iter().position(|l| l.contains("┌ Keys")).unwrap();
        for line in &screen[top + 1..] {
            if line.starts_with('└') {
                break;
            }
            let inside = line.trim_start_matches('│').trim_end_matches('│');
            // A line reaching the border is whole, or was cut and says so.
            let whole = rows
                .iter()
                .any(|(_, what)| !what.is_empty() && inside.ends_with(what));
            if !inside.ends_with(' ') && !whole {
                assert!(inside.ends_with('…'), "{line:?} in\n{}", show(&screen));
                cut += 1;
            }
        }
        if !screen.iter().any(|l| l.contains("more below")) {
            break;
        }
        press(&mut app, KeyCode::PageDown);
    }
    assert!(cut > 0, "some lines are too long for 60 columns");
}

/// Writes `path` over the prompt's suggestion.
fn type_path(app: &mut App, path: &str) {
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        Instant::now(),
    );
    type_text(app, path);
}

const LONG_PATH: &str = "/home/someone/reports/2026/december/northwind-storage-view.ndjson";

/// Bug 10: a path longer than the export prompt's room loses its start, shown by a leading
/// `…`, and the prompt keeps its Enter/Esc keys, at 80 and 60 columns.
#[test]
fn the_export_prompt_keeps_its_keys_and_cuts_the_path_on_the_left() {
    for (width, height) in [(80, 24), (60, 15)] {
        let mut app = app_showing(&NAMES, 4, width, height);
        press(&mut app, KeyCode::Char('x'));
        type_path(&mut app, LONG_PATH);
        let line = footer(&render(&app, width, height));
        assert!(line.ends_with("Esc cancel"), "{width}: {line:?}");
        assert!(line.contains("…"), "{width}: {line:?}");
        assert!(line.contains("-view.ndjson"), "{width}: {line:?}");
        assert!(line.starts_with("export "), "{width}: {line:?}");
    }
}

/// Bug 10: the "free name?" prompt, longer than 60 columns with its keys, cuts its question
/// with `…` and keeps the keys and the end of the free name.
#[test]
fn the_free_name_prompt_at_60_columns_keeps_its_keys() {
    let mut app = app_showing(&NAMES, 4, 60, 15);
    press(&mut app, KeyCode::Char('x'));
    type_path(&mut app, "/tmp/view.ndjson");
    let effects = app.update(
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        Instant::now(),
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, filescope::app::Effect::Files(FileEffect::Export(_)))),
        "{effects:?}"
    );
    app.update(
        Msg::Files(FileMsg::ExportExists {
            path: "/tmp/view.ndjson".into(),
            free: Some(LONG_PATH.into()),
        }),
        Instant::now(),
    );
    let line = footer(&render(&app, 60, 15));
    assert!(line.ends_with("Esc cancel"), "{line:?}");
    assert!(line.starts_with("that file exists;"), "{line:?}");
    assert!(line.contains("-view.ndjson"), "{line:?}");
    assert_eq!(line.matches('…').count(), 2, "question and path: {line:?}");
}

/// Issue 27, Expected 1: at 80x24 the list's footer names what a newcomer needs first —
/// Enter, Space, d, p and i — and moving and filtering come back with room.
#[test]
fn the_footer_at_80_columns_names_enter_space_d_p_and_i() {
    let app = app_showing(&NAMES, 4, 80, 24);
    let line = footer(&render(&app, 80, 24));
    for want in [
        "Enter detail",
        "Space mark",
        "d download",
        "p preview",
        "i stats",
        "? help",
        "q quit",
    ] {
        assert!(line.contains(want), "{want:?} in {line:?}");
    }
    let line = footer(&render(&app, 120, 24));
    assert!(
        line.contains("j/k move") && line.contains("/ filter"),
        "{line:?}"
    );
}

/// Docs that disagreed (issue 27): the footer changes with the focused pane — in the detail
/// the moves scroll it, in the contexts pane they move there and Enter chooses.
#[test]
fn the_footer_says_what_the_moves_do_in_the_focused_pane() {
    let mut app = dialect_app_showing("fileguard", &NAMES, 4, 160, 30);
    let line = footer(&render(&app, 160, 30));
    assert!(line.contains("j/k move ·"), "{line}");
    let mut seen = Vec::new();
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
        seen.push(footer(&render(&app, 160, 30)));
    }
    assert!(
        seen.iter().any(|l| l.contains("j/k scroll the detail")),
        "{seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("j/k move in contexts") && l.contains("Enter choose")),
        "{seen:#?}"
    );
}

/// Issue 27, bug 26: where the screen is too short for the insight summary, it says how much
/// more there is and PgDn scrolls to it (the uploads line at 100x16, below the size chart).
#[test]
fn the_insight_summary_scrolls_where_the_screen_is_short() {
    let mut app = app_showing(&NAMES, 4, 100, 16);
    press(&mut app, KeyCode::Char('i'));
    let screen = render(&app, 100, 16).join("\n");
    assert!(!screen.contains("Uploads per"), "{screen}");
    assert!(screen.contains("more lines: PgDn"), "{screen}");
    press(&mut app, KeyCode::PageDown);
    let screen = render(&app, 100, 16).join("\n");
    assert!(screen.contains("Uploads per"), "{screen}");
    assert!(screen.contains("PgUp: back to the top"), "{screen}");
    press(&mut app, KeyCode::PageUp);
    let screen = render(&app, 100, 16).join("\n");
    assert!(screen.contains("Kind      bytes"), "{screen}");
}

/// Issue 27, Expected 8: a click on a column's title sorts by it, a second click the other
/// way, as the sort menu's field keys do; the column is found where it is drawn.
#[test]
fn a_click_on_a_column_title_sorts_by_it() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    use filescope::api::{Order, SortField};
    let mut app = app_showing(&NAMES, 4, 120, 24);
    let click = |app: &mut App, column: u16, row: u16| {
        app.update(
            Msg::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column,
                row,
                modifiers: KeyModifiers::NONE,
            }),
            Instant::now(),
        );
    };
    let titles = render(&app, 120, 24)[1].clone();
    let at = |word: &str| {
        titles
            .find(word)
            .unwrap_or_else(|| panic!("{word} in {titles:?}")) as u16
    };
    click(&mut app, at("Size") + 1, 1);
    let sort = app.listing().sort().unwrap();
    assert_eq!(
        (sort.field, sort.order),
        (SortField::Size, Order::Desc),
        "largest first"
    );
    click(&mut app, at("Size") + 1, 1);
    assert_eq!(
        app.listing().sort().unwrap().order,
        Order::Asc,
        "again: the other way"
    );
    let titles = render(&app, 120, 24)[1].clone();
    let at = |word: &str| titles.find(word).unwrap() as u16;
    click(&mut app, at("Type"), 1);
    assert_eq!(app.listing().sort().unwrap().field, SortField::Type);
    click(&mut app, 2, 1);
    assert_eq!(app.listing().sort().unwrap().field, SortField::Name);
}
