//! The file table's columns: which fit a width, and how wide each is. The view draws with
//! them and the mouse reads a click on the titles through them, so a click lands on the
//! column drawn there.

use ratatui::layout::Constraint;

use crate::api::SortField;
use crate::config::Column;
use crate::listing::Row;
use crate::text::sanitize;

use super::App;

/// Which columns fit: the name always, then size, date and type as width allows, then the
/// columns read from the record (`[ui] columns`' dotted paths) while the name keeps room.
pub struct Columns<'a> {
    pub size: bool,
    pub date: bool,
    pub kind: bool,
    pub kind_width: u16,
    pub date_format: &'a str,
    pub date_width: u16,
    /// Fields of the record, by title and dotted path, and their width.
    pub paths: Vec<(&'a str, &'a str, u16)>,
}

/// Narrowest the name is left by a column from the record.
pub const NAME_ROOM: u16 = 24;

impl<'a> Columns<'a> {
    pub fn for_width(width: u16, date_format: &'a str, wanted: &'a [Column]) -> Self {
        let want = |c: Column| wanted.contains(&c);
        // As wide as the format makes a date (the configured format may be longer).
        let sample = chrono::DateTime::<chrono::Utc>::from_timestamp(1_798_761_599, 0)
            .map(|t| t.format(date_format).to_string())
            .unwrap_or_default();
        let date_width =
            (unicode_width::UnicodeWidthStr::width(sample.as_str()) as u16).clamp(4, 40);
        // Columns the user turned off leave their room to the others.
        let date_room = if want(Column::Date) { date_width } else { 0 };
        let mut cols = Columns {
            size: want(Column::Size) && width >= 30,
            date: want(Column::Date) && width >= 40 + date_width,
            kind: want(Column::Type) && width >= 54 + date_room,
            kind_width: if width >= 100 { 24 } else { 16 },
            date_format,
            date_width,
            paths: Vec::new(),
        };
        for column in wanted {
            if let Column::Path { title, path } = column {
                let w =
                    (unicode_width::UnicodeWidthStr::width(title.as_str()) as u16).clamp(12, 24);
                if cols.name_width(width) > NAME_ROOM + w {
                    cols.paths.push((title.as_str(), path.as_str(), w));
                }
            }
        }
        cols
    }

    /// Columns the name gets in a table `width` wide: what the others leave, less the gaps.
    pub fn name_width(&self, width: u16) -> u16 {
        let mut fixed = 0;
        for (shown, w) in [
            (self.size, 8),
            (self.kind, self.kind_width),
            (self.date, self.date_width),
        ] {
            if shown {
                fixed += w + 1;
            }
        }
        for (_, _, w) in &self.paths {
            fixed += w + 1;
        }
        width.saturating_sub(fixed).max(10)
    }

    /// Widens the type column towards its longest value, `kinds` columns, as far as the
    /// name column can give without cutting a name of `names` columns (nor going below
    /// [`NAME_ROOM`]).
    pub fn widen_kind(&mut self, kinds: usize, names: usize, width: u16) {
        let want = (kinds.min(u16::MAX as usize) as u16).saturating_sub(self.kind_width);
        let keep = (names.min(u16::MAX as usize) as u16).max(NAME_ROOM);
        let spare = self.name_width(width).saturating_sub(keep);
        self.kind_width += want.min(spare);
    }

    pub fn widths(&self) -> Vec<Constraint> {
        let mut w = vec![Constraint::Min(10)];
        if self.size {
            w.push(Constraint::Length(8));
        }
        if self.kind {
            w.push(Constraint::Length(self.kind_width));
        }
        for (_, _, width) in &self.paths {
            w.push(Constraint::Length(*width));
        }
        if self.date {
            w.push(Constraint::Length(self.date_width));
        }
        w
    }
}

/// What a column of the table is, for a click on its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Title {
    /// A field the listing can be sorted by.
    Sorts(SortField),
    /// A field read from the record (`[ui] columns`), which sorts nothing.
    Other,
}

impl Columns<'_> {
    /// Each column's title and the display columns it spans, left to right, in a table
    /// `width` wide (one column between them, as the view lays them out); the date column
    /// is `updated` when the listing is sorted by it.
    pub fn spans(&self, width: u16, show_updated: bool) -> Vec<(Title, std::ops::Range<u16>)> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut push = |title, w: u16| {
            out.push((title, at..at + w));
            at += w + 1;
        };
        push(Title::Sorts(SortField::Name), self.name_width(width));
        if self.size {
            push(Title::Sorts(SortField::Size), 8);
        }
        if self.kind {
            push(Title::Sorts(SortField::Type), self.kind_width);
        }
        for (_, _, w) in &self.paths {
            push(Title::Other, *w);
        }
        if self.date {
            let field = if show_updated {
                SortField::Updated
            } else {
                SortField::Created
            };
            push(Title::Sorts(field), self.date_width);
        }
        out
    }
}

impl App {
    /// The table's columns in `width`: as the settings ask and the width allows, versions'
    /// own in a listing of versions, the type widened towards the longest one on screen.
    pub fn table_columns(&self, width: u16) -> Columns<'_> {
        let settings = self.settings();
        let mut cols = Columns::for_width(width, settings.date_format.as_str(), &settings.columns);
        if self.versions_of().is_some() {
            // A listing of versions says which version each row is, as width allows: in the
            // type's room first (one key's versions have one type).
            cols.kind = false;
            for (title, path, w) in [
                ("Version", "VersionId", 14),
                ("Latest", "IsLatest", 6),
                ("Marker", "DeleteMarker", 6),
            ] {
                if cols.name_width(width) > NAME_ROOM + w {
                    cols.paths.push((title, path, w));
                }
            }
        }
        // A long type (`application/vnd.openxmlformats-…`) takes the room the names leave.
        if cols.kind {
            let visible = self.cursor().visible(self.listing().display_len());
            let longest = |of: &dyn Fn(&crate::api::FileRecord) -> usize| {
                visible
                    .clone()
                    .filter_map(|i| match self.row(i) {
                        Row::Loaded(r) => Some(of(r)),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0)
            };
            let width_of = |text: &str| unicode_width::UnicodeWidthStr::width(text);
            let kinds = longest(&|r| width_of(&sanitize(r.content_type.as_deref().unwrap_or(""))));
            let names = longest(&|r| width_of(&sanitize(&r.name)) + 2);
            cols.widen_kind(kinds, names, width);
        }
        cols
    }
}
