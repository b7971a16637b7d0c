//! `dialect infer`: reads one answer and writes a whole definition from the names APIs
//! commonly use.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::engine::header_links;
use crate::text::sanitize;

/// What `dialect infer` knows of the request it made.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The URL asked for.
    pub url: String,
    /// A header that carries the key, as `(name, value)`, and the key itself.
    pub auth_header: Option<(String, String)>,
    pub key: Option<String>,
    /// The key went in this query parameter.
    pub auth_query: Option<String>,
}

/// Keys APIs commonly put their records under, in order of preference.
const RECORD_KEYS: [&str; 12] = [
    "data",
    "items",
    "results",
    "files",
    "objects",
    "entries",
    "assets",
    "records",
    "value",
    "content",
    "list",
    "resources",
];
const TOTAL_KEYS: [&str; 9] = [
    "total",
    "count",
    "total_count",
    "totalCount",
    "total_items",
    "totalItems",
    "totalResults",
    "total_results",
    "totalSize",
];
const NEXT_LINK_KEYS: [&str; 7] = [
    "next",
    "next_url",
    "nextUrl",
    "next_page_url",
    "nextLink",
    "@odata.nextLink",
    "next_link",
];
const TOKEN_KEYS: [(&str, &str); 9] = [
    ("nextPageToken", "pageToken"),
    ("next_page_token", "page_token"),
    ("next_cursor", "cursor"),
    ("nextCursor", "cursor"),
    ("next_token", "next_token"),
    ("nextToken", "nextToken"),
    ("cursor", "cursor"),
    ("continuation_token", "continuation_token"),
    ("next_marker", "marker"),
];
const HAS_MORE_KEYS: [&str; 5] = ["has_more", "hasMore", "has_next", "hasNext", "more"];
const SIZE_PARAMS: [&str; 8] = [
    "per_page",
    "page_size",
    "pageSize",
    "limit",
    "size",
    "page[size]",
    "max_results",
    "count",
];

/// Candidate names of each normalized field, most telling first.
const FIELD_NAMES: [(&str, &[&str]); 7] = [
    ("id", &["uuid", "id", "file_id", "fileId", "_id", "key"]),
    (
        "name",
        &[
            "filename",
            "file_name",
            "fileName",
            "original_filename",
            "display_name",
            "displayName",
            "name",
            "title",
            "key",
        ],
    ),
    (
        "size",
        &[
            "bytes",
            "size_bytes",
            "byte_size",
            "sizeBytes",
            "size",
            "file_size",
            "fileSize",
            "length",
            "contentLength",
        ],
    ),
    (
        "content_type",
        &[
            "mimeType",
            "mimetype",
            "mime_type",
            "content_type",
            "contentType",
            "content-type",
            "media_type",
            "type",
        ],
    ),
    (
        "created_at",
        &[
            "createdTime",
            "created",
            "created_at",
            "createdAt",
            "created-at",
            "creation_date",
            "date_created",
            "inserted_at",
            "uploadedAt",
            "uploaded_at",
        ],
    ),
    (
        "updated_at",
        &[
            "modifiedTime",
            "updated",
            "updated_at",
            "updatedAt",
            "updated-at",
            "modified_at",
            "modifiedAt",
            "modified",
            "last_modified",
            "lastModified",
        ],
    ),
    (
        "url",
        &[
            "download_url",
            "downloadUrl",
            "browser_download_url",
            "webContentLink",
            "url",
            "link",
            "href",
        ],
    ),
];

/// Checks a name given for an inferred dialect: it becomes a TOML table name
/// (`[dialects.NAME]`), so it must be a bare key — `[A-Za-z0-9_-]+` — and can never close the
/// table or open another.
pub fn check_name(name: &str) -> Result<(), String> {
    let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !name.is_empty() && name.chars().all(bare) {
        Ok(())
    } else {
        Err(format!(
            "--name \"{}\": a dialect's name is letters, digits, `_` and `-` only",
            sanitize(name)
        ))
    }
}

/// What to do when the server refused `dialect infer`'s request (401, or 403 with no key
/// sent), leading with the action: the header to send, its scheme taken from the answer's
/// `WWW-Authenticate` (`Bearer`, `Token`, `Basic`) when it names one in plain letters, else
/// `Bearer`. The key itself is never written, only `…`; the names are the user's own, and the
/// line is printed through [`sanitize`] as every message is.
pub fn refused_hint(probe: &Probe, answer: &reqwest::header::HeaderMap) -> String {
    let scheme = answer
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split([' ', ',']).next())
        .filter(|s| {
            (1..=20).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let header = format!("--header 'Authorization: {} …'", scheme.unwrap_or("Bearer"));
    let sent = match (&probe.auth_query, &probe.auth_header, &probe.key) {
        (Some(param), _, _) => format!("in the query parameter {param}"),
        (None, Some((name, _)), _) => format!("in the header {name}"),
        (None, None, Some(_)) => "as 'Authorization: Bearer …' (FILESCOPE_API_KEY)".to_string(),
        (None, None, None) => {
            return format!(
                "send the API key: {header}, or the header its docs name (--header 'X-Api-Key: …'), or set FILESCOPE_API_KEY (sent as a Bearer token; --auth-query NAME puts it in the URL)"
            );
        }
    };
    let other = match scheme {
        // The server names how it wants the key: say that first.
        Some(_) => format!("{header}, or "),
        None => "--header 'Authorization: Token …', ".to_string(),
    };
    format!(
        "check the key, or send it as the API's docs say: {other}--header 'X-Api-Key: …' or --auth-query NAME; it was sent {sent}"
    )
}

/// Values of an answer `infer` keeps: the envelope and the first records say all it needs,
/// and a tree of every value costs up to 70 times the text (a 60 MB answer took 4.6 GB).
const INFER_VALUES: usize = 100_000;

/// A JSON answer read whole (it must be valid to the end) but kept only in part: past
/// `budget` values, arrays and objects keep the elements they have and the rest is read
/// through without being kept. Memory is the body plus `budget` values, whatever the body.
fn bounded_json(body: &[u8], budget: usize) -> Result<Value, serde_json::Error> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::cell::Cell;

    #[derive(Clone, Copy)]
    struct Bounded<'b> {
        left: &'b Cell<usize>,
    }
    impl Bounded<'_> {
        /// Takes one value from the budget; false when it is spent.
        fn take(self) -> bool {
            let left = self.left.get();
            self.left.set(left.saturating_sub(1));
            left > 0
        }
    }
    impl<'de> DeserializeSeed<'de> for Bounded<'_> {
        type Value = Value;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Bounded<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while self.take() {
                match seq.next_element_seed(self)? {
                    Some(item) => items.push(item),
                    None => return Ok(Value::Array(items)),
                }
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut fields = serde_json::Map::new();
            while self.take() {
                match map.next_key::<String>()? {
                    Some(key) => {
                        let value = map.next_value_seed(self)?;
                        fields.insert(key, value);
                    }
                    None => return Ok(Value::Object(fields)),
                }
            }
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Value::Object(fields))
        }
    }

    let left = Cell::new(budget);
    let mut reader = serde_json::Deserializer::from_slice(body);
    let value = Bounded { left: &left }.deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// A whole dialect definition (TOML, with a profile to use it) inferred from one answer.
/// Everything from the server is written as an escaped TOML string ([`toml_str`]) and every
/// comment passes through [`crate::text::sanitize`], so no control or bidirectional character
/// reaches the file as it is.
pub fn infer(
    name: &str,
    probe: &Probe,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<String, String> {
    check_name(name)?;
    // Read in part: the envelope and the first records are all that is looked at.
    let root: Value = bounded_json(body, INFER_VALUES).map_err(|e| {
        format!(
            "the answer is not JSON: {}",
            crate::api::decode::json_error(&e)
        )
    })?;
    let url = reqwest::Url::parse(&probe.url).map_err(|e| format!("not a URL: {e}"))?;
    let (records_path, records) = find_records(&root).ok_or_else(|| {
        "found no array of records in the answer (looked at the body and under data, items, results, files, …)".to_string()
    })?;
    let envelope = if records_path.is_empty() {
        None
    } else {
        Some(&root)
    };
    let first = records.iter().find(|r| r.is_object());
    let mut notes: Vec<String> = Vec::new();

    // Paging: a Link header, a next link in the body, a token, has_more with ids, offsets,
    // page numbers.
    let links = header_links(headers);
    let link = |rel: &str| links.iter().find(|(r, _)| r == rel).map(|(_, u)| u.clone());
    let asked: BTreeMap<String, String> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut paging = String::new();
    let mut size_param = SIZE_PARAMS
        .iter()
        .find(|p| asked.contains_key(**p))
        .map(|p| p.to_string());
    let page_param_of = |link: &str| -> Option<String> {
        let target = url.join(link).ok()?;
        let pairs: Vec<(String, String)> = target
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs
            .iter()
            .map(|(k, _)| k.clone())
            .find(|k| matches!(k.as_str(), "page" | "page[number]" | "pageNumber" | "p"))
    };
    let find_key = |keys: &[&str]| -> Option<String> {
        let env = envelope?;
        for key in keys {
            for prefix in ["", "meta.", "pagination.", "links.", "paging.", "page."] {
                let path = format!("{prefix}{key}");
                if crate::api::decode::lookup(env, &path).is_some() {
                    return Some(path);
                }
            }
        }
        None
    };
    let total = find_key(&TOTAL_KEYS).filter(|p| {
        envelope
            .and_then(|e| crate::api::decode::lookup(e, p))
            .is_some_and(|v| v.is_u64())
    });
    let has_more = find_key(&HAS_MORE_KEYS);
    let next_link = find_key(&NEXT_LINK_KEYS).filter(|p| {
        envelope
            .and_then(|e| crate::api::decode::lookup(e, p))
            .is_some_and(|v| v.is_string())
            || p.ends_with("next")
    });
    let token = envelope.and_then(|_| {
        TOKEN_KEYS
            .iter()
            .find_map(|(key, param)| find_key(&[key]).map(|path| (path, param.to_string())))
    });
    if let Some(next) = link("next").or_else(|| link("last")) {
        let page_param = page_param_of(&next);
        let _ = writeln!(paging, "style = \"link_header\"");
        if let Some(p) = &page_param {
            let _ = writeln!(paging, "page_param = {}", toml_str(p));
        }
        size_param = size_param.or_else(|| Some("per_page".to_string()));
    } else if let Some(path) = &next_link {
        let page_param = envelope
            .and_then(|e| crate::api::decode::lookup(e, path))
            .and_then(Value::as_str)
            .and_then(page_param_of);
        let _ = writeln!(paging, "style = \"next_link\"");
        let _ = writeln!(paging, "next = {}", toml_str(path));
        if let Some(p) = &page_param {
            let _ = writeln!(paging, "page_param = {}", toml_str(p));
        }
    } else if let Some((path, param)) = &token {
        let _ = writeln!(paging, "style = \"cursor\"");
        let _ = writeln!(paging, "cursor = {}", toml_str(path));
        let _ = writeln!(paging, "cursor_param = {}", toml_str(param));
    } else if has_more.is_some() && first.is_some_and(|r| r.get("id").is_some()) {
        // Stripe's way: the next page starts after the last record's id.
        let _ = writeln!(paging, "style = \"cursor\"");
        let _ = writeln!(paging, "cursor_from_last = \"id\"");
        let _ = writeln!(paging, "cursor_param = \"starting_after\"");
        size_param = size_param.or_else(|| Some("limit".to_string()));
    } else if let Some(offset) = find_key(&["offset", "skip", "start"]) {
        let param = offset.rsplit('.').next().unwrap_or("offset").to_string();
        let _ = writeln!(paging, "style = \"offset\"");
        let _ = writeln!(paging, "offset_param = {}", toml_str(&param));
        size_param = size_param.or_else(|| {
            find_key(&["limit", "per_page", "page_size"])
                .map(|p| p.rsplit('.').next().unwrap_or("limit").to_string())
        });
    } else {
        let param = ["page", "page[number]", "p"]
            .into_iter()
            .find(|p| asked.contains_key(*p))
            .unwrap_or("page");
        let _ = writeln!(paging, "style = \"page\"");
        let _ = writeln!(paging, "page_param = {}", toml_str(param));
        notes.push(
            "no cursor, next link or offset in the answer: paging by page number is a guess"
                .to_string(),
        );
    }
    if let Some(p) = &size_param {
        let _ = writeln!(paging, "size_param = {}", toml_str(p));
    }
    let max_size = size_param
        .as_ref()
        .and_then(|p| asked.get(p))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100)
        .max(records.len())
        .clamp(1, 1000);
    let _ = writeln!(paging, "max_size = {max_size}");
    if let Some(path) = &has_more {
        let _ = writeln!(paging, "has_more = {}", toml_str(path));
    }

    // Fields, by the names APIs commonly use; JSON:API keeps them under `attributes`.
    let mut fields = String::new();
    let mut found: BTreeMap<&str, String> = BTreeMap::new();
    if let Some(record) = first {
        for (field, names) in FIELD_NAMES {
            let candidates = names
                .iter()
                .flat_map(|n| [n.to_string(), format!("attributes.{n}")]);
            for path in candidates {
                let Some(value) = crate::api::decode::lookup(record, &path) else {
                    continue;
                };
                let fits = match field {
                    "size" => {
                        value.is_u64() || value.as_str().is_some_and(|s| s.parse::<u64>().is_ok())
                    }
                    "content_type" => value.as_str().is_some_and(|s| s.contains('/')),
                    "created_at" | "updated_at" => value.is_number() || value.is_string(),
                    "url" => value.as_str().is_some_and(|s| s.starts_with("http")),
                    "id" => value.is_string() || value.is_u64(),
                    _ => value.is_string(),
                };
                // The same key never stands for two fields (`key` is an id or a name).
                if fits && !found.values().any(|p| *p == path) {
                    found.insert(field, path);
                    break;
                }
            }
        }
    }
    for (field, _) in FIELD_NAMES {
        let Some(path) = found.get(field) else {
            if matches!(field, "id" | "name") {
                notes.push(format!("no field looked like the {field}: write its path"));
                let _ = writeln!(fields, "{field} = \"?\"");
            }
            continue;
        };
        let value = first.and_then(|r| crate::api::decode::lookup(r, path));
        let format = match (field, value) {
            ("created_at" | "updated_at", Some(Value::Number(n))) => {
                let n = n.as_f64().unwrap_or(0.0);
                Some(if n.abs() < 1e11 { "unix_s" } else { "unix_ms" })
            }
            _ => None,
        };
        match format {
            Some(format) => {
                let _ = writeln!(
                    fields,
                    "{field} = {{ path = {}, format = \"{format}\" }}",
                    toml_str(path)
                );
            }
            None => {
                let _ = writeln!(fields, "{field} = {}", toml_str(path));
            }
        }
    }

    // Auth: a header that carried the key comes back as a template, never as the key.
    let auth = match (&probe.auth_query, &probe.auth_header, &probe.key) {
        (Some(param), _, _) => Some(format!("{{ query = {} }}", toml_str(param))),
        (None, Some((header, value)), key) => {
            let templated = match key {
                Some(key) if !key.is_empty() && value.contains(key.as_str()) => {
                    value.replace(key.as_str(), "{key}")
                }
                _ => match value.rsplit_once(' ') {
                    Some((scheme, _)) => format!("{scheme} {{key}}"),
                    None => "{key}".to_string(),
                },
            };
            if header.eq_ignore_ascii_case("authorization") && templated == "Bearer {key}" {
                None
            } else {
                Some(format!(
                    "{{ header = {}, value = {} }}",
                    toml_str(header),
                    toml_str(&templated)
                ))
            }
        }
        (None, None, _) => None,
    };

    let mut out = String::new();
    let origin = url.origin().ascii_serialization();
    comment(
        &mut out,
        &format!(
            "Inferred by `filescope dialect infer` from {origin}{}",
            url.path()
        ),
    );
    for note in &notes {
        comment(&mut out, &format!("check: {note}"));
    }
    let _ = writeln!(out, "[dialects.{name}]");
    let _ = writeln!(out, "list_path = {}", toml_str(url.path()));
    let _ = writeln!(out, "records = {}", toml_str(&records_path));
    if let Some(total) = &total {
        let _ = writeln!(out, "total = {}", toml_str(total));
    }
    if let Some(auth) = auth {
        let _ = writeln!(out, "auth = {auth}");
    }
    if let Some(message) = error_message_guess(&root) {
        let _ = writeln!(out, "error_message = {}", toml_str(message));
    }
    let _ = writeln!(out, "\n[dialects.{name}.paging]");
    out.push_str(&paging);
    let _ = writeln!(out, "\n[dialects.{name}.fields]");
    out.push_str(&fields);
    let _ = writeln!(out, "\n[profiles.{name}]");
    let _ = writeln!(out, "dialect = {}", toml_str(name));
    let _ = writeln!(out, "url = {}", toml_str(&origin));
    comment(
        &mut out,
        &format!(
            "api_key_env = \"{}_KEY\"",
            name.to_ascii_uppercase().replace('-', "_")
        ),
    );
    Ok(out)
}

/// The array of records in an answer, and its dotted path: the body itself, a common key, or
/// the largest array of objects two levels down.
fn find_records(root: &Value) -> Option<(String, &Vec<Value>)> {
    if let Value::Array(items) = root {
        return Some((String::new(), items));
    }
    let obj = root.as_object()?;
    for key in RECORD_KEYS {
        if let Some(Value::Array(items)) = obj.get(key)
            && (items.is_empty() || items.iter().any(Value::is_object))
        {
            return Some((key.to_string(), items));
        }
    }
    let mut best: Option<(String, &Vec<Value>)> = None;
    for (key, value) in obj {
        let candidates: Vec<(String, &Vec<Value>)> = match value {
            Value::Array(items) => vec![(key.clone(), items)],
            Value::Object(inner) => inner
                .iter()
                .filter_map(|(k, v)| v.as_array().map(|a| (format!("{key}.{k}"), a)))
                .collect(),
            _ => Vec::new(),
        };
        for (path, items) in candidates {
            if items.iter().any(Value::is_object)
                && best.as_ref().is_none_or(|(_, b)| items.len() > b.len())
            {
                best = Some((path, items));
            }
        }
    }
    best
}

/// Where an error body would say what went wrong, when the answer hints at it (none do on
/// success; APIs with `errors` arrays say so in their docs). Kept for the common JSON:API case.
fn error_message_guess(root: &Value) -> Option<&'static str> {
    root.get("jsonapi")
        .or_else(|| {
            root.get("links").filter(|_| {
                root.get("data").is_some_and(|d| {
                    d.as_array()
                        .and_then(|a| a.first())
                        .is_some_and(|r| r.get("attributes").is_some())
                })
            })
        })
        .map(|_| "errors.0.detail")
}

/// A TOML comment line. A comment has no escapes: the text is sanitized, so no control or
/// bidirectional character is written as it is (and a newline cannot end the comment).
fn comment(out: &mut String, text: &str) {
    let _ = writeln!(out, "# {}", sanitize(text));
}

/// A TOML basic string: quotes and backslashes escaped, and every control character, DEL,
/// C1, bidirectional override or isolate and invisible separator ([`crate::text::is_unsafe`])
/// written as `\uXXXX`, which TOML reads back as the same character.
fn toml_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || crate::text::is_unsafe(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_answer_is_read_to_the_end_but_kept_only_in_part() {
        // 300,000 records of 4 fields: a million values and more; 100 are kept.
        let record = r#"{"id":"f","name":"n","size":1,"x":[1,2]}"#;
        let body = format!(
            r#"{{"meta":{{"next":"abc"}},"files":[{}]}}"#,
            vec![record; 300_000].join(",")
        );
        let value = bounded_json(body.as_bytes(), 100).unwrap();
        assert_eq!(value["meta"]["next"], "abc");
        let files = value["files"].as_array().unwrap();
        assert!(files.len() < 100, "{} records kept", files.len());
        assert_eq!(files[0]["id"], "f");
        assert_eq!(files[0]["x"], serde_json::json!([1, 2]));
        // Under the budget it is the whole value; the rest must still be JSON.
        assert_eq!(
            bounded_json(br#"{"a":[1,{"b":null}]}"#, 100).unwrap(),
            serde_json::json!({"a": [1, {"b": null}]})
        );
        let cut = &body.as_bytes()[..body.len() - 1];
        assert!(bounded_json(cut, 100).unwrap_err().is_eof());
        assert!(bounded_json(b"[1] x", 100).is_err());
    }
}
