//! Helpers for the tests and the benchmark, behind the `test-support` feature so they are
//! written once and never reach a release binary: a terminal host that records instead of
//! writing, and builders for records, apps, keys and rendered screens.
#![allow(clippy::unwrap_used)]

use std::io;

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use serde_json::value::RawValue;

use crate::api::FileRecord;
use crate::api::dialect::by_id;
use crate::app::{App, ConnectionInfo, Msg};
use crate::config::Settings;
use crate::runtime::Host;

/// A host for tests: records what would reach the terminal, runs no programs.
#[derive(Debug, Default)]
pub struct RecordingHost {
    pub raw: Vec<u8>,
    pub programs: Vec<String>,
}

impl<B: Backend> Host<B> for RecordingHost {
    fn suspend(&mut self, _terminal: &mut Terminal<B>) -> io::Result<()> {
        Ok(())
    }

    fn write_raw(&mut self, _terminal: &mut Terminal<B>, bytes: &[u8]) -> io::Result<()> {
        self.raw.extend_from_slice(bytes);
        Ok(())
    }

    fn hand_over(
        &mut self,
        _terminal: &mut Terminal<B>,
        command: &mut std::process::Command,
    ) -> io::Result<std::process::ExitStatus> {
        self.programs
            .push(command.get_program().to_string_lossy().into_owned());
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no programs are run in tests",
        ))
    }
}

/// A FileJar-shaped record with predictable fields: id `id-{i}`, size `i × 1000`, a PDF
/// created `i` minutes after 2024-03-02 09:14 UTC.
/// A record that is only its id (as its name too): no size, type, dates or link.
pub fn bare_record(id: &str) -> FileRecord {
    FileRecord {
        id: id.to_string(),
        name: id.to_string(),
        size: None,
        content_type: None,
        created_at: None,
        updated_at: None,
        url: None,
        problems: Vec::new(),
        raw: RawValue::from_string("{}".into()).expect("{} is JSON"),
    }
}

pub fn record(i: usize, name: &str) -> FileRecord {
    let created =
        Utc.with_ymd_and_hms(2024, 3, 2, 9, 14, 0).unwrap() + chrono::Duration::minutes(i as i64);
    let raw = serde_json::json!({"id": format!("id-{i}"), "file_name": name, "size": i * 1000});
    FileRecord {
        id: format!("id-{i}"),
        name: name.to_string(),
        size: Some(i as u64 * 1000),
        content_type: Some("application/pdf".to_string()),
        created_at: Some(created),
        updated_at: Some(created),
        url: Some(format!("https://cdn.example.test/{i}")),
        problems: Vec::new(),
        raw: RawValue::from_string(raw.to_string()).unwrap(),
    }
}

/// An app on a dialect with the default settings.
pub fn app_for(dialect: &str, page_size: usize) -> App {
    app_with(dialect, page_size, Settings::default())
}

/// An app on a dialect with these settings.
pub fn app_with(dialect: &str, page_size: usize, settings: Settings) -> App {
    let dialect = by_id(dialect).unwrap();
    let info = ConnectionInfo {
        label: "test".into(),
        dialect: dialect.id().to_string(),
    };
    App::new(info, dialect, page_size, settings)
}

/// A key press of a character.
pub fn key(c: char) -> Msg {
    code(KeyCode::Char(c))
}

/// A key press.
pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A key press with Ctrl.
pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The keys that type `text` and press Enter (a prompt's answer).
pub fn typed(text: &str) -> Vec<Msg> {
    text.chars()
        .map(key)
        .chain(std::iter::once(code(KeyCode::Enter)))
        .collect()
}

/// The explorer's state on a client's connection as `filescope` starts it: the dialect's
/// own page size, default settings, the dialect's name as the label.
pub fn app_on(client: &crate::api::Client) -> App {
    let dialect = client.connection().dialect.clone();
    let info = crate::app::ConnectionInfo {
        label: dialect.id().to_string(),
        dialect: dialect.id().to_string(),
    };
    let page = dialect.capabilities().ui_page_size;
    App::new(info, client.connection().store(), page, Default::default())
}

/// Draws the app and returns the screen as text, one string per line.
pub fn render(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::ui::draw(f, app)).unwrap();
    screen_lines(&terminal)
}

/// The screen of a test terminal as text, one string per line.
pub fn screen_lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    buffer_lines(terminal.backend().buffer())
}

/// A buffer as text, one string per line.
pub fn buffer_lines(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width.max(1))
        .map(|row| {
            // A wide character fills two cells; the second holds nothing of its own.
            let mut line = String::new();
            let mut skip = false;
            for cell in row {
                if !std::mem::take(&mut skip) {
                    line.push_str(cell.symbol());
                    skip = unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1;
                }
            }
            line
        })
        .collect()
}
