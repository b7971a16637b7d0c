//! Text helpers shared by the views and the command line: making server strings safe for a
//! terminal, and formatting sizes, counts and dates for humans.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

pub mod shell;

/// True for characters that must never reach the terminal as they are: C0 and C1 controls,
/// DEL, bidirectional overrides and isolates (which can disguise `exe` as `pdf`), and the
/// invisible separators that break lines or hide text.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
    )
}

/// Makes a string that came from a server safe to draw: every unsafe character is replaced by
/// a visible escape (`\n`, `\t`, `\r`, `\x1b`, `\u{202e}`), so nothing in it is ever interpreted
/// by the terminal. Borrows when there is nothing to replace, which is the common case.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find(is_unsafe) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// `s` made safe as [`sanitize`] makes it, in pieces: the text as it came (`false`) and each
/// run of escapes (`true`), so a view can draw an escape unlike the text around it (a name
/// with a literal `\x1b` in it is text, not an escape).
pub fn sanitize_pieces(s: &str) -> Vec<(Cow<'_, str>, bool)> {
    let mut pieces: Vec<(Cow<'_, str>, bool)> = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let text_end = rest.find(is_unsafe).unwrap_or(rest.len());
        if text_end > 0 {
            pieces.push((Cow::Borrowed(&rest[..text_end]), false));
        }
        rest = &rest[text_end..];
        let escapes_end = rest.find(|c| !is_unsafe(c)).unwrap_or(rest.len());
        if escapes_end > 0 {
            let mut escaped = String::new();
            for c in rest[..escapes_end].chars() {
                push_escaped(&mut escaped, c);
            }
            pieces.push((Cow::Owned(escaped), true));
        }
        rest = &rest[escapes_end..];
    }
    pieces
}

fn push_escaped(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A byte count for humans, in binary units: `0 B`, `512 B`, `1.5 KiB`, `245 MiB`.
/// At most 8 characters wide, so a size column never needs more.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    // Round first so 1023.96 KiB prints as "1024 KiB" rather than "1024.0 KiB".
    if value < 99.95 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// A count with thousands separators: `100000` → `100,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A count and its noun, plural unless one: `1 file`, `12 files`, `1,000 downloads`.
/// Nouns here all take an `s`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", thousands(n))
    }
}

/// Downloads under way, `active` in all of which `running` run and the rest wait:
/// `1 download is running`, `3 downloads are running, 2 queued`, `2 downloads are queued`.
pub fn under_way(running: usize, active: usize) -> String {
    let queued = active.saturating_sub(running);
    let verb = |n: usize| if n == 1 { "is" } else { "are" };
    match (running, queued) {
        (0, q) => format!("{} {} queued", count(q, "download"), verb(q)),
        (r, 0) => format!("{} {} running", count(r, "download"), verb(r)),
        (r, q) => format!(
            "{} {} running, {} queued",
            count(r, "download"),
            verb(r),
            thousands(q)
        ),
    }
}

/// Cuts `text` to `width` display columns, ending with `…` when anything was cut, so a cut
/// is never silent.
pub fn fit_width(text: &str, width: usize) -> Cow<'_, str> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `parts` joined by `sep` in `width` columns: while too wide, the part of highest rank is
/// left out (the first of equal ranks is kept longest); what is still too wide ends with `…`.
pub fn fit_parts(parts: &[(u8, &str)], sep: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut kept: Vec<(u8, &str)> = parts
        .iter()
        .copied()
        .filter(|(_, p)| !p.is_empty())
        .collect();
    let joined = |kept: &[(u8, &str)]| kept.iter().map(|(_, p)| *p).collect::<Vec<_>>().join(sep);
    while joined(&kept).width() > width && kept.len() > 1 {
        let Some(worst) = (0..kept.len()).max_by_key(|i| (kept[*i].0, *i)) else {
            break;
        };
        kept.remove(worst);
    }
    fit_width(&joined(&kept), width).into_owned()
}

/// A timestamp as the table shows it: minutes, UTC.
pub fn short_date(t: &DateTime<Utc>) -> String {
    t.format(DEFAULT_DATE_FORMAT).to_string()
}

/// The table's date format unless the configuration says otherwise.
pub const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d %H:%M";

/// A timestamp as the detail pane and `ls` show it: RFC 3339, UTC, seconds.
pub fn full_date(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_borrows_clean_text() {
        assert!(matches!(sanitize("report-2024.pdf"), Cow::Borrowed(_)));
        assert!(matches!(sanitize("報告書 é 🎉"), Cow::Borrowed(_)));
    }

    #[test]
    fn sanitize_escapes_every_control() {
        assert_eq!(sanitize("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(
            sanitize("a\u{1b}]52;c;ZXZpbA==\u{7}b"),
            "a\\x1b]52;c;ZXZpbA==\\x07b"
        );
        assert_eq!(sanitize("line\none\r\ttab"), "line\\none\\r\\ttab");
        assert_eq!(sanitize("c1\u{9b}31m"), "c1\\x9b31m");
        assert_eq!(sanitize("nul\u{0}"), "nul\\x00");
        assert_eq!(sanitize("del\u{7f}"), "del\\x7f");
        assert_eq!(
            sanitize("invoice\u{202e}fdp.exe"),
            "invoice\\u{202e}fdp.exe"
        );
        assert_eq!(sanitize("\u{2066}iso\u{2069}"), "\\u{2066}iso\\u{2069}");
    }

    #[test]
    fn pieces_are_the_sanitized_text_with_the_escapes_apart() {
        let hostile = "a\u{1b}[31mb\u{202e}\u{7}c \\x1b";
        let pieces = sanitize_pieces(hostile);
        let joined: String = pieces.iter().map(|(p, _)| p.as_ref()).collect();
        assert_eq!(joined, sanitize(hostile));
        let escapes: Vec<&str> = pieces
            .iter()
            .filter(|(_, e)| *e)
            .map(|(p, _)| p.as_ref())
            .collect();
        assert_eq!(escapes, ["\\x1b", "\\u{202e}\\x07"]);
        assert!(sanitize_pieces("").is_empty());
    }

    #[test]
    fn sanitized_output_has_no_control_characters() {
        let hostile: String = (0u32..0x250).filter_map(char::from_u32).collect();
        let safe = sanitize(&hostile);
        assert!(!safe.chars().any(is_unsafe), "{safe:?}");
        assert!(!safe.chars().any(char::is_control));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(482_113), "471 KiB");
        assert_eq!(human_size(1_048_575), "1024 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
        for n in [0, 999, 1023, 1024, 99_999, 1 << 40, u64::MAX] {
            assert!(human_size(n).len() <= 8, "{n}");
        }
    }

    #[test]
    fn counts_say_one_without_an_s() {
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(0, "file"), "0 files");
        assert_eq!(count(1_500, "download"), "1,500 downloads");
    }

    #[test]
    fn downloads_under_way_count_the_running_and_the_queued_apart() {
        assert_eq!(under_way(1, 1), "1 download is running");
        assert_eq!(under_way(3, 5), "3 downloads are running, 2 queued");
        assert_eq!(under_way(0, 2), "2 downloads are queued");
    }

    #[test]
    fn cut_text_ends_with_an_ellipsis() {
        assert_eq!(fit_width("report.pdf", 20), "report.pdf");
        assert_eq!(fit_width("report.pdf", 7), "report…");
        assert_eq!(fit_width("報告書です.pdf", 6), "報告…");
        assert_eq!(fit_width("abc", 0), "");
    }

    #[test]
    fn parts_that_do_not_fit_go_highest_rank_first_then_the_rest_is_cut_with_an_ellipsis() {
        let parts = [
            (0, "Transfers"),
            (2, "3 running"),
            (5, "t focuses"),
            (1, "1 MiB"),
        ];
        assert_eq!(
            fit_parts(&parts, " · ", 60),
            "Transfers · 3 running · t focuses · 1 MiB"
        );
        assert_eq!(
            fit_parts(&parts, " · ", 30),
            "Transfers · 3 running · 1 MiB"
        );
        assert_eq!(fit_parts(&parts, " · ", 20), "Transfers · 1 MiB");
        assert_eq!(fit_parts(&parts, " · ", 6), "Trans…");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
