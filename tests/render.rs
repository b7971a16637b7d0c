//! Render tests: the real views drawn on ratatui's TestBackend, compared line by line.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::time::Instant;

use common::{app_showing, dialect_app_showing, render, showing_with};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use filescope::app::actions::PreviewData;
use filescope::app::{App, Msg};
use filescope::app::{FileEffect, ScopesGeneration};
use filescope::config::{Column, Settings, Theme};

fn press(app: &mut App, code: KeyCode) {
    app.update(
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        Instant::now(),
    );
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
            " j/k move · / filter · s S o sort · : jump · Tab detail · ? help · q quit",
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
    assert_eq!(screen[6].trim_end(), "/rep");
    terminal.backend_mut().assert_cursor_position((4, 6));
}

#[test]
fn active_sort_and_filter_in_the_header() {
    let mut app = app_showing(&NAMES, 4, 100, 7);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "q1");
    press(&mut app, KeyCode::Enter);
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
            "Name                              Size Type             Created ↓       ┌ Detail ──────────────────────────────────────┐",
            "2024-q1-master.pdf                 0 B application/pdf  2024-03-02 09:14│Name      2024-q1-master.pdf                  │",
            "site-visit.jpg                  1000 B application/pdf  2024-03-02 09:15│ID        id-0                                │",
            "報告書.pdf                     2.0 KiB application/pdf  2024-03-02 09:16│Size      0 B (0 bytes)                       │",
            "notes.txt                      2.9 KiB application/pdf  2024-03-02 09:17│Type      application/pdf                     │",
            "                                                                        │Created   2024-03-02T09:14:00Z                │",
            "                                                                        │Updated   2024-03-02T09:14:00Z                │",
            "                                                                        │URL       https://cdn.example.test/0          │",
            "                                                                        │                                              │",
            "                                                                        │Raw JSON                                      │",
            "                                                                        │{                                             │",
            "                                                                        └──────────────────────────────────────────────┘",
            " j/k move · / filter · s S o sort · : jump · Tab detail · ? help · q quit",
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
            " filescope  test (filejar) · No row 1 of 4 · sort created ↓",
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
            " j/k move · / filter · s S o sort · : jump · Tab detail · ?",
        ],
    );
}

#[test]
fn help_lists_every_key() {
    let mut app = app_showing(&NAMES, 4, 80, 50);
    press(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 50).join("\n");
    assert!(screen.contains("Keys (any other key closes)"));
    for (label, help) in app.settings().keymap.entries() {
        assert!(screen.contains(&label), "help misses {label}");
        assert!(screen.contains(help), "help misses {help}");
    }
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
            " row 1 of 4 · sort c",
            "Name",
            "2024-q1-master.pdf",
            "site-visit.jpg",
            "報告書.pdf",
            " j/k move · / filter",
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
        Msg::Scopes {
            generation: ScopesGeneration(1),
            page: 1,
            result: Ok(ScopePage {
                scopes: vec![folder("f1", "Marketing"), folder("f2", "Legal\u{1b}[2J")],
                has_next: false,
            }),
        },
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
        screen[1].starts_with("┌ Folders (Backspace: up) ─"),
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
            .ends_with("sort name ↑ · sorted locally · 4 of 400 loaded · L loads all"),
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
                lines[1].starts_with(" Insight — all 4 fil"),
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
        Msg::Scopes {
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
        },
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
        Msg::TargetsChecked {
            dir,
            records,
            existing: Vec::new(),
        },
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
                Msg::Previewed {
                    id,
                    result: Ok(PreviewData {
                        bytes: text.into_bytes(),
                        extracted: false,
                        size: None,
                    }),
                },
                Instant::now(),
            );
            assert_eq!(app.mode(), filescope::app::Mode::Preview);
        }
        let _ = render(&app, w, h);
        app.update(
            Msg::ShowValue {
                title: "link".into(),
                text: "https://x.test/".repeat(40),
            },
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
        footer.contains("y copy · Space mark · d download · p preview"),
        "{footer}"
    );
}
