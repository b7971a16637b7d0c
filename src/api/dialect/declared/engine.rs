//! Dialects declared in the configuration file: a user's own paged JSON API described in a
//! few lines of TOML (`[dialects.NAME]`), spoken by the same engine as the built-in ones.
//! Paging by page number, offset, cursor (from the body, or the last record's field), next
//! link (in the body) or `Link` header; fields by dotted path; search, sort and constant
//! parameters where the API has them. docs/DIALECTS.md ("Your own API") documents every key.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use std::borrow::Cow;

use crate::api::decode::{
    Fields, Limits, Normalized, count, decode_records, flag, json_error, lookup,
};
use crate::api::dialect::{
    Access, Auth, Capabilities, ContentSource, Continuation, Dialect, ErrorInfo, Page, PageRequest,
    Param, RequestSpec, Scope, ScopeKind, ScopePage, Search,
};
use crate::api::filter::{Term, TermKey};
use crate::api::query::{ListQuery, Order, Sort, SortField};
use crate::api::record::FileRecord;

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
    /// Where the storage keeps the file (FileJar's `key`), shown in the detail.
    pub key: Option<Field>,
    /// The content's digest as `sha256:<hex>`, checked after a download.
    pub checksum: Option<Field>,
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
    /// The fields the server sorts by as filescope means it; by default every one of
    /// `fields` (a field named only there is still sent when a query holds it).
    pub sortable: Option<Vec<String>>,
    /// Send the sort with every request, the API's own order too (by default only a sort
    /// the user asked for is sent).
    #[serde(default)]
    pub always: bool,
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
    /// The filter terms the server applies, and as which parameters.
    #[serde(default)]
    pub terms: Vec<TermParam>,
    /// Each term once, in the order of `terms` (the first of a kind; sizes as their tightest
    /// bounds), rather than every term in the order the filter has them.
    #[serde(default)]
    pub terms_once: bool,
    /// The order the parameters are written in: a permutation of `params`, `size`,
    /// `search`, `sort`, `terms`, `page` (the page number, offset or cursor).
    pub order: Option<Vec<Slot>>,
}

/// A group of parameters, for [`QueryParams::order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Params,
    Size,
    Search,
    Sort,
    Terms,
    Page,
}

/// The order parameters are written in unless the definition says: as before `order` existed.
const DEFAULT_ORDER: [Slot; 6] = [
    Slot::Params,
    Slot::Size,
    Slot::Search,
    Slot::Sort,
    Slot::Terms,
    Slot::Page,
];

/// `{ key = "type", param = "content_type", mime = true }`: a filter term the server applies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermParam {
    /// The term: type, size, context, uploaded_by, folder, trashed or fileable.
    pub key: String,
    /// The parameter that carries its value (for fileable, the kind).
    pub param: Option<String>,
    /// type: the categories the server takes, matched ignoring case and sent lower-case;
    /// any other type is applied locally.
    pub values: Option<Vec<String>>,
    /// type: only full MIME types (`application/pdf`) go to the server, as written.
    #[serde(default)]
    pub mime: bool,
    /// size: the parameters of the lower and upper bound, in bytes, both inclusive.
    pub min: Option<String>,
    pub max: Option<String>,
    /// fileable: the parameter of the id after `#`.
    pub id_param: Option<String>,
}

impl TermParam {
    fn term_key(&self) -> Option<TermKey> {
        TermKey::ALL
            .into_iter()
            .find(|k| k.name() == self.key && *k != TermKey::Prefix)
    }
}

/// `default_sort = { field = "created", order = "desc" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortSpec {
    pub field: String,
    pub order: String,
}

/// A value a flag in an answer is compared with: `false`, or a word such as `"error"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FlagValue {
    Bool(bool),
    Text(String),
}

/// `failure = { path = "success", is = false, message = "message" }`: an answer (even a 200)
/// that says it failed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    pub path: String,
    pub is: FlagValue,
    pub message: Option<String>,
}

/// `detail = { path = "/v1/files/{id}", record = "data" }`: one file's full record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailParams {
    pub path: String,
    #[serde(default)]
    pub record: String,
    /// The checksum is only in this record, not in the listing's.
    #[serde(default)]
    pub checksum: bool,
}

/// `content = { path = "/v1/files/{id}", link = "data.url" }`: where a file's bytes come
/// from when not from the record's `url`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentParams {
    pub path: String,
    /// The fresh link in the endpoint's answer; without it the endpoint answers with the bytes.
    pub link: Option<String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Every link handed out counts as a download: resolved only when asked.
    #[serde(default)]
    pub counts_as_download: bool,
}

/// What files are grouped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopesKind {
    Folders,
    Contexts,
}

/// `[dialects.NAME.scopes]`: the folders (or contexts) listed beside the files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopesParams {
    pub kind: ScopesKind,
    pub path: String,
    pub records: String,
    pub id: String,
    pub name: Option<String>,
    /// The API's count of the files in one, and their total size.
    pub files: Option<String>,
    pub bytes: Option<String>,
    pub has_more: Option<String>,
    /// Folders: the parameter that names the parent whose children are listed.
    pub parent_param: Option<String>,
    /// The note beside a name starts with the id (contexts shown by a display name).
    #[serde(default)]
    pub show_id: bool,
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
    /// The order the server lists in unasked; `created desc` unless said.
    pub default_sort: Option<SortSpec>,
    /// The server's own order is `default_sort` as documented (otherwise it is shown "as
    /// served", and any sort is asked for or done locally).
    #[serde(default)]
    pub order_known: bool,
    /// What the listing belongs to (an organization's name), shown in the header.
    pub owner: Option<String>,
    pub failure: Option<Failure>,
    /// Details appended to an error's message: a map of parameter → reason, or a list.
    pub error_details: Option<String>,
    pub detail: Option<DetailParams>,
    /// The DELETE endpoint of one file, `{id}` where its id goes.
    pub delete_path: Option<String>,
    pub content: Option<ContentParams>,
    pub scopes: Option<ScopesParams>,
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
            for field in sort.sortable.iter().flatten() {
                if !sort.fields.contains_key(field) {
                    return Err(format!(
                        "query.sort.sortable: {field:?} is not one of query.sort.fields"
                    ));
                }
            }
        }
        self.check_more()
    }

    /// The keys beyond paging, fields and sort: terms, order, templates, scopes.
    fn check_more(&self) -> Result<(), String> {
        for (i, term) in self.query.terms.iter().enumerate() {
            let at = format!("query.terms[{i}]");
            let Some(key) = term.term_key() else {
                return Err(format!(
                    "{at}.key: {:?} is not a term the server can apply; expected one of type, size, context, uploaded_by, folder, trashed, fileable",
                    term.key
                ));
            };
            let needs_param = match key {
                TermKey::Size => {
                    if term.min.is_none() && term.max.is_none() {
                        return Err(format!("{at}: a size term needs min, max or both"));
                    }
                    false
                }
                _ => true,
            };
            if needs_param && term.param.as_deref().is_none_or(str::is_empty) {
                return Err(format!("{at}.param: required for a {} term", term.key));
            }
            if term.mime && term.values.is_some() {
                return Err(format!("{at}: give values or mime = true, not both"));
            }
            if self.query.terms[..i].iter().any(|t| t.key == term.key) {
                return Err(format!("{at}.key: {} is declared twice", term.key));
            }
        }
        if let Some(order) = &self.query.order {
            let mut sorted = order.clone();
            sorted.sort_by_key(|slot| DEFAULT_ORDER.iter().position(|s| s == slot));
            if sorted != DEFAULT_ORDER {
                return Err(
                    "query.order: expected each of params, size, search, sort, terms and page once"
                        .to_string(),
                );
            }
        }
        if let Some(sort) = &self.default_sort {
            if SortField::parse(&sort.field).is_none() {
                return Err(format!(
                    "default_sort.field: {:?} is not one of name, size, type, created, updated",
                    sort.field
                ));
            }
            if order_named(&sort.order).is_none() {
                return Err(format!(
                    "default_sort.order: expected asc or desc, got {:?}",
                    sort.order
                ));
            }
        }
        let template = |key: &str, path: &str| {
            if path.starts_with('/') && path.contains("{id}") {
                Ok(())
            } else {
                Err(format!(
                    "{key}: expected a path with {{id}} in it, such as \"/files/{{id}}\", got {path:?}"
                ))
            }
        };
        if let Some(detail) = &self.detail {
            template("detail.path", &detail.path)?;
        }
        if let Some(path) = &self.delete_path {
            template("delete_path", path)?;
        }
        if let Some(content) = &self.content {
            template("content.path", &content.path)?;
        }
        if let Some(scopes) = &self.scopes
            && !scopes.path.starts_with('/')
        {
            return Err(format!(
                "scopes.path: expected a path such as \"/folders\", got {:?}",
                scopes.path
            ));
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

/// `asc` or `desc`.
fn order_named(name: &str) -> Option<Order> {
    [Order::Asc, Order::Desc]
        .into_iter()
        .find(|o| o.name() == name)
}

/// A dialect declared in the configuration, or one of filescope's own built from the
/// definition embedded in the binary.
#[derive(Debug)]
pub struct Declared {
    caps: Capabilities,
    def: Definition,
    /// Built into filescope: its paths are known to resolve, and its messages name the answer
    /// rather than a definition the user never wrote.
    builtin: bool,
}

/// A parameter name from the definition, owned by the request that carries it.
fn named(name: &str) -> Cow<'static, str> {
    Cow::Owned(name.to_string())
}

/// A path template with the id put in as one path segment.
fn with_id(template: &str, id: &str) -> String {
    template.replace("{id}", &crate::api::dialect::path_segment(id))
}

/// A dotted path as a JSON pointer (`data.url` → `/data/url`).
fn pointer(path: &str) -> String {
    path.split('.')
        .filter(|p| !p.is_empty())
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

impl Declared {
    /// The dialect `name` speaks as `def` says; `def` must have passed [`Definition::check`].
    pub fn new(name: &str, def: Definition) -> Declared {
        let auth = match (&def.auth.header, &def.auth.value, &def.auth.query) {
            (_, _, Some(param)) => Auth::Query(named(param)),
            (Some(header), None, None) => Auth::ApiKeyHeader(named(&header.to_ascii_lowercase())),
            (Some(header), Some(value), None) => Auth::Template {
                header: named(&header.to_ascii_lowercase()),
                value: named(value),
            },
            (None, _, None) => Auth::Bearer,
        };
        let sort_fields: Vec<SortField> = def
            .query
            .sort
            .as_ref()
            .map(|s| match &s.sortable {
                Some(sortable) => sortable
                    .iter()
                    .filter_map(|k| SortField::parse(k))
                    .collect(),
                None => s
                    .fields
                    .keys()
                    .filter_map(|k| SortField::parse(k))
                    .collect(),
            })
            .unwrap_or_default();
        let default_sort = def
            .default_sort
            .as_ref()
            .and_then(|s| {
                Some(Sort {
                    field: SortField::parse(&s.field)?,
                    order: order_named(&s.order)?,
                })
            })
            .unwrap_or(Sort {
                field: SortField::Created,
                order: Order::Desc,
            });
        let caps = Capabilities {
            id: named(name),
            auth,
            sort_fields: Cow::Owned(sort_fields),
            default_sort,
            order_known: def.order_known,
            search: if def.query.search.is_some() {
                Search::Substring
            } else {
                Search::None
            },
            terms: def
                .query
                .terms
                .iter()
                .filter_map(TermParam::term_key)
                .collect(),
            max_page_size: def.paging.max_size,
            ui_page_size: def.paging.max_size.min(100),
            path_prefix: Cow::Borrowed(""),
        };
        Declared {
            caps,
            def,
            builtin: false,
        }
    }

    /// One of filescope's own dialects, from the definition embedded in the binary.
    pub(in crate::api::dialect) fn builtin(name: &str, def: Definition) -> Declared {
        Declared {
            builtin: true,
            ..Declared::new(name, def)
        }
    }

    pub fn definition(&self) -> &Definition {
        &self.def
    }

    /// The parameters of a list request in the declared order, `page` where the page number,
    /// offset or cursor goes.
    fn params(&self, query: &ListQuery, page: PageRequest, paging: Vec<Param>) -> Vec<Param> {
        let q = &self.def.query;
        let mut paging = Some(paging);
        let mut params = Vec::new();
        for slot in q.order.as_deref().unwrap_or(&DEFAULT_ORDER) {
            match slot {
                Slot::Params => params.extend(q.params.iter().map(|(k, v)| (named(k), v.clone()))),
                Slot::Size => {
                    if let Some(size) = &self.def.paging.size_param {
                        params.push((named(size), page.size.to_string()));
                    }
                }
                Slot::Search => {
                    if let Some(search) = &q.search
                        && !query.search.is_empty()
                    {
                        params.push((named(search), query.search.clone()));
                    }
                }
                Slot::Sort => self.sort_params(query, &mut params),
                Slot::Terms => self.term_params(query, &mut params),
                Slot::Page => params.extend(paging.take().unwrap_or_default()),
            }
        }
        params
    }

    fn sort_params(&self, query: &ListQuery, params: &mut Vec<Param>) {
        let Some(sort) = &self.def.query.sort else {
            return;
        };
        let Some(api_field) = sort.fields.get(query.sort.field.name()) else {
            return;
        };
        if !(query.sort_asked || sort.always) {
            return;
        }
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

    /// The server's filter terms as parameters: each term in the filter's order, or with
    /// `terms_once` each declared term once in the definition's order. Sizes go as one pair
    /// of bounds, the tightest of every size term.
    fn term_params(&self, query: &ListQuery, params: &mut Vec<Param>) {
        let q = &self.def.query;
        let declared = |key: TermKey| q.terms.iter().find(|t| t.term_key() == Some(key));
        let mut sized = false;
        let mut push = |term: &Term, params: &mut Vec<Param>| {
            let Some(how) = declared(term.key()) else {
                return;
            };
            let param = how.param.as_deref().map(named);
            match term {
                Term::Size(..) => {
                    if std::mem::replace(&mut sized, true) {
                        return;
                    }
                    let (min, max) = crate::api::dialect::size_bounds(&query.terms);
                    if let (Some(p), Some(n)) = (&how.min, min) {
                        params.push((named(p), n.to_string()));
                    }
                    if let (Some(p), Some(n)) = (&how.max, max) {
                        params.push((named(p), n.to_string()));
                    }
                }
                Term::Type(value) if how.values.is_some() => {
                    params.extend(param.map(|p| (p, value.to_ascii_lowercase())));
                }
                Term::Type(value)
                | Term::Context(value)
                | Term::UploadedBy(value)
                | Term::Folder(value)
                | Term::Prefix(value) => params.extend(param.map(|p| (p, value.clone()))),
                Term::Trashed(trashed) => params.extend(param.map(|p| (p, trashed.to_string()))),
                Term::Fileable { kind, id } => {
                    params.extend(param.map(|p| (p, kind.clone())));
                    if let (Some(p), Some(id)) = (&how.id_param, id) {
                        params.push((named(p), id.to_string()));
                    }
                }
            }
        };
        if q.terms_once {
            for how in &q.terms {
                if let Some(term) = query.terms.iter().find(|t| Some(t.key()) == how.term_key()) {
                    push(term, params);
                }
            }
        } else {
            for term in &query.terms {
                push(term, params);
            }
        }
    }

    /// Whether the answer says it failed: `Err` with the server's reason.
    fn failed(&self, answer: impl Fn(&str) -> Option<Value>) -> Result<(), String> {
        let Some(failure) = &self.def.failure else {
            return Ok(());
        };
        let hit = match (&failure.is, answer(&failure.path)) {
            (FlagValue::Bool(want), Some(Value::Bool(b))) => b == *want,
            (FlagValue::Bool(want), Some(Value::String(s))) => {
                s.trim().parse::<bool>().ok() == Some(*want)
            }
            (FlagValue::Text(want), Some(Value::String(s))) => s.eq_ignore_ascii_case(want),
            _ => false,
        };
        if !hit {
            return Ok(());
        }
        Err(match &failure.message {
            Some(path) => format!(
                "the server reported failure: {}",
                answer(path)
                    .as_ref()
                    .and_then(Value::as_str)
                    .unwrap_or("no reason given")
            ),
            None => "the server reported failure".to_string(),
        })
    }

    /// One record, as the field paths say.
    fn normalize(&self, f: &mut Fields<'_>) -> Normalized {
        let fields = &self.def.fields;
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
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn access(&self) -> Access {
        self.def.access()
    }

    fn follows_other_origins(&self) -> bool {
        self.def.follow_other_origins
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        let p = &self.def.paging;
        let mut paging = Vec::new();
        match p.style {
            Style::Offset => {
                if let Some(offset) = &p.offset_param {
                    paging.push((named(offset), page.first_row().to_string()));
                }
            }
            _ => {
                if let Some(param) = &p.page_param
                    && (p.style == Style::Page
                        || page.number > 1
                        || self.access() == Access::Numbered)
                {
                    paging.push((named(param), (p.first_page + page.number - 1).to_string()));
                }
            }
        }
        RequestSpec {
            path: self.def.list_path.clone(),
            query: self.params(query, page, paging),
        }
    }

    /// A cursor where the API takes one; without, the page by its number (as the trait's
    /// default: the client only continues from a cursor an answer named).
    fn continue_request(&self, query: &ListQuery, page: PageRequest, cursor: &str) -> RequestSpec {
        let Some(param) = &self.def.paging.cursor_param else {
            return self.list_request(query, page);
        };
        let paging = vec![(named(param), cursor.to_string())];
        RequestSpec {
            path: self.def.list_path.clone(),
            query: self.params(query, page, paging),
        }
    }

    fn applies_on_server(&self, term: &Term) -> bool {
        let Some(how) = self
            .def
            .query
            .terms
            .iter()
            .find(|t| t.term_key() == Some(term.key()))
        else {
            return false;
        };
        match term {
            Term::Type(value) if how.mime => value.contains('/'),
            Term::Type(value) => how
                .values
                .as_ref()
                .is_none_or(|values| values.iter().any(|v| v.eq_ignore_ascii_case(value))),
            Term::Size(..) => term.size_range().is_some(),
            _ => true,
        }
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        let detail = self.def.detail.as_ref()?;
        Some(RequestSpec {
            path: with_id(&detail.path, id),
            query: Vec::new(),
        })
    }

    fn decode_detail(&self, body: &[u8]) -> Result<FileRecord, String> {
        let Some(detail) = &self.def.detail else {
            return Err("this API has no single-file endpoint".to_string());
        };
        let value: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        self.failed(|path| lookup(&value, path).cloned())?;
        crate::api::dialect::one_record(&value, &detail.record, |f| self.normalize(f))
    }

    fn delete_request(&self, id: &str) -> Option<RequestSpec> {
        Some(RequestSpec {
            path: with_id(self.def.delete_path.as_ref()?, id),
            query: Vec::new(),
        })
    }

    fn content_source(&self, record: &FileRecord) -> ContentSource {
        let Some(content) = &self.def.content else {
            return match &record.url {
                Some(url) if !url.is_empty() => ContentSource::Link(url.clone()),
                _ => {
                    ContentSource::Unavailable("the record has no link to its content".to_string())
                }
            };
        };
        let request = RequestSpec {
            path: with_id(&content.path, &record.id),
            query: content
                .query
                .iter()
                .map(|(k, v)| (named(k), v.clone()))
                .collect(),
        };
        match &content.link {
            Some(link) => ContentSource::Resolve {
                request,
                pointer: Cow::Owned(pointer(link)),
            },
            None => ContentSource::Endpoint(request),
        }
    }

    fn link_counts_as_download(&self) -> bool {
        self.def
            .content
            .as_ref()
            .is_some_and(|c| c.counts_as_download)
    }

    fn checksum(&self, record: &FileRecord) -> Option<crate::api::content::Checksum> {
        let checksum = self.checksum_text(record)?;
        let hex = checksum.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
            crate::api::content::Checksum {
                algorithm: crate::api::content::Algorithm::Sha256,
                hex: hex.to_ascii_lowercase(),
            }
        })
    }

    fn checksum_text(&self, record: &FileRecord) -> Option<String> {
        let field = self.def.fields.checksum.as_ref()?;
        crate::api::dialect::raw_str(record, &pointer(field.path()))
    }

    fn checksum_in_detail(&self) -> bool {
        self.def.detail.as_ref().is_some_and(|d| d.checksum)
    }

    fn storage_key(&self, record: &FileRecord) -> Option<String> {
        let key = self.def.fields.key.as_ref()?;
        crate::api::dialect::raw_str(record, &pointer(key.path()))
    }

    fn scope_kind(&self) -> Option<ScopeKind> {
        Some(match self.def.scopes.as_ref()?.kind {
            ScopesKind::Folders => ScopeKind::Folders,
            ScopesKind::Contexts => ScopeKind::Contexts,
        })
    }

    /// The list's page and size parameters (the size at most the largest page), the
    /// scopes' own constants, then the parent.
    fn scopes_request(&self, parent: Option<&str>, page: PageRequest) -> Option<RequestSpec> {
        let scopes = self.def.scopes.as_ref()?;
        let p = &self.def.paging;
        let mut query: Vec<Param> = Vec::new();
        if let Some(param) = &p.page_param {
            query.push((named(param), (p.first_page + page.number - 1).to_string()));
        }
        if let Some(param) = &p.size_param {
            query.push((named(param), page.size.min(p.max_size).to_string()));
        }
        query.extend(scopes.params.iter().map(|(k, v)| (named(k), v.clone())));
        if let (Some(param), Some(parent)) = (&scopes.parent_param, parent) {
            query.push((named(param), parent.to_string()));
        }
        Some(RequestSpec {
            path: scopes.path.clone(),
            query,
        })
    }

    fn decode_scopes(&self, body: &[u8]) -> Result<ScopePage, String> {
        let Some(scopes) = &self.def.scopes else {
            return Err("this API has no folders or contexts".to_string());
        };
        let value: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        self.failed(|path| lookup(&value, path).cloned())?;
        let items = lookup(&value, &scopes.records)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("expected a `{}` array in the answer", scopes.records))?;
        let found = items
            .iter()
            .filter_map(|item| {
                let text = |path: &str| {
                    lookup(item, path).and_then(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                };
                let id = text(&scopes.id)?;
                let files = scopes.files.as_ref().and_then(|path| count(item, path));
                Some(Scope {
                    name: scopes
                        .name
                        .as_ref()
                        .and_then(|path| text(path))
                        .unwrap_or_else(|| id.clone()),
                    note: match (scopes.show_id, files) {
                        (true, Some(n)) => {
                            Some(format!("{id} · {} files", crate::text::thousands(n)))
                        }
                        (true, None) => Some(id.clone()),
                        (false, n) => n.map(|n| format!("{} files", crate::text::thousands(n))),
                    },
                    files: files.map(|n| n as u64),
                    bytes: scopes
                        .bytes
                        .as_ref()
                        .and_then(|path| lookup(item, path))
                        .and_then(Value::as_u64),
                    id,
                })
            })
            .collect();
        Ok(ScopePage {
            scopes: found,
            has_next: scopes
                .has_more
                .as_ref()
                .and_then(|path| flag(&value, path))
                .unwrap_or(false),
        })
    }

    fn scope_term(&self, id: &str) -> Term {
        match self.def.scopes.as_ref().map(|s| s.kind) {
            Some(ScopesKind::Contexts) => Term::Context(id.to_string()),
            _ => Term::Folder(id.to_string()),
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
        self.failed(|path| answer.value(path))?;
        let records_raw = answer.at(&self.def.records).ok_or_else(|| {
            if self.builtin {
                format!("expected a `{}` array in the answer", self.def.records)
            } else {
                format!(
                    "no records at `{}` in the answer{}",
                    self.def.records,
                    answer.keys_hint()
                )
            }
        })?;
        let records = decode_records(records_raw, limits, |f: &mut Fields<'_>| self.normalize(f))?;
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
        let warning = if page.number == 1 && !self.builtin {
            self.unresolved(&mut records)
        } else {
            None
        };
        let has_next = match p.style {
            // A next link that is there but null (Laravel's `links.next`) ends the listing.
            Style::Page | Style::Offset => has_more
                .or_else(|| {
                    let link = answer.at(p.next.as_deref()?)?;
                    Some(link.get().trim() != "null")
                })
                .or_else(|| total.map(|t| page.first_row() + records.len() < t)),
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
            scope: self
                .def
                .owner
                .as_ref()
                .and_then(|path| answer.value(path))
                .and_then(|v| v.as_str().map(str::to_string)),
            ..Page::default()
        })
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let info = match &self.def.error_message {
            Some(path) => {
                let value: Value = serde_json::from_slice(body).ok()?;
                let message = lookup(&value, path)?;
                let message = match message {
                    Value::String(s) => s.clone(),
                    other => crate::api::decode::preview(other),
                };
                ErrorInfo {
                    code: None,
                    message,
                }
            }
            None => crate::api::dialect::common_error(body)?,
        };
        let Some(details) = &self.def.error_details else {
            return Some(info);
        };
        let value: Value = serde_json::from_slice(body).ok()?;
        Some(ErrorInfo {
            message: crate::api::dialect::with_details(info.message, lookup(&value, details)),
            code: info.code,
        })
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

    fn definition(extra: &str) -> Result<(), String> {
        let text = format!(
            "list_path = \"/files\"\n{extra}\n[paging]\nstyle = \"page\"\npage_param = \"page\"\n[fields]\nid = \"id\"\nname = \"name\"\n"
        );
        let def: Definition = toml::from_str(&text).map_err(|e| e.to_string())?;
        def.check()
    }

    #[test]
    fn the_keys_beyond_paging_are_checked_where_they_are_written() {
        assert_eq!(definition(""), Ok(()));
        assert_eq!(
            definition(
                "failure = { path = \"ok\", is = false }\nowner = \"org\"\norder_known = true\ndetail = { path = \"/files/{id}\" }\ndelete_path = \"/files/{id}\""
            ),
            Ok(())
        );
        let err = |extra: &str| definition(extra).unwrap_err();
        assert!(
            err("[query]\nterms = [{ key = \"prefix\", param = \"p\" }]")
                .starts_with("query.terms[0].key: \"prefix\" is not a term")
        );
        assert_eq!(
            err("[query]\nterms = [{ key = \"folder\" }]"),
            "query.terms[0].param: required for a folder term"
        );
        assert_eq!(
            err("[query]\nterms = [{ key = \"size\" }]"),
            "query.terms[0]: a size term needs min, max or both"
        );
        assert_eq!(
            err("[query]\norder = [\"page\", \"size\"]"),
            "query.order: expected each of params, size, search, sort, terms and page once"
        );
        assert!(
            err("detail = { path = \"/files\" }")
                .starts_with("detail.path: expected a path with {id}")
        );
        assert!(
            err("default_sort = { field = \"colour\", order = \"asc\" }")
                .starts_with("default_sort.field")
        );
        assert!(
            err("default_sort = { field = \"name\", order = \"up\" }")
                .starts_with("default_sort.order")
        );
        assert!(
            err("[query]\nsort = { param = \"s\", desc_prefix = \"-\", sortable = [\"size\"], fields = { name = \"n\" } }")
                .starts_with("query.sort.sortable: \"size\"")
        );
    }

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
