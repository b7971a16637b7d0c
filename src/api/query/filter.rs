//! The filter language shared by the TUI's filter bar and `ls --filter`: free text plus
//! structured terms, e.g. `report type:image size>1MB context:patient_reports trashed:true`.
//!
//! Parsing is pure and knows nothing of dialects except the list of term keys the caller allows;
//! which terms a server applies and which are applied locally is decided in [`super::plan`].

use std::fmt;

use crate::api::record::FileRecord;
use crate::text::thousands;

/// The key of a structured term, as typed before the `:` (or the comparison for `size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermKey {
    /// `type:image` (a category or MIME prefix) or `type:application/pdf` (an exact MIME type).
    Type,
    /// `size>1MB`, `size<=500KiB`, `size=0`.
    Size,
    /// FileGuard's `context:patient_reports`.
    Context,
    /// FileGuard's `uploaded_by:key_abc123`.
    UploadedBy,
    /// AstraCollab's `folder:folder_123`.
    Folder,
    /// Flextell's `trashed:true`.
    Trashed,
    /// Flextell's `fileable:customer` or `fileable:customer#912`.
    Fileable,
    /// S3's `prefix:logs/2025`: keys under a prefix, from the listing's root.
    Prefix,
}

impl TermKey {
    pub const ALL: [TermKey; 8] = [
        TermKey::Type,
        TermKey::Size,
        TermKey::Context,
        TermKey::UploadedBy,
        TermKey::Folder,
        TermKey::Trashed,
        TermKey::Fileable,
        TermKey::Prefix,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TermKey::Type => "type",
            TermKey::Size => "size",
            TermKey::Context => "context",
            TermKey::UploadedBy => "uploaded_by",
            TermKey::Folder => "folder",
            TermKey::Trashed => "trashed",
            TermKey::Fileable => "fileable",
            TermKey::Prefix => "prefix",
        }
    }

    /// How the term is written, for help and error messages.
    pub fn example(self) -> &'static str {
        match self {
            TermKey::Type => "type:image",
            TermKey::Size => "size>1MB",
            TermKey::Context => "context:KEY",
            TermKey::UploadedBy => "uploaded_by:ID",
            TermKey::Folder => "folder:ID",
            TermKey::Trashed => "trashed:true",
            TermKey::Fileable => "fileable:TYPE#ID",
            TermKey::Prefix => "prefix:PATH",
        }
    }

    /// Whether filescope can apply the term itself from the normalized record, when the server
    /// cannot.
    pub fn is_local(self) -> bool {
        matches!(self, TermKey::Type | TermKey::Size)
    }

    fn parse(name: &str) -> Option<TermKey> {
        TermKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A size comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Eq => "=",
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
        }
    }

    fn holds(self, value: u64, bound: u64) -> bool {
        match self {
            Cmp::Lt => value < bound,
            Cmp::Le => value <= bound,
            Cmp::Eq => value == bound,
            Cmp::Ge => value >= bound,
            Cmp::Gt => value > bound,
        }
    }
}

/// The unit a size was typed in, kept so the filter reads back as typed and says whether `MB`
/// meant 1000² bytes or `MiB` 1024² (sizes are shown in binary units, `1004 KiB`, which a
/// decimal `size>1MB` keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeUnit {
    B,
    KB,
    MB,
    GB,
    TB,
    KiB,
    MiB,
    GiB,
    TiB,
}

impl SizeUnit {
    /// How many bytes one of this unit is.
    pub fn bytes(self) -> u64 {
        match self {
            SizeUnit::B => 1,
            SizeUnit::KB => 1_000,
            SizeUnit::MB => 1_000_000,
            SizeUnit::GB => 1_000_000_000,
            SizeUnit::TB => 1_000_000_000_000,
            SizeUnit::KiB => 1 << 10,
            SizeUnit::MiB => 1 << 20,
            SizeUnit::GiB => 1 << 30,
            SizeUnit::TiB => 1 << 40,
        }
    }

    /// The unit's symbol: `kB MB GB TB` (powers of 1000), `KiB MiB GiB TiB` (powers of 1024).
    pub fn symbol(self) -> &'static str {
        match self {
            SizeUnit::B => "B",
            SizeUnit::KB => "kB",
            SizeUnit::MB => "MB",
            SizeUnit::GB => "GB",
            SizeUnit::TB => "TB",
            SizeUnit::KiB => "KiB",
            SizeUnit::MiB => "MiB",
            SizeUnit::GiB => "GiB",
            SizeUnit::TiB => "TiB",
        }
    }

    /// Case-insensitive; a bare number or `B` is bytes, and the one-letter forms (`K M G T`)
    /// are binary, as in `ls -h`.
    fn parse(text: &str) -> Option<SizeUnit> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "" | "b" => SizeUnit::B,
            "kb" => SizeUnit::KB,
            "mb" => SizeUnit::MB,
            "gb" => SizeUnit::GB,
            "tb" => SizeUnit::TB,
            "k" | "kib" => SizeUnit::KiB,
            "m" | "mib" => SizeUnit::MiB,
            "g" | "gib" => SizeUnit::GiB,
            "t" | "tib" => SizeUnit::TiB,
            _ => return None,
        })
    }

    /// `bytes` in this unit, as short as it is exact: `1`, `1.5`, `1000000` for bytes.
    fn amount(self, bytes: u64) -> String {
        let one = self.bytes();
        if bytes.is_multiple_of(one) {
            (bytes / one).to_string()
        } else {
            (bytes as f64 / one as f64).to_string()
        }
    }
}

/// One structured term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    Type(String),
    /// A comparison, the bound in bytes, and the unit it was typed in.
    Size(Cmp, u64, SizeUnit),
    Context(String),
    UploadedBy(String),
    Folder(String),
    Prefix(String),
    Trashed(bool),
    Fileable {
        kind: String,
        id: Option<u64>,
    },
}

impl Term {
    pub fn key(&self) -> TermKey {
        match self {
            Term::Type(_) => TermKey::Type,
            Term::Size(..) => TermKey::Size,
            Term::Context(_) => TermKey::Context,
            Term::UploadedBy(_) => TermKey::UploadedBy,
            Term::Folder(_) => TermKey::Folder,
            Term::Prefix(_) => TermKey::Prefix,
            Term::Trashed(_) => TermKey::Trashed,
            Term::Fileable { .. } => TermKey::Fileable,
        }
    }

    /// Whether a record passes this term, for terms applied locally ([`TermKey::is_local`]).
    /// Terms that cannot be judged from the normalized record pass everything.
    pub fn matches(&self, record: &FileRecord) -> bool {
        match self {
            Term::Type(want) => record
                .content_type
                .as_deref()
                .is_some_and(|mime| type_matches(want, mime)),
            Term::Size(cmp, bound, _) => record.size.is_some_and(|size| cmp.holds(size, *bound)),
            _ => true,
        }
    }

    /// The bounds of a size term as `(at least, at most)` in bytes, for APIs that take a range.
    pub fn size_range(&self) -> Option<(Option<u64>, Option<u64>)> {
        let Term::Size(cmp, n, _) = *self else {
            return None;
        };
        Some(match cmp {
            Cmp::Lt => (None, Some(n.checked_sub(1)?)),
            Cmp::Le => (None, Some(n)),
            Cmp::Eq => (Some(n), Some(n)),
            Cmp::Ge => (Some(n), None),
            Cmp::Gt => (Some(n.checked_add(1)?), None),
        })
    }

    /// A size term in words, with the unit it used and the bytes that makes:
    /// `size > 1 MB (1,000,000 B)`, `size ≤ 1 MiB (1,048,576 B)`; `None` for other terms.
    pub fn size_in_words(&self) -> Option<String> {
        let Term::Size(cmp, n, unit) = *self else {
            return None;
        };
        let symbol = match cmp {
            Cmp::Le => "≤",
            Cmp::Ge => "≥",
            other => other.symbol(),
        };
        let exact = usize::try_from(n).map_or_else(|_| n.to_string(), thousands);
        Some(if unit == SizeUnit::B {
            format!("size {symbol} {exact} B")
        } else {
            format!(
                "size {symbol} {} {} ({exact} B)",
                unit.amount(n),
                unit.symbol()
            )
        })
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Type(v) => write!(f, "type:{v}"),
            Term::Size(cmp, n, SizeUnit::B) => write!(f, "size{}{n}", cmp.symbol()),
            Term::Size(cmp, n, unit) => {
                write!(
                    f,
                    "size{}{}{}",
                    cmp.symbol(),
                    unit.amount(*n),
                    unit.symbol()
                )
            }
            Term::Context(v) => write!(f, "context:{v}"),
            Term::UploadedBy(v) => write!(f, "uploaded_by:{v}"),
            Term::Folder(v) => write!(f, "folder:{v}"),
            Term::Prefix(v) => write!(f, "prefix:{v}"),
            Term::Trashed(v) => write!(f, "trashed:{v}"),
            Term::Fileable { kind, id: None } => write!(f, "fileable:{kind}"),
            Term::Fileable { kind, id: Some(id) } => write!(f, "fileable:{kind}#{id}"),
        }
    }
}

/// `type:image` matches every `image/…` type; `type:application/pdf` only that type; a
/// document category matches the usual office and text types. Case-insensitive.
pub fn type_matches(want: &str, mime: &str) -> bool {
    let want = want.to_ascii_lowercase();
    let mime = mime.to_ascii_lowercase();
    if want.contains('/') {
        return mime == want;
    }
    let top = mime.split('/').next().unwrap_or("");
    match want.as_str() {
        "document" => {
            top == "text"
                || mime == "application/pdf"
                || mime.contains("document")
                || mime.contains("msword")
                || mime.contains("spreadsheet")
                || mime.contains("presentation")
                || mime.contains("ms-excel")
                || mime.contains("ms-powerpoint")
        }
        _ => top == want,
    }
}

/// A parsed filter: the free text (words joined by single spaces) and the terms, in the order
/// typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub text: String,
    pub terms: Vec<Term>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.terms.is_empty()
    }

    /// The size terms in words, each with the unit it used (`size > 1 MB (1,000,000 B)`), for
    /// the status line when the filter is applied; `None` without a size term.
    pub fn sizes_in_words(&self) -> Option<String> {
        let words: Vec<String> = self.terms.iter().filter_map(Term::size_in_words).collect();
        (!words.is_empty()).then(|| words.join(", "))
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for part in std::iter::once(self.text.clone())
            .filter(|t| !t.is_empty())
            .chain(self.terms.iter().map(ToString::to_string))
        {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(&part)?;
        }
        Ok(())
    }
}

/// Parses filter text. `allowed` lists the term keys the connection understands; any other
/// `word:` prefix that names a known key is an error naming the allowed ones. Words with a `:`
/// that is not a term key (e.g. `12:30`) are free text. Values may be quoted: `context:"a b"`.
pub fn parse(input: &str, allowed: &[TermKey]) -> Result<Filter, String> {
    let mut filter = Filter::default();
    let mut words = Vec::new();
    for token in tokens(input)? {
        match term(&token, allowed)? {
            Some(term) => filter.terms.push(term),
            None => words.push(token),
        }
    }
    filter.text = words.join(" ");
    Ok(filter)
}

/// Splits on whitespace, keeping double-quoted runs together (quotes removed).
fn tokens(input: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in input.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            c => {
                current.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err("unclosed quote in the filter".to_string());
    }
    if started {
        out.push(current);
    }
    Ok(out)
}

fn allowed_list(allowed: &[TermKey]) -> String {
    if allowed.is_empty() {
        return "none; this API takes free text only".to_string();
    }
    allowed
        .iter()
        .map(|k| k.example())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads one token as a term; `Ok(None)` when it is free text.
fn term(token: &str, allowed: &[TermKey]) -> Result<Option<Term>, String> {
    if let Some(rest) = token.strip_prefix("size") {
        let Some((cmp, value)) = comparison(rest) else {
            return Ok(None);
        };
        check_allowed(TermKey::Size, allowed)?;
        let (bytes, unit) = size_and_unit(value).ok_or_else(|| {
            format!("{token}: {value:?} is not a size (try size>1MB, size<=500KiB, size>0)")
        })?;
        return Ok(Some(Term::Size(cmp, bytes, unit)));
    }
    let Some((name, value)) = token.split_once(':') else {
        return Ok(None);
    };
    let Some(key) = TermKey::parse(&name.to_ascii_lowercase()) else {
        // `http://…`, `12:30` and the like are words, but `foo:bar` with a plain identifier
        // before the colon is almost certainly a mistyped term.
        let looks_like_term = !name.is_empty()
            && !value.is_empty()
            && !value.starts_with('/')
            && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
        if looks_like_term {
            return Err(format!(
                "unknown filter term {name:?}; this API takes: {}",
                allowed_list(allowed)
            ));
        }
        return Ok(None);
    };
    check_allowed(key, allowed)?;
    if value.is_empty() {
        return Err(format!("{name}: needs a value, e.g. {}", key.example()));
    }
    let text = value.to_string();
    Ok(Some(match key {
        TermKey::Type => Term::Type(text),
        TermKey::Context => Term::Context(text),
        TermKey::UploadedBy => Term::UploadedBy(text),
        TermKey::Folder => Term::Folder(text),
        TermKey::Prefix => Term::Prefix(text),
        TermKey::Trashed => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Term::Trashed(true),
            "false" | "no" | "0" => Term::Trashed(false),
            _ => return Err(format!("trashed: expects true or false, not {value:?}")),
        },
        TermKey::Fileable => {
            let (kind, id) = match value.split_once('#') {
                Some((kind, id)) => {
                    let id = id.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("fileable: the id after # must be a number ≥ 1, not {id:?}")
                    })?;
                    (kind, Some(id))
                }
                None => (value, None),
            };
            Term::Fileable {
                kind: kind.to_string(),
                id,
            }
        }
        TermKey::Size => unreachable!("size is parsed above"),
    }))
}

fn check_allowed(key: TermKey, allowed: &[TermKey]) -> Result<(), String> {
    if allowed.contains(&key) {
        Ok(())
    } else {
        Err(format!(
            "this API has no {} filter; it takes: {}",
            key.name(),
            allowed_list(allowed)
        ))
    }
}

fn comparison(rest: &str) -> Option<(Cmp, &str)> {
    for (prefix, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
        ("=", Cmp::Eq),
        (":", Cmp::Eq),
    ] {
        if let Some(value) = rest.strip_prefix(prefix) {
            return Some((cmp, value));
        }
    }
    None
}

/// Parses `1500`, `1.5MB`, `500KiB`, `2G`: SI units (kB, MB, GB, TB) are powers of 1000,
/// IEC units (KiB, MiB, GiB, TiB) and the one-letter forms (K, M, G, T) powers of 1024, as in
/// `ls -h`. Case-insensitive; a bare number or `B` is bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    size_and_unit(text).map(|(bytes, _)| bytes)
}

/// [`parse_size`], and the unit the size was written in.
fn size_and_unit(text: &str) -> Option<(u64, SizeUnit)> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_' || c == ','))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.replace(['_', ','], "").parse().ok()?;
    let unit = SizeUnit::parse(unit)?;
    let bytes = number * unit.bytes() as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64)
        .then(|| (bytes.round() as u64, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[TermKey] = &TermKey::ALL;

    #[test]
    fn the_issue_example_parses_into_text_and_terms() {
        let f = parse(
            "report type:image size>1MB context:patient_reports folder:folder_123 trashed:true \
             uploaded_by:key_abc123 fileable:customer#912",
            ALL,
        )
        .unwrap();
        assert_eq!(f.text, "report");
        assert_eq!(
            f.terms,
            vec![
                Term::Type("image".into()),
                Term::Size(Cmp::Gt, 1_000_000, SizeUnit::MB),
                Term::Context("patient_reports".into()),
                Term::Folder("folder_123".into()),
                Term::Trashed(true),
                Term::UploadedBy("key_abc123".into()),
                Term::Fileable {
                    kind: "customer".into(),
                    id: Some(912)
                },
            ]
        );
    }

    #[test]
    fn words_with_colons_that_are_not_terms_stay_text() {
        let f = parse("meeting 12:30 https://x.test/a", ALL).unwrap();
        assert_eq!(f.text, "meeting 12:30 https://x.test/a");
        assert!(f.terms.is_empty());
        let f = parse("  two   words ", ALL).unwrap();
        assert_eq!(f.text, "two words");
        let f = parse("sizeable", ALL).unwrap();
        assert_eq!(f.text, "sizeable");
    }

    #[test]
    fn quoted_values_keep_spaces() {
        let f = parse(r#""annual report" context:"two words""#, ALL).unwrap();
        assert_eq!(f.text, "annual report");
        assert_eq!(f.terms, vec![Term::Context("two words".into())]);
        assert!(
            parse(r#"context:"open"#, ALL)
                .unwrap_err()
                .contains("quote")
        );
    }

    #[test]
    fn unknown_and_unsupported_terms_name_the_allowed_ones() {
        let only = &[TermKey::Type, TermKey::Size];
        let err = parse("colour:red", only).unwrap_err();
        assert_eq!(
            err,
            "unknown filter term \"colour\"; this API takes: type:image size>1MB"
        );
        let err = parse("context:x", only).unwrap_err();
        assert_eq!(
            err,
            "this API has no context filter; it takes: type:image size>1MB"
        );
        assert!(
            parse("trashed:maybe", ALL)
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            parse("fileable:customer#x", ALL)
                .unwrap_err()
                .contains("number")
        );
        assert!(parse("type:", ALL).unwrap_err().contains("needs a value"));
        assert!(parse("size>lots", ALL).unwrap_err().contains("not a size"));
    }

    #[test]
    fn sizes_in_si_and_iec_units() {
        assert_eq!(parse_size("1500"), Some(1500));
        assert_eq!(parse_size("1.5MB"), Some(1_500_000));
        assert_eq!(parse_size("1kb"), Some(1000));
        assert_eq!(parse_size("500KiB"), Some(512_000));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("1,024"), Some(1024));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("1XB"), None);
        assert_eq!(parse_size(""), None);
    }

    /// Issue 27, expected 7: sizes are shown in binary units, so a filter says which unit it
    /// used. `size>1MB` is decimal and keeps a 1004 KiB file, `size>1MiB` binary and does
    /// not; each reads back in the unit typed, never as a bare byte count.
    #[test]
    fn a_size_reads_back_in_the_unit_typed() {
        let f = parse(
            "size>1MB size<=1MiB size>=2k size<1.5GB size=512 size>1.5kib",
            ALL,
        )
        .unwrap();
        assert_eq!(
            f.to_string(),
            "size>1MB size<=1MiB size>=2KiB size<1.5GB size=512 size>1.5KiB"
        );
        assert_eq!(
            parse(&f.to_string(), ALL).unwrap(),
            f,
            "and parses back the same"
        );
        let mut kib_1004 = crate::test_support::record(1, "a.pdf");
        kib_1004.size = Some(1004 * 1024);
        assert!(parse("size>1MB", ALL).unwrap().terms[0].matches(&kib_1004));
        assert!(!parse("size>1MiB", ALL).unwrap().terms[0].matches(&kib_1004));
    }

    #[test]
    fn a_size_in_words_says_its_unit_and_bytes() {
        let words = |s: &str| parse(s, ALL).unwrap().sizes_in_words();
        assert_eq!(words("size>1MB").unwrap(), "size > 1 MB (1,000,000 B)");
        assert_eq!(
            words("report size<=1MiB type:image size>=1.5k").unwrap(),
            "size ≤ 1 MiB (1,048,576 B), size ≥ 1.5 KiB (1,536 B)"
        );
        assert_eq!(words("size=1000000").unwrap(), "size = 1,000,000 B");
        assert_eq!(words("report type:image"), None);
    }

    #[test]
    fn size_terms_become_ranges() {
        let range = |s: &str| parse(s, ALL).unwrap().terms[0].size_range().unwrap();
        assert_eq!(range("size>10"), (Some(11), None));
        assert_eq!(range("size>=10"), (Some(10), None));
        assert_eq!(range("size<10"), (None, Some(9)));
        assert_eq!(range("size<=10"), (None, Some(10)));
        assert_eq!(range("size=10"), (Some(10), Some(10)));
        assert_eq!(range("size:10"), (Some(10), Some(10)));
        assert_eq!(Term::Size(Cmp::Lt, 0, SizeUnit::B).size_range(), None);
    }

    #[test]
    fn types_match_categories_prefixes_and_exact_mimes() {
        assert!(type_matches("image", "image/png"));
        assert!(type_matches("IMAGE", "Image/PNG"));
        assert!(!type_matches("image", "application/pdf"));
        assert!(type_matches("application/pdf", "application/pdf"));
        assert!(!type_matches("application/pdf", "application/pdfx"));
        assert!(type_matches("document", "application/pdf"));
        assert!(type_matches(
            "document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
        assert!(type_matches("document", "text/csv"));
        assert!(!type_matches("document", "video/mp4"));
    }

    #[test]
    fn a_filter_prints_back_as_typed() {
        let text = "report type:image size>1000000 fileable:customer#912";
        assert_eq!(parse(text, ALL).unwrap().to_string(), text);
        assert_eq!(Filter::default().to_string(), "");
    }
}
