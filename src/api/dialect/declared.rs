//! Dialects declared in the configuration file: a user's own paged JSON API described in a
//! few lines of TOML (`[dialects.NAME]`), spoken by the same engine as the built-in ones.
//! Paging by page number, offset, cursor (from the body, or the last record's field), next
//! link (in the body) or `Link` header; fields by dotted path; search, sort and constant
//! parameters where the API has them. docs/DIALECTS.md ("Your own API") documents every key.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    Access, Auth, Capabilities, Continuation, Dialect, ErrorInfo, Page, PageRequest, Param,
    RequestSpec, Search,
};
use crate::api::decode::{Fields, Limits, Normalized, decode_records, json_error, lookup};
use crate::api::query::{ListQuery, Order, Sort, SortField};

/// How an API pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// A page number parameter.
    Page,
    /// An offset (and a limit) parameter.
    Offset,
    /// A token from the body (or the last record's field) that the next request carries.
    Cursor,
    /// The next page's URL in the body.
    NextLink,
    /// The next page's URL in an RFC 8288 `Link` header.
    LinkHeader,
}

/// `[dialects.NAME.paging]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub style: Style,
    pub page_param: Option<String>,
    #[serde(default = "one")]
    pub first_page: usize,
    pub offset_param: Option<String>,
    pub size_param: Option<String>,
    #[serde(default = "hundred")]
    pub max_size: usize,
    pub cursor_param: Option<String>,
    pub cursor: Option<String>,
    pub cursor_from_last: Option<String>,
    pub has_more: Option<String>,
    pub next: Option<String>,
}

fn one() -> usize {
    1
}

fn hundred() -> usize {
    100
}

/// How a timestamp field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// ISO 8601 strings, or numbers: seconds, or milliseconds when too large for seconds.
    #[default]
    Auto,
    Iso,
    UnixS,
    UnixMs,
}

/// A field's dotted path, with its format where it matters.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Field {
    Path(String),
    Formatted {
        path: String,
        #[serde(default)]
        format: TimeFormat,
    },
}

impl Field {
    pub fn path(&self) -> &str {
        match self {
            Field::Path(path) | Field::Formatted { path, .. } => path,
        }
    }

    fn format(&self) -> TimeFormat {
        match self {
            Field::Path(_) => TimeFormat::Auto,
            Field::Formatted { format, .. } => *format,
        }
    }
}

/// `[dialects.NAME.fields]`: dotted paths inside one record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldPaths {
    pub id: Field,
    pub name: Field,
    pub size: Option<Field>,
    pub content_type: Option<Field>,
    pub created_at: Option<Field>,
    pub updated_at: Option<Field>,
    pub url: Option<Field>,
}

/// `sort = { param = "ordering", desc_prefix = "-", fields = { … } }`, or with `order_param`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortParams {
    pub param: String,
    pub desc_prefix: Option<String>,
    pub order_param: Option<String>,
    #[serde(default = "asc")]
    pub asc: String,
    #[serde(default = "desc")]
    pub desc: String,
    /// filescope's field (name, size, type, created, updated) → the API's.
    pub fields: BTreeMap<String, String>,
}

fn asc() -> String {
    "asc".to_string()
}

fn desc() -> String {
    "desc".to_string()
}

/// `[dialects.NAME.query]`: what the server can do.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParams {
    pub search: Option<String>,
    pub sort: Option<SortParams>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// `auth = { header = "Authorization", value = "Token {key}" }` or `{ query = "api_key" }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthParams {
    pub header: Option<String>,
    pub value: Option<String>,
    pub query: Option<String>,
}

/// `[dialects.NAME]`, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub list_path: String,
    #[serde(default)]
    pub records: String,
    pub total: Option<String>,
    /// The total is the server's estimate: shown, never a bound on how far to read.
    #[serde(default)]
    pub total_is_estimate: bool,
    #[serde(default)]
    pub auth: AuthParams,
    pub error_message: Option<String>,
    /// Follow a next link to another origin (without the key).
    #[serde(default)]
    pub follow_other_origins: bool,
    pub paging: Paging,
    pub fields: FieldPaths,
    #[serde(default)]
    pub query: QueryParams,
}

impl Definition {
    /// What types cannot say: the keys a style needs, sort fields filescope knows. Errors
    /// name the key under the dialect, e.g. `paging.page_param: …`.
    pub fn check(&self) -> Result<(), String> {
        let p = &self.paging;
        let need = |key: &str, value: &Option<String>| match value {
            Some(v) if !v.is_empty() => Ok(()),
            _ => Err(format!(
                "paging.{key}: required with style = {:?}",
                style_name(p.style)
            )),
        };
        match p.style {
            Style::Page => need("page_param", &p.page_param)?,
            Style::Offset => need("offset_param", &p.offset_param)?,
            Style::Cursor => {
                need("cursor_param", &p.cursor_param)?;
                if p.cursor.is_some() == p.cursor_from_last.is_some() {
                    return Err(
                        "paging.cursor: give one of cursor (a path in the body) or cursor_from_last (a field of the last record)"
                            .to_string(),
                    );
                }
            }
            Style::NextLink => need("next", &p.next)?,
            Style::LinkHeader => {}
        }
        if p.max_size == 0 {
            return Err("paging.max_size: expected at least 1".to_string());
        }
        if !(self.list_path.starts_with('/') || self.list_path.starts_with("http")) {
            return Err(format!(
                "list_path: expected a path such as \"/api/files/\", got {:?}",
                self.list_path
            ));
        }
        match (&self.auth.header, &self.auth.value, &self.auth.query) {
            (_, _, Some(_)) if self.auth.header.is_some() || self.auth.value.is_some() => {
                return Err("auth: give header and value, or query, not both".to_string());
            }
            (Some(_), Some(value), None) if !value.contains("{key}") => {
                return Err(format!(
                    "auth.value: {value:?} has no {{key}} to put the key in"
                ));
            }
            (None, Some(_), None) => return Err("auth.header: required with auth.value".into()),
            _ => {}
        }
        if let Some(sort) = &self.query.sort {
            if sort.desc_prefix.is_none() && sort.order_param.is_none() {
                return Err(
                    "query.sort: give desc_prefix (\"-name\") or order_param (\"order=desc\")"
                        .to_string(),
                );
            }
            for field in sort.fields.keys() {
                if SortField::parse(field).is_none() {
                    return Err(format!(
                        "query.sort.fields.{field}: not a field filescope sorts by; expected some of name, size, type, created, updated"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Numbered where a page can be asked for by its number or offset; in order otherwise.
    pub fn access(&self) -> Access {
        match self.paging.style {
            Style::Page | Style::Offset => Access::Numbered,
            Style::NextLink | Style::LinkHeader if self.paging.page_param.is_some() => {
                Access::Numbered
            }
            Style::Cursor | Style::NextLink | Style::LinkHeader => Access::Sequential,
        }
    }
}

fn style_name(style: Style) -> &'static str {
    match style {
        Style::Page => "page",
        Style::Offset => "offset",
        Style::Cursor => "cursor",
        Style::NextLink => "next_link",
        Style::LinkHeader => "link_header",
    }
}

/// A dialect declared in the configuration.
#[derive(Debug)]
pub struct Declared {
    caps: &'static Capabilities,
    def: Definition,
}

/// Something only made once per dialect and kept for the process's life.
fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn leak_str(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

/// A parameter name from the definition, owned by the request that carries it (a request
/// made per page must not leak).
fn named(name: &str) -> std::borrow::Cow<'static, str> {
    std::borrow::Cow::Owned(name.to_string())
}

impl Declared {
    /// The dialect `name` speaks as `def` says; `def` must have passed [`Definition::check`].
    pub fn new(name: &str, def: Definition) -> Declared {
        let auth = match (&def.auth.header, &def.auth.value, &def.auth.query) {
            (_, _, Some(param)) => Auth::Query(leak_str(param)),
            (Some(header), value, None) => Auth::Template {
                header: leak_str(&header.to_ascii_lowercase()),
                value: leak_str(value.as_deref().unwrap_or("{key}")),
            },
            (None, _, None) => Auth::Bearer,
        };
        let sort_fields: Vec<SortField> = def
            .query
            .sort
            .as_ref()
            .map(|s| {
                s.fields
                    .keys()
                    .filter_map(|k| SortField::parse(k))
                    .collect()
            })
            .unwrap_or_default();
        let caps = leak(Capabilities {
            id: leak_str(name),
            auth,
            sort_fields: Box::leak(sort_fields.into_boxed_slice()),
            default_sort: Sort {
                field: SortField::Created,
                order: Order::Desc,
            },
            // The server's own order is not declared: listed "as served".
            order_known: false,
            search: if def.query.search.is_some() {
                Search::Substring
            } else {
                Search::None
            },
            terms: &[],
            max_page_size: def.paging.max_size,
            ui_page_size: def.paging.max_size.min(100),
            path_prefix: "",
        });
        Declared { caps, def }
    }

    pub fn definition(&self) -> &Definition {
        &self.def
    }

    /// Parameters every list request carries: constants, page size, search, sort.
    fn common_params(&self, query: &ListQuery, page: PageRequest) -> Vec<Param> {
        let mut params: Vec<Param> = self
            .def
            .query
            .params
            .iter()
            .map(|(k, v)| (named(k), v.clone()))
            .collect();
        if let Some(size) = &self.def.paging.size_param {
            params.push((named(size), page.size.to_string()));
        }
        if let Some(search) = &self.def.query.search
            && !query.search.is_empty()
        {
            params.push((named(search), query.search.clone()));
        }
        if let Some(sort) = &self.def.query.sort
            && let Some(api_field) = sort.fields.get(query.sort.field.name())
            && self.caps.can_sort(query.sort.field)
            && query.sort_asked
        {
            match (&sort.desc_prefix, &sort.order_param) {
                (_, Some(order_param)) => {
                    params.push((named(&sort.param), api_field.clone()));
                    let order = match query.sort.order {
                        Order::Asc => &sort.asc,
                        Order::Desc => &sort.desc,
                    };
                    params.push((named(order_param), order.clone()));
                }
                (Some(prefix), None) => {
                    let value = match query.sort.order {
                        Order::Asc => api_field.clone(),
                        Order::Desc => format!("{prefix}{api_field}"),
                    };
                    params.push((named(&sort.param), value));
                }
                (None, None) => {}
            }
        }
        params
    }
}

/// The keys of a JSON object, each value left raw; `None` when the text is not an object.
fn object(raw: &str) -> Option<HashMap<String, &RawValue>> {
    serde_json::from_str(raw).ok()
}

/// One step down a path: the item at an index of an array, the value at a key of an object.
fn step<'a>(current: &'a RawValue, part: &str) -> Option<&'a RawValue> {
    if current.get().trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(current.get()).ok()?;
        items.get(part.parse::<usize>().ok()?).copied()
    } else {
        object(current.get())?.get(part).copied()
    }
}

/// The raw value at a dotted path (`data.files`, `errors.0`; `""` is the whole).
fn raw_at<'a>(root: &'a RawValue, path: &str) -> Option<&'a RawValue> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(root, step)
}

/// A value read whole (a total, a flag, a cursor); `None` for null.
fn whole(raw: &RawValue) -> Option<Value> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    (!value.is_null()).then_some(value)
}

/// A list answer read once: the keys of an object (each value left raw), or any other value
/// left raw, so that every path into it is resolved without reading the whole body again.
enum Answer<'a> {
    Object(HashMap<String, &'a RawValue>),
    Other(&'a RawValue),
}

impl<'a> Answer<'a> {
    fn read(body: &'a [u8]) -> Result<Self, serde_json::Error> {
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            serde_json::from_slice(body).map(Answer::Object)
        } else {
            serde_json::from_slice(body).map(Answer::Other)
        }
    }

    /// The raw value at a dotted path; `""` is the whole answer when it is not an object.
    fn at(&self, path: &str) -> Option<&'a RawValue> {
        match self {
            Answer::Other(root) => raw_at(root, path),
            Answer::Object(top) => {
                let mut parts = path.split('.').filter(|p| !p.is_empty());
                let first = *top.get(parts.next()?)?;
                parts.try_fold(first, step)
            }
        }
    }

    /// A small value at a dotted path, read whole.
    fn value(&self, path: &str) -> Option<Value> {
        whole(self.at(path)?)
    }

    /// ", which has keys a, b, c" for an object, to say what a path could be.
    fn keys_hint(&self) -> String {
        match self {
            Answer::Object(top) => {
                let mut keys: Vec<&String> = top.keys().collect();
                keys.sort();
                let keys: Vec<String> = keys.iter().take(12).map(|k| format!("`{k}`")).collect();
                format!(", which has {}", keys.join(", "))
            }
            Answer::Other(root) if root.get().trim_start().starts_with('[') => {
                " (the answer is an array: records = \"\")".to_string()
            }
            Answer::Other(_) => String::new(),
        }
    }
}

/// Every link of an answer's `Link` headers, as `(rel, url)` pairs.
pub fn header_links(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .collect()
}

/// The links of an RFC 8288 `Link` header: `<url>; rel="next", <url>; rel="last"`, as
/// `(rel, url)` pairs (a link with several relations appears once per relation).
pub fn parse_link_header(header: &str) -> Vec<(String, String)> {
    let mut links = Vec::new();
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let url = rest[open + 1..open + close].trim().to_string();
        rest = &rest[open + close + 1..];
        // The parameters run to the next link (a comma outside quotes) or the end.
        let mut end = rest.len();
        let mut quoted = false;
        for (i, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        for param in rest[..end].split(';') {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("rel") {
                for rel in value.trim().trim_matches('"').split_whitespace() {
                    links.push((rel.to_ascii_lowercase(), url.clone()));
                }
            }
        }
        rest = &rest[end..];
    }
    links
}

/// The value of a query parameter in a URL (absolute or relative).
fn query_param(link: &str, name: &str) -> Option<String> {
    let base = reqwest::Url::parse("http://base.invalid/").ok()?;
    let url = base.join(link).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A value as cursor text: strings as they are, numbers as written.
fn cursor_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Dialect for Declared {
    fn capabilities(&self) -> &'static Capabilities {
        self.caps
    }

    fn access(&self) -> Access {
        self.def.access()
    }

    fn follows_other_origins(&self) -> bool {
        self.def.follow_other_origins
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        let mut params = self.common_params(query, page);
        let p = &self.def.paging;
        match p.style {
            Style::Offset => {
                if let Some(offset) = &p.offset_param {
                    params.push((named(offset), page.first_row().to_string()));
                }
            }
            _ => {
                if let Some(param) = &p.page_param
                    && (p.style == Style::Page
                        || page.number > 1
                        || self.access() == Access::Numbered)
                {
                    params.push((named(param), (p.first_page + page.number - 1).to_string()));
                }
            }
        }
        RequestSpec {
            path: self.def.list_path.clone(),
            query: params,
        }
    }

    fn continue_request(&self, query: &ListQuery, page: PageRequest, cursor: &str) -> RequestSpec {
        let mut params = self.common_params(query, page);
        if let Some(param) = &self.def.paging.cursor_param {
            params.push((named(param), cursor.to_string()));
        }
        RequestSpec {
            path: self.def.list_path.clone(),
            query: params,
        }
    }

    fn decode_page(
        &self,
        query: &ListQuery,
        page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        self.decode_answer(
            query,
            page,
            &reqwest::header::HeaderMap::new(),
            body,
            limits,
        )
    }

    fn peek_next(
        &self,
        page: PageRequest,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Option<Continuation> {
        let answer = Answer::read(body).ok()?;
        // An empty page ends a listing (or contradicts the server): nothing to ask early.
        let records = answer.at(&self.def.records)?;
        if records
            .get()
            .trim_start()
            .strip_prefix('[')
            .is_some_and(|rest| rest.trim_start().starts_with(']'))
        {
            return None;
        }
        let (count, last) = if self.def.paging.cursor_from_last.is_some() {
            // The records read raw, to count them and find the last one.
            let records: Vec<&RawValue> =
                serde_json::from_str(answer.at(&self.def.records)?.get()).ok()?;
            (records.len(), records.last().copied())
        } else {
            (0, None)
        };
        self.follows(page, headers, &answer, count, last).1
    }

    fn decode_answer(
        &self,
        _query: &ListQuery,
        page: PageRequest,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let answer = Answer::read(body).map_err(|e| json_error(&e))?;
        let records_raw = answer.at(&self.def.records).ok_or_else(|| {
            format!(
                "no records at `{}` in the answer{}",
                self.def.records,
                answer.keys_hint()
            )
        })?;
        let fields = &self.def.fields;
        let records = decode_records(records_raw, limits, |f: &mut Fields<'_>| {
            let time = |f: &mut Fields<'_>, field: &Option<Field>| {
                let field = field.as_ref()?;
                match field.format() {
                    TimeFormat::Auto => f.any_time(field.path()),
                    TimeFormat::Iso => f.iso_time(field.path()),
                    TimeFormat::UnixS => f.unix_time(field.path()),
                    TimeFormat::UnixMs => f.unix_ms_time(field.path()),
                }
            };
            Normalized {
                id: f.id(fields.id.path()),
                name: f.string(fields.name.path()).unwrap_or_default(),
                size: fields.size.as_ref().and_then(|p| f.size(p.path())),
                content_type: fields
                    .content_type
                    .as_ref()
                    .and_then(|p| f.string(p.path())),
                created_at: time(f, &fields.created_at),
                updated_at: time(f, &fields.updated_at),
                url: fields.url.as_ref().and_then(|p| f.string(p.path())),
            }
        })?;
        let total = self.def.total.as_ref().and_then(|path| {
            let v = answer.value(path)?;
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| usize::try_from(n).ok())
        });
        let last = records.last().map(|r| &*r.raw);
        let (has_more, next, last_page) = self.follows(page, headers, &answer, records.len(), last);
        let p = &self.def.paging;
        let mut records = records;
        let warning = if page.number == 1 {
            self.unresolved(&mut records)
        } else {
            None
        };
        let has_next = match p.style {
            Style::Page | Style::Offset => {
                has_more.or_else(|| total.map(|t| page.first_row() + records.len() < t))
            }
            _ => Some(has_more.unwrap_or(true) && next.is_some()),
        };
        Ok(Page {
            records,
            total,
            has_next,
            total_is_estimate: self.def.total_is_estimate,
            next,
            last_page,
            warning,
            ..Page::default()
        })
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        if let Some(path) = &self.def.error_message {
            let value: Value = serde_json::from_slice(body).ok()?;
            let message = lookup(&value, path)?;
            let message = match message {
                Value::String(s) => s.clone(),
                other => crate::api::decode::preview(other),
            };
            return Some(ErrorInfo {
                code: None,
                message,
            });
        }
        super::common_error(body)
    }
}

impl Declared {
    /// What follows a page of `count` records ending with `last`: the server's has_more
    /// flag, the continuation of the next page, and (from a `Link` header) the last page.
    fn follows(
        &self,
        page: PageRequest,
        headers: &reqwest::header::HeaderMap,
        answer: &Answer<'_>,
        count: usize,
        last: Option<&RawValue>,
    ) -> (Option<bool>, Option<Continuation>, Option<usize>) {
        let p = &self.def.paging;
        let has_more = p
            .has_more
            .as_ref()
            .and_then(|path| match answer.value(path)? {
                Value::Bool(b) => Some(b),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            });
        let (next, last_page) = match p.style {
            Style::Page | Style::Offset => (None, None),
            Style::Cursor => {
                let cursor = match (&p.cursor, &p.cursor_from_last) {
                    (Some(path), _) => answer.value(path).as_ref().and_then(cursor_text),
                    (None, Some(field)) => last.and_then(|last| {
                        let value: Value = serde_json::from_str(last.get()).ok()?;
                        lookup(&value, field).and_then(cursor_text)
                    }),
                    (None, None) => None,
                };
                // Without a has_more flag, a cursor from the last record means more only when
                // the page was full.
                let more = match (has_more, &p.cursor_from_last) {
                    (Some(more), _) => more,
                    (None, Some(_)) => count >= page.size,
                    (None, None) => true,
                };
                (cursor.filter(|_| more).map(Continuation::Cursor), None)
            }
            Style::NextLink => {
                let link = p
                    .next
                    .as_ref()
                    .and_then(|path| answer.value(path))
                    .and_then(|v| v.as_str().map(str::to_string))
                    .filter(|s| !s.is_empty());
                (link.map(Continuation::Link), None)
            }
            Style::LinkHeader => {
                let links = header_links(headers);
                let find = |rel: &str| links.iter().find(|(r, _)| r == rel).map(|(_, u)| u.clone());
                let last = p.page_param.as_ref().and_then(|param| {
                    let n: usize = query_param(&find("last")?, param)?.parse().ok()?;
                    (n + 1).checked_sub(p.first_page)
                });
                (find("next").map(Continuation::Link), last)
            }
        };
        (has_more, next, last_page)
    }

    /// The declared field paths no record of a page resolved: each record says so in its
    /// problems (the detail pane), naming the path and the keys it does have, and the page
    /// says it once (the status line).
    fn unresolved(&self, records: &mut [crate::api::FileRecord]) -> Option<String> {
        let f = &self.def.fields;
        let declared: Vec<(&str, &Field)> = [
            ("id", Some(&f.id)),
            ("name", Some(&f.name)),
            ("size", f.size.as_ref()),
            ("content_type", f.content_type.as_ref()),
            ("created_at", f.created_at.as_ref()),
            ("updated_at", f.updated_at.as_ref()),
            ("url", f.url.as_ref()),
        ]
        .into_iter()
        .filter_map(|(name, field)| field.map(|field| (name, field)))
        .collect();
        let values: Vec<Value> = records
            .iter()
            .map(|r| serde_json::from_str(r.raw.get()).unwrap_or(Value::Null))
            .collect();
        let missing: Vec<String> = declared
            .iter()
            .filter(|(_, field)| values.iter().all(|v| lookup(v, field.path()).is_none()))
            .map(|(name, field)| format!("fields.{name} = {:?}", field.path()))
            .collect();
        if missing.is_empty() || records.is_empty() {
            return None;
        }
        let keys = values
            .first()
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        let said = format!(
            "{} resolved nothing on page 1; a record has the keys {keys}",
            missing.join(", ")
        );
        for record in records.iter_mut() {
            record.problems.push(said.clone());
        }
        Some(format!("{}: {said}", self.caps.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_as_github_writes_them() {
        let header = r#"<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first""#;
        let links = parse_link_header(header);
        assert_eq!(links.len(), 4);
        assert_eq!(
            links[1],
            (
                "next".to_string(),
                "https://api.github.com/repositories/1300192/issues?page=4".to_string()
            )
        );
        assert_eq!(query_param(&links[2].1, "page").as_deref(), Some("515"));
        // Quoted commas and several relations in one link.
        let links = parse_link_header(r#"</a?x=1,2>; title="a, b"; rel="next last""#);
        assert_eq!(links.len(), 2);
        assert_eq!(links[1].0, "last");
        assert!(parse_link_header("garbage").is_empty());
    }

    #[test]
    fn raw_paths_reach_nested_records_and_array_items() {
        let root: &RawValue =
            serde_json::from_str(r#"{"data":{"files":[1,2]},"errors":[{"title":"x"}]}"#).unwrap();
        assert_eq!(raw_at(root, "data.files").unwrap().get(), "[1,2]");
        assert!(raw_at(root, "data.nope").is_none());
        assert_eq!(raw_at(root, "").unwrap().get(), root.get());
        let body = br#"{"data":{"files":[1,2]},"errors":[{"title":"x"}],"n":null}"#;
        let answer = Answer::read(body).unwrap();
        assert_eq!(answer.at("data.files").unwrap().get(), "[1,2]");
        assert_eq!(
            answer.value("errors.0.title"),
            Some(Value::String("x".into()))
        );
        assert_eq!(answer.value("n"), None);
        assert!(answer.at("").is_none());
        assert_eq!(answer.keys_hint(), ", which has `data`, `errors`, `n`");
        let answer = Answer::read(b" [3,4]").unwrap();
        assert_eq!(answer.at("1").unwrap().get(), "4");
        assert_eq!(answer.at("").unwrap().get(), "[3,4]");
    }
}
