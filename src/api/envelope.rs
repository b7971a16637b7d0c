//! Which built-in dialect a *list* answer is shaped like, for an answer that did not decode as
//! the dialect asked for: a 200 from another API is a wrong `--dialect`, and the error should
//! say which one it reads like rather than only what was missing. Read without building the
//! document (an answer may be tens of megabytes): only the envelope's keys are looked at.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The built-in dialect whose list envelope this body has: FileJar `{success, files: […],
/// pagination}`, AstraCollab `{success, data: {files: […]}}`, FileGuard `{status, data: {data:
/// […]}}`, Open WebUI `{items: […], total}` or its older bare array, Flextell (a Laravel
/// paginator) `{data: […], meta: {current_page}, links}`. `None` for anything else.
pub fn list_dialect(body: &[u8]) -> Option<&'static str> {
    // Borrowed, checked, not built: what follows the value is not looked at.
    let mut de = serde_json::Deserializer::from_slice(body);
    let whole = <&RawValue>::deserialize(&mut de).ok()?.get();
    if whole.starts_with('[') {
        return Some("openwebui");
    }
    let f: Fields = serde_json::from_str(whole).ok()?;
    // `data` is an array itself (Flextell), or an object holding `data` or `files`.
    let inner: Inner = f
        .data
        .filter(|d| d.get().starts_with('{'))
        .and_then(|d| serde_json::from_str(d.get()).ok())
        .unwrap_or_default();
    let data_is_array = f.data.is_some_and(|d| d.get().starts_with('['));
    if f.success && f.files == Kind::Array && f.pagination == Kind::Object {
        Some("filejar")
    } else if f.success && inner.files == Kind::Array {
        Some("astracollab")
    } else if f.status == Kind::Other && inner.data == Kind::Array {
        Some("fileguard")
    } else if f.items == Kind::Array && f.total.is_some() {
        Some("openwebui")
    } else if data_is_array
        && (f.meta.is_some_and(|m| m.current_page.is_some()) || f.links == Kind::Object)
    {
        Some("flextell")
    } else {
        None
    }
}

/// The top-level keys that tell the envelopes apart; the rest is skipped.
#[derive(Deserialize)]
struct Fields<'a> {
    /// Not a boolean: no envelope of ours.
    #[serde(default)]
    success: bool,
    #[serde(default)]
    status: Kind,
    #[serde(default)]
    files: Kind,
    #[serde(default)]
    items: Kind,
    total: Option<IgnoredAny>,
    #[serde(default)]
    pagination: Kind,
    #[serde(default)]
    links: Kind,
    meta: Option<Meta>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// A Laravel paginator's `meta`: only whether it has `current_page`.
#[derive(Deserialize)]
struct Meta {
    current_page: Option<IgnoredAny>,
}

/// The object under `data`: FileGuard's `data` or AstraCollab's `files`.
#[derive(Deserialize, Default)]
struct Inner {
    #[serde(default)]
    data: Kind,
    #[serde(default)]
    files: Kind,
}

/// What a value is, read and thrown away.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    #[default]
    Absent,
    Array,
    Object,
    Other,
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Kind::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Kind::Object)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
        Ok(Kind::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Kind, E> {
        Ok(Kind::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Kind, E> {
        Ok(Kind::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
        Ok(Kind::Other)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
        Ok(Kind::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Other)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialects_list_fixture_reads_as_its_own() {
        let fixtures = [
            (
                "filejar",
                &include_bytes!("../../tests/fixtures/filejar_page.json")[..],
            ),
            (
                "openwebui",
                include_bytes!("../../tests/fixtures/openwebui_page.json"),
            ),
            (
                "openwebui",
                include_bytes!("../../tests/fixtures/openwebui_legacy_list.json"),
            ),
            (
                "flextell",
                include_bytes!("../../tests/fixtures/flextell_page.json"),
            ),
            (
                "fileguard",
                include_bytes!("../../tests/fixtures/fileguard_page.json"),
            ),
            (
                "astracollab",
                include_bytes!("../../tests/fixtures/astracollab_page.json"),
            ),
        ];
        for (want, body) in fixtures {
            assert_eq!(list_dialect(body), Some(want), "{want}");
        }
        for body in [
            &b"{}"[..],
            b"{\"data\": 3}",
            b"{\"success\": false, \"files\": []}",
            b"{\"items\": []}",
            b"<html>",
            b"",
            b"{\"data\": [], \"meta\": {}}",
        ] {
            assert_eq!(
                list_dialect(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
