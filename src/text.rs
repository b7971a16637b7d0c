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
    fn cut_text_ends_with_an_ellipsis() {
        assert_eq!(fit_width("report.pdf", 20), "report.pdf");
        assert_eq!(fit_width("report.pdf", 7), "report…");
        assert_eq!(fit_width("報告書です.pdf", 6), "報告…");
        assert_eq!(fit_width("abc", 0), "");
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
