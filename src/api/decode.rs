//! Lenient decoding helpers shared by the dialects.
//!
//! Real servers send nulls, strings where numbers belong and fields nobody documented. A page
//! decodes as long as its envelope does; each record's fields are read one by one, and a field
//! that cannot be read becomes `None` plus a line in the record's `problems`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::record::FileRecord;

/// The fields of one record's JSON object, with a running list of what could not be read.
pub struct Fields<'a> {
    obj: Option<&'a Map<String, Value>>,
    problems: Vec<String>,
}

impl<'a> Fields<'a> {
    pub fn new(value: &'a Value) -> Self {
        let mut fields = Fields {
            obj: value.as_object(),
            problems: Vec::new(),
        };
        if fields.obj.is_none() {
            fields
                .problems
                .push(format!("record: expected an object, got {}", kind(value)));
        }
        fields
    }

    /// The value at a dotted path (`meta.size`), or `None` when absent or null.
    pub fn get(&self, path: &str) -> Option<&'a Value> {
        let mut parts = path.split('.');
        let mut current = self.obj?.get(parts.next()?)?;
        for part in parts {
            current = step(current, part)?;
        }
        (!current.is_null()).then_some(current)
    }

    /// A timestamp in Unix milliseconds (integer, float, or a string holding one).
    pub fn unix_ms_time(&mut self, path: &str) -> Option<DateTime<Utc>> {
        let value = self.get(path)?;
        let ms = match value {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let parsed = ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single());
        if parsed.is_none() {
            self.problem(path, "a Unix timestamp in milliseconds", value);
        }
        parsed
    }

    /// A timestamp in whatever shape it comes: an ISO-8601 string, or a number (or a string
    /// of digits) of Unix seconds or, when too large for seconds, milliseconds.
    pub fn any_time(&mut self, path: &str) -> Option<DateTime<Utc>> {
        let value = self.get(path)?;
        let number = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<f64>().ok()
            }
            Value::String(s) => {
                return parse_iso_time(s).or_else(|| {
                    self.problem(path, "a timestamp", value);
                    None
                });
            }
            _ => None,
        };
        let parsed = number.and_then(|n| {
            // 10^11 seconds is the year 5138; milliseconds of any date since 1973 exceed it.
            if n.abs() < 1e11 {
                Utc.timestamp_opt(n as i64, 0).single()
            } else {
                Utc.timestamp_millis_opt(n as i64).single()
            }
        });
        if parsed.is_none() {
            self.problem(path, "a timestamp", value);
        }
        parsed
    }

    fn problem(&mut self, path: &str, expected: &str, got: &Value) {
        self.problems
            .push(format!("{path}: expected {expected}, got {}", preview(got)));
    }

    /// A string field. Numbers and booleans are accepted as their text.
    pub fn string(&mut self, path: &str) -> Option<String> {
        let value = self.get(path)?;
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.problem(path, "a string", other);
                None
            }
        }
    }

    /// A required identifier: a string or an integer. Missing ids are reported.
    pub fn id(&mut self, path: &str) -> String {
        match self.string(path) {
            Some(id) => id,
            None => {
                if self.get(path).is_none() {
                    self.problems.push(format!("{path}: missing"));
                }
                String::new()
            }
        }
    }

    /// A byte count: a non-negative integer, or a string holding one.
    pub fn size(&mut self, path: &str) -> Option<u64> {
        let value = self.get(path)?;
        let parsed = match value {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1.9e19)
                    .map(|f| f as u64)
            }),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.problem(path, "a non-negative integer", value);
        }
        parsed
    }

    /// An ISO-8601 / RFC 3339 timestamp string; a zone-less one is taken as UTC.
    pub fn iso_time(&mut self, path: &str) -> Option<DateTime<Utc>> {
        let value = self.get(path)?;
        let parsed = value.as_str().and_then(parse_iso_time);
        if parsed.is_none() {
            self.problem(path, "an ISO-8601 timestamp", value);
        }
        parsed
    }

    /// A Unix timestamp in seconds (integer, float, or a string holding one).
    pub fn unix_time(&mut self, path: &str) -> Option<DateTime<Utc>> {
        let value = self.get(path)?;
        let secs = match value {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let parsed = secs.and_then(|s| Utc.timestamp_opt(s, 0).single());
        if parsed.is_none() {
            self.problem(path, "a Unix timestamp", value);
        }
        parsed
    }

    pub fn into_problems(self) -> Vec<String> {
        self.problems
    }
}

/// Parses the timestamp shapes seen in the wild: RFC 3339 with `Z` or an offset, with or without
/// fractions; a space instead of `T`; no zone at all (taken as UTC); a bare date.
pub fn parse_iso_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// What one answer may hold besides the HTTP layer's byte cap: records cost far more in memory
/// than their text (an empty object is 3 bytes on the wire and ~250 bytes decoded), so their
/// number is capped too. `[network] max_records` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_records: usize,
}

/// Records one answer may hold unless the configuration says otherwise: about 60 MB decoded at
/// worst, and more than a 64 MiB answer of real records holds.
pub const DEFAULT_MAX_RECORDS: usize = 200_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_records: DEFAULT_MAX_RECORDS,
        }
    }
}

/// Decodes the JSON array of records `items` with `decode`, one record at a time as the array
/// is read, keeping each element's raw text: the answer's records are never held twice. Fails
/// when `items` is not an array or holds more than `limits.max_records` records; a record that
/// is not even valid JSON inside cannot occur (the body parsed).
pub fn decode_records(
    items: &RawValue,
    limits: Limits,
    decode: impl Fn(&mut Fields<'_>) -> Normalized,
) -> Result<Vec<FileRecord>, String> {
    use serde::Deserializer as _;
    struct Records<'f, F> {
        limits: Limits,
        decode: &'f F,
    }
    impl<'de, F: Fn(&mut Fields<'_>) -> Normalized> serde::de::Visitor<'de> for Records<'_, F> {
        type Value = Vec<FileRecord>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of records")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<FileRecord>, A::Error> {
            let mut out = Vec::new();
            while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
                if out.len() == self.limits.max_records {
                    return Err(serde::de::Error::custom(format!(
                        "the answer holds more than {} records, the most one answer may hold ([network] max_records)",
                        crate::text::thousands(self.limits.max_records)
                    )));
                }
                out.push(decode_one(raw, self.decode));
            }
            Ok(out)
        }
    }
    let mut reader = serde_json::Deserializer::from_str(items.get());
    reader
        .deserialize_seq(Records {
            limits,
            decode: &decode,
        })
        .map_err(|e| {
            if e.is_data() {
                // Our own words (the cap), or "expected an array of records".
                let text = e.to_string();
                text.split(" at line ").next().unwrap_or(&text).to_string()
            } else {
                json_error(&e)
            }
        })
}

/// Decodes one record, field by field: a field that cannot be read (nested too deep, a lone
/// UTF-16 surrogate) is left out and listed in the record's problems, never the record.
pub fn decode_one(
    raw: Box<RawValue>,
    decode: &impl Fn(&mut Fields<'_>) -> Normalized,
) -> FileRecord {
    let (value, read_problems) = read_record(raw.get());
    let mut fields = Fields::new(&value);
    let n = decode(&mut fields);
    let mut problems = read_problems;
    problems.extend(fields.into_problems());
    FileRecord {
        id: n.id,
        name: n.name,
        size: n.size,
        content_type: n.content_type,
        created_at: n.created_at,
        updated_at: n.updated_at,
        url: n.url,
        problems,
        raw,
    }
}

/// A record's JSON as a value, with what could not be read. When the whole record does not
/// parse, each top-level field is read on its own; a field with a lone surrogate escape is read
/// with U+FFFD in its place.
fn read_record(text: &str) -> (Value, Vec<String>) {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return (value, Vec::new());
    }
    let mut problems = Vec::new();
    let Ok(fields) =
        serde_json::from_str::<std::collections::BTreeMap<String, Box<RawValue>>>(text)
    else {
        return match serde_json::from_str::<Value>(&replace_lone_surrogates(text)) {
            Ok(value) => {
                problems.push("record: a lone UTF-16 surrogate was replaced with U+FFFD".into());
                (value, problems)
            }
            Err(e) => {
                problems.push(format!("record: could not be read ({})", json_error(&e)));
                (Value::Null, problems)
            }
        };
    };
    let mut map = Map::new();
    for (key, raw) in fields {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(value) => {
                map.insert(key, value);
            }
            Err(first) => {
                match serde_json::from_str::<Value>(&replace_lone_surrogates(raw.get())) {
                    Ok(value) => {
                        problems.push(format!(
                            "{key}: a lone UTF-16 surrogate was replaced with U+FFFD"
                        ));
                        map.insert(key, value);
                    }
                    Err(_) => problems.push(format!(
                        "{key}: could not be read ({})",
                        first
                            .to_string()
                            .split(" at line ")
                            .next()
                            .unwrap_or("invalid")
                    )),
                }
            }
        }
    }
    (Value::Object(map), problems)
}

/// Replaces `\uD800`-style escapes of UTF-16 surrogates that are not part of a pair with
/// `\uFFFD`, which JSON parsers accept.
pub fn replace_lone_surrogates(text: &str) -> String {
    let bytes = text.as_bytes();
    let escape_at = |i: usize| -> Option<u16> {
        let hex = bytes.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if let Some(unit) = escape_at(i) {
                let high = (0xD800..0xDC00).contains(&unit);
                let low = (0xDC00..0xE000).contains(&unit);
                if high && escape_at(i + 6).is_some_and(|u| (0xDC00..0xE000).contains(&u)) {
                    i += 12;
                    continue;
                }
                if high || low {
                    out.push_str(&text[start..i]);
                    out.push_str("\\uFFFD");
                    i += 6;
                    start = i;
                    continue;
                }
            }
            // Any other escape: skip the backslash and the escaped character.
            i += 2;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[start.min(text.len())..]);
    out
}

/// The normalized fields a dialect reads out of one record; see [`decode_records`].
#[derive(Debug, Default)]
pub struct Normalized {
    pub id: String,
    pub name: String,
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
}

/// A count in an envelope (`pagination.total`): a non-negative integer or a string holding one.
pub fn count(value: &Value, path: &str) -> Option<usize> {
    let v = lookup(value, path)?;
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .and_then(|n| usize::try_from(n).ok())
}

/// A flag in an envelope (`pagination.has_next`): a boolean or the strings "true"/"false".
pub fn flag(value: &Value, path: &str) -> Option<bool> {
    match lookup(value, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The value at a dotted path (`""` is the value itself), or `None` when absent or null.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        current = step(current, part)?;
    }
    (!current.is_null()).then_some(current)
}

/// One step of a dotted path: a key of an object, or an index of an array (`errors.0.title`).
fn step<'a>(value: &'a Value, part: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(part),
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => None,
    }
}

/// A short description of a JSON value for error messages: never the whole value, which can be
/// long or hold things that should not be echoed.
pub fn preview(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                format!("{short:?}…")
            } else {
                format!("{short:?}")
            }
        }
        Value::Number(n) => n.to_string(),
        other => kind(other).to_string(),
    }
}

pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first `max` characters of a body, for an error message about an answer nobody could read.
pub fn body_excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let short: String = trimmed.chars().take(max).collect();
    if short.len() < trimmed.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Describes a serde_json error with its position, for "could not be understood" messages.
pub fn json_error(err: &serde_json::Error) -> String {
    format!(
        "invalid JSON at line {} column {}: {err}",
        err.line(),
        err.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_read_leniently() {
        let v = json!({"id": 12, "size": "42", "bad_size": -3, "when": "2024-03-02T09:14:58Z",
                        "meta": {"name": "x"}, "n": null, "obj": {}});
        let mut f = Fields::new(&v);
        assert_eq!(f.id("id"), "12");
        assert_eq!(f.size("size"), Some(42));
        assert_eq!(f.size("bad_size"), None);
        assert_eq!(f.string("meta.name").as_deref(), Some("x"));
        assert_eq!(f.string("n"), None);
        assert_eq!(f.string("obj"), None);
        assert_eq!(f.id("absent"), "");
        let t = f.iso_time("when").unwrap();
        assert_eq!(t.timestamp(), 1_709_370_898);
        let problems = f.into_problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("bad_size: expected a non-negative integer, got -3"));
        assert!(problems[1].starts_with("obj: expected a string"));
        assert_eq!(problems[2], "absent: missing");
    }

    #[test]
    fn timestamps_in_the_shapes_servers_send() {
        let expect = 1_709_370_898;
        for s in [
            "2024-03-02T09:14:58Z",
            "2024-03-02T09:14:58.000000Z",
            "2024-03-02T10:14:58+01:00",
            "2024-03-02T09:14:58",
            "2024-03-02 09:14:58",
            "2024-03-02 09:14:58.123",
        ] {
            assert_eq!(
                parse_iso_time(s).map(|t| t.timestamp()),
                Some(expect),
                "{s}"
            );
        }
        assert_eq!(
            parse_iso_time("2024-03-02").map(|t| t.timestamp()),
            Some(1_709_337_600)
        );
        assert_eq!(parse_iso_time("yesterday"), None);
        assert_eq!(parse_iso_time(""), None);
    }

    #[test]
    fn unix_times_and_non_objects() {
        let v = json!({"t": 1709856000, "f": 1709856000.5, "s": "1709856000", "b": true});
        let mut f = Fields::new(&v);
        assert_eq!(f.unix_time("t").unwrap().timestamp(), 1_709_856_000);
        assert_eq!(f.unix_time("f").unwrap().timestamp(), 1_709_856_000);
        assert_eq!(f.unix_time("s").unwrap().timestamp(), 1_709_856_000);
        assert_eq!(f.unix_time("b"), None);
        let arr = json!([1, 2]);
        let f = Fields::new(&arr);
        assert_eq!(
            f.into_problems(),
            ["record: expected an object, got an array"]
        );
    }

    #[test]
    fn previews_are_short() {
        let long = Value::String("x".repeat(500));
        assert!(preview(&long).chars().count() < 50);
        assert_eq!(body_excerpt(b"  hello  ", 10), "hello");
        assert_eq!(body_excerpt("é".repeat(20).as_bytes(), 3), "ééé…");
    }
}
