//! Which built-in dialect a *list* answer is shaped like, for an answer that did not decode as
//! the dialect asked for: a 200 from another API is a wrong `--dialect`, and the error should
//! say which one it reads like rather than only what was missing. Read without building the
//! document (an answer may be tens of megabytes): only the envelope's keys are looked at.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The built-in dialect whose list envelope this body has: FileJar `{success, files: […],
/// pagination}`, AstraCollab `{success, data: {files: […]}}`, FileGuard `{status, data: {data:
/// […]}}`, Open WebUI `{items: […], total}` or its older bare array, Flextell (a Laravel
/// paginator) `{data: […], meta: {current_page}, links}`. `None` for anything else.
pub fn list_dialect(body: &[u8]) -> Option<&'static str> {
    let mut de = serde_json::Deserializer::from_slice(body);
    match Top::deserialize(&mut de).ok()? {
        Top::Array => Some("openwebui"),
        Top::Object(f) => {
            if f.success && f.files == Kind::Array && f.pagination {
                Some("filejar")
            } else if f.success && f.data.files == Kind::Array {
                Some("astracollab")
            } else if f.status && f.data.data == Kind::Array {
                Some("fileguard")
            } else if f.items == Kind::Array && f.total {
                Some("openwebui")
            } else if f.data.kind == Kind::Array && (f.current_page || f.links) {
                Some("flextell")
            } else {
                None
            }
        }
    }
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

/// The top level's `data`: an array itself (Flextell), or an object holding `data` (FileGuard)
/// or `files` (AstraCollab).
#[derive(Debug, Default)]
struct Data {
    kind: Kind,
    data: Kind,
    files: Kind,
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Data, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
                let mut data = Data {
                    kind: Kind::Object,
                    ..Data::default()
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "data" => data.data = map.next_value()?,
                        "files" => data.files = map.next_value()?,
                        _ => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(data)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Data, A::Error> {
                KindVisitor.visit_seq(seq).map(|kind| Data {
                    kind,
                    ..Data::default()
                })
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Data, E> {
                Ok(Data::other())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Data, E> {
                Ok(Data::other())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Data, E> {
                Ok(Data::other())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Data, E> {
                Ok(Data::other())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Data, E> {
                Ok(Data::other())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Data, E> {
                Ok(Data::other())
            }
        }
        d.deserialize_any(V)
    }
}

impl Data {
    fn other() -> Data {
        Data {
            kind: Kind::Other,
            ..Data::default()
        }
    }
}

/// The top-level keys that tell the envelopes apart.
#[derive(Debug, Default)]
struct Fields {
    /// `success: true`.
    success: bool,
    /// `status` is a text.
    status: bool,
    files: Kind,
    items: Kind,
    total: bool,
    pagination: bool,
    links: bool,
    /// `meta.current_page` is there.
    current_page: bool,
    data: Data,
}

enum Top {
    Array,
    Object(Fields),
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Top, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array or object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
                KindVisitor.visit_seq(seq).map(|_| Top::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
                let mut f = Fields::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        // Not a boolean: no envelope of ours (and the answer is not read as one).
                        "success" => f.success = map.next_value::<bool>()?,
                        "status" => {
                            f.status = matches!(map.next_value::<Kind>()?, Kind::Other);
                        }
                        "files" => f.files = map.next_value()?,
                        "items" => f.items = map.next_value()?,
                        "data" => f.data = map.next_value()?,
                        "meta" => f.current_page = map.next_value::<Meta>()?.current_page,
                        "total" => {
                            map.next_value::<IgnoredAny>()?;
                            f.total = true;
                        }
                        "pagination" => f.pagination = map.next_value::<Kind>()? == Kind::Object,
                        "links" => f.links = map.next_value::<Kind>()? == Kind::Object,
                        _ => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(Top::Object(f))
            }
        }
        d.deserialize_any(V)
    }
}

/// A Laravel paginator's `meta`: only whether it has `current_page`.
#[derive(Deserialize)]
struct Meta {
    #[serde(default, deserialize_with = "present")]
    current_page: bool,
}

fn present<'de, D: de::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
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
