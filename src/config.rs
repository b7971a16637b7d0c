//! Where filescope keeps its files, and the configuration file: connection profiles, the
//! explorer's settings, network limits and key bindings. `FILESCOPE_DATA_DIR` overrides the
//! data directory (log file), `FILESCOPE_CONFIG` the configuration file.
//!
//! The file is parsed once, into types: [`Settings`] for the explorer, [`Network`] for every
//! request, [`Profile`]s for connections. Every error names the file, the line and column, the
//! key (`profiles.prod.url`), and what was expected, on one line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use directories::ProjectDirs;
use serde::Deserialize;
use toml::Spanned;

use crate::api::dialect::declared::Definition;
use crate::api::{Secret, dialect};
use crate::keymap::KeyMap;
use crate::text::DEFAULT_DATE_FORMAT;

/// The directory for the log file and other state, if one can be determined.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FILESCOPE_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    ProjectDirs::from("", "", "filescope").map(|dirs| dirs.data_dir().to_path_buf())
}

/// The default log file: `<data dir>/filescope.log`.
pub fn default_log_file() -> Option<PathBuf> {
    data_dir().map(|dir| dir.join("filescope.log"))
}

/// The configuration file: `FILESCOPE_CONFIG`, or `config.toml` in the platform's config
/// directory (`~/.config/filescope/config.toml` on Linux).
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FILESCOPE_CONFIG") {
        return Some(PathBuf::from(path));
    }
    ProjectDirs::from("", "", "filescope").map(|dirs| dirs.config_dir().join("config.toml"))
}

/// The whole file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The profile a plain `filescope` opens.
    pub default_profile: Option<Spanned<String>>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    pub ui: Ui,
    #[serde(default)]
    pub network: Network,
    /// Key bindings of the list view: action name → keys, replacing the defaults.
    #[serde(default)]
    pub keys: BTreeMap<String, Spanned<Vec<String>>>,
    /// Dialects of the user's own APIs, by name (docs/DIALECTS.md, "Your own API").
    #[serde(default)]
    pub dialects: BTreeMap<String, Spanned<Definition>>,
}

/// A saved connection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub dialect: Spanned<String>,
    pub url: Spanned<String>,
    /// Extra headers, e.g. `{ "X-Tenant" = "42" }`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Where the API lives under the URL, if not where the dialect expects it.
    pub path_prefix: Option<String>,
    /// Read the key from this environment variable.
    pub api_key_env: Option<String>,
    /// Run this command (no shell; words split like a shell would) and use its trimmed output.
    pub api_key_cmd: Option<Spanned<String>>,
    /// The key itself. Discouraged: a warning is printed if the file is readable by others.
    pub api_key: Option<Spanned<String>>,
    /// Let `D` delete files through this connection. Read-only unless set.
    #[serde(default)]
    pub allow_delete: bool,
    /// S3: the endpoint of an S3-compatible store (MinIO, R2, B2, …); AWS's by default.
    pub endpoint: Option<Spanned<String>>,
    /// S3: the bucket's region (corrected from the first answer when wrong).
    pub region: Option<String>,
    /// S3: the AWS profile (`~/.aws/credentials`, `~/.aws/config`) the credentials come from.
    pub aws_profile: Option<String>,
    /// S3: address the bucket in the path (`true`) or the host name (`false`); by default
    /// path style everywhere but AWS.
    pub path_style: Option<bool>,
    /// The header's accent for this connection (`color = "red"` for production).
    #[serde(default, deserialize_with = "from_optional_text")]
    pub color: Option<Accent>,
    /// The table's columns for this connection, over `[ui] columns`.
    pub columns: Option<Vec<Column>>,
}

/// One of the table's optional columns: a field filescope knows, or a dotted path into the
/// server's record (`{ title = "Owner", path = "owner.username" }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Size,
    Type,
    Date,
    Path { title: String, path: String },
}

impl Column {
    pub const ALL: [Column; 3] = [Column::Size, Column::Type, Column::Date];
    const NAMES: &'static [&'static str] = &["size", "type", "date"];
}

/// A column from the record, as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathColumn {
    title: String,
    path: String,
}

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Column;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "\"size\", \"type\", \"date\", or { title = \"…\", path = \"dotted.path\" }",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Column, E> {
                match v {
                    "size" => Ok(Column::Size),
                    "type" => Ok(Column::Type),
                    "date" => Ok(Column::Date),
                    _ => Err(E::unknown_variant(v, Column::NAMES)),
                }
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Column, A::Error> {
                let column =
                    PathColumn::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                if column.path.trim().is_empty() || column.path.split('.').any(str::is_empty) {
                    return Err(serde::de::Error::custom(format!(
                        "path {:?}: a dotted path into the record, such as \"owner.username\"",
                        column.path
                    )));
                }
                Ok(Column::Path {
                    title: column.title,
                    path: column.path,
                })
            }
        }
        de.deserialize_any(Visitor)
    }
}

/// A profile's accent in the header, so production is unmistakable: a colour name or
/// `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accent {
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    White,
    Gray,
    Rgb(u8, u8, u8),
}

impl std::str::FromStr for Accent {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let named = [
            ("red", Accent::Red),
            ("green", Accent::Green),
            ("yellow", Accent::Yellow),
            ("blue", Accent::Blue),
            ("magenta", Accent::Magenta),
            ("cyan", Accent::Cyan),
            ("white", Accent::White),
            ("gray", Accent::Gray),
            ("grey", Accent::Gray),
        ];
        let lower = text.trim().to_ascii_lowercase();
        if let Some((_, accent)) = named.iter().find(|(n, _)| *n == lower) {
            return Ok(*accent);
        }
        let hex = |i: usize| u8::from_str_radix(lower.get(i..i + 2)?, 16).ok();
        if lower.len() == 7
            && lower.starts_with('#')
            && let (Some(r), Some(g), Some(b)) = (hex(1), hex(3), hex(5))
        {
            return Ok(Accent::Rgb(r, g, b));
        }
        Err(format!(
            "{text:?} is not a colour; use red, green, yellow, blue, magenta, cyan, white, gray or #rrggbb"
        ))
    }
}

/// Colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Default,
    /// No colours: bold, reverse and dim only (as the NO_COLOR environment variable asks).
    Mono,
}

/// A strftime format, checked when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat(String);

impl DateFormat {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for DateFormat {
    fn default() -> Self {
        DateFormat(DEFAULT_DATE_FORMAT.to_string())
    }
}

impl std::str::FromStr for DateFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = chrono::format::StrftimeItems::new(text)
            .any(|item| matches!(item, chrono::format::Item::Error));
        if bad {
            return Err(format!(
                "{text:?} is not a strftime format; e.g. \"%Y-%m-%d %H:%M\""
            ));
        }
        Ok(DateFormat(text.to_string()))
    }
}

/// A command to run without a shell, split into words as a shell would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine(Vec<String>);

impl CommandLine {
    pub fn argv(&self) -> &[String] {
        &self.0
    }
}

impl std::str::FromStr for CommandLine {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match shell_words::split(text) {
            Ok(words) if !words.is_empty() => Ok(CommandLine(words)),
            _ => Err(
                "expected a command such as \"wl-copy\" or \"xclip -selection clipboard\""
                    .to_string(),
            ),
        }
    }
}

/// Reads a value through its `FromStr`, so its own words name what is wrong.
fn from_text<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    let text = String::deserialize(de)?;
    text.parse().map_err(serde::de::Error::custom)
}

fn from_optional_text<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    from_text(de).map(Some)
}

/// Rows kept loaded by default (about 70 MB of records); the rest are fetched again on demand.
pub const DEFAULT_MAX_LOADED_ROWS: usize = 100_000;

/// Settings of the explorer, as written in `[ui]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ui {
    /// strftime format of the table's date column.
    #[serde(deserialize_with = "from_text")]
    pub date_format: DateFormat,
    /// The table's columns besides the name, shown as width allows.
    pub columns: Vec<Column>,
    /// `default`, or `mono` for no colours (as does the NO_COLOR environment variable).
    pub theme: Theme,
    /// Rows kept in memory; pages far from the screen beyond this are fetched again if needed.
    pub max_loaded_rows: usize,
    /// A command that takes copied text on its standard input (`wl-copy`, `pbcopy`), used
    /// instead of OSC 52; words split like a shell would, run without one.
    #[serde(deserialize_with = "from_optional_text")]
    pub clipboard_cmd: Option<CommandLine>,
    /// Wheel and clicks in the explorer (on by default); off leaves the mouse to the terminal.
    pub mouse: bool,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            date_format: DateFormat::default(),
            columns: Column::ALL.to_vec(),
            theme: Theme::Default,
            max_loaded_rows: DEFAULT_MAX_LOADED_ROWS,
            clipboard_cmd: None,
            mouse: true,
        }
    }
}

/// Timeouts and limits of every request, as written in `[network]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// Seconds to wait for a connection.
    pub connect_timeout_secs: f64,
    /// Seconds a whole request (connect, send, read the answer) may take.
    pub request_timeout_secs: f64,
    /// Answers larger than this many MiB are refused.
    pub max_body_mb: usize,
    /// Answers holding more records than this are refused (records cost far more decoded
    /// than on the wire).
    pub max_records: usize,
    /// Attempts per request when the server or the network fails (1 = never retry).
    pub attempts: u32,
    /// Seconds a credential command (`api_key_cmd`, an AWS `credential_process`) may take
    /// before it is stopped.
    pub command_timeout_secs: f64,
}

impl Network {
    /// `command_timeout_secs` as a duration.
    pub fn command_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.command_timeout_secs)
    }
}

impl Default for Network {
    fn default() -> Self {
        Network {
            connect_timeout_secs: 10.0,
            request_timeout_secs: 30.0,
            max_body_mb: 64,
            max_records: crate::api::decode::DEFAULT_MAX_RECORDS,
            attempts: 4,
            command_timeout_secs: crate::api::command::DEFAULT_TIMEOUT.as_secs_f64(),
        }
    }
}

/// Everything the explorer takes from the configuration, typed: handed to `App::new`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub keymap: KeyMap,
    pub date_format: DateFormat,
    pub columns: Vec<Column>,
    pub theme: Theme,
    pub max_loaded_rows: usize,
    pub clipboard_cmd: Option<CommandLine>,
    /// The profile's accent in the header, if it has one.
    pub accent: Option<Accent>,
    /// Mouse reports (wheel, click); `[ui] mouse = false` leaves the mouse to the terminal.
    pub mouse: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            keymap: KeyMap::default(),
            date_format: DateFormat::default(),
            columns: Column::ALL.to_vec(),
            theme: Theme::Default,
            max_loaded_rows: DEFAULT_MAX_LOADED_ROWS,
            clipboard_cmd: None,
            accent: None,
            mouse: true,
        }
    }
}

impl Settings {
    /// The mono theme when NO_COLOR asks for it (set and not empty, https://no-color.org),
    /// whatever the file says.
    pub fn with_no_color(mut self, no_color: Option<std::ffi::OsString>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            self.theme = Theme::Mono;
        }
        self
    }
}

/// A configuration problem, shown as `file:line:column: message`.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column, when the problem has a place in the file.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}", self.path.display())?;
        if let Some((line, col)) = self.at {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A loaded configuration and where it came from.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    pub config: Config,
    /// The key map: the defaults with the file's `[keys]` over them.
    keymap: KeyMap,
    /// The built-in dialects and those `[dialects.NAME]` declares.
    dialects: dialect::Dialects,
}

impl Loaded {
    fn error_at(&self, span: std::ops::Range<usize>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            at: Some(line_col(&self.text, span.start)),
            message,
        }
    }

    fn error(&self, message: String) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            at: None,
            message,
        }
    }
}

/// Reads the configuration at `path`; `Ok(None)` when there is no file.
pub fn load(path: &Path) -> Result<Option<Loaded>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError {
                path: path.to_path_buf(),
                at: None,
                message: format!("cannot read: {e}"),
            });
        }
    };
    let loaded = parse(path, text)?;
    Ok(Some(loaded))
}

/// Parses and checks configuration text. A type error names its key
/// (`profiles.prod.url: invalid type: integer `42`, expected a string`).
pub fn parse(path: &Path, text: String) -> Result<Loaded, ConfigError> {
    let error = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
        path: path.to_path_buf(),
        at: span.map(|s| line_col(&text, s.start)),
        // toml's message is one line; its position is ours to add.
        message: message.trim().replace('\n', " "),
    };
    let reader =
        toml::Deserializer::parse(&text).map_err(|e| error(e.span(), e.message().to_string()))?;
    let config: Config = serde_path_to_error::deserialize(reader).map_err(|e| {
        // Spanned values show up as a private field in the path: not a key anyone wrote.
        let key = e
            .path()
            .to_string()
            .split('.')
            .filter(|part| !part.starts_with("$__serde_spanned"))
            .collect::<Vec<_>>()
            .join(".");
        let inner = e.into_inner();
        let message = if key == "." || key.is_empty() {
            inner.message().to_string()
        } else {
            format!("{key}: {}", inner.message())
        };
        error(inner.span(), message)
    })?;
    let mut loaded = Loaded {
        path: path.to_path_buf(),
        text,
        config,
        keymap: KeyMap::default(),
        dialects: dialect::Dialects::default(),
    };
    loaded.dialects = declare(&loaded)?;
    loaded.keymap = check(&loaded)?;
    Ok(loaded)
}

/// Checks and builds the dialects the file declares, each error at its table.
fn declare(loaded: &Loaded) -> Result<dialect::Dialects, ConfigError> {
    let mut dialects = dialect::Dialects::default();
    for (name, def) in &loaded.config.dialects {
        dialects
            .declare(name, def.get_ref().clone())
            .map_err(|e| loaded.error_at(def.span(), format!("dialects.{e}")))?;
    }
    Ok(dialects)
}

/// Checks what types cannot say, and builds the key map.
fn check(loaded: &Loaded) -> Result<KeyMap, ConfigError> {
    let config = &loaded.config;
    let n = &config.network;
    let sane = |secs: f64| secs.is_finite() && (0.1..=3600.0).contains(&secs);
    let limits: [(&str, bool, &str); 6] = [
        (
            "connect_timeout_secs",
            sane(n.connect_timeout_secs),
            "seconds between 0.1 and 3600",
        ),
        (
            "request_timeout_secs",
            sane(n.request_timeout_secs),
            "seconds between 0.1 and 3600",
        ),
        (
            "max_body_mb",
            (1..=4096).contains(&n.max_body_mb),
            "between 1 and 4096",
        ),
        (
            "max_records",
            (1..=10_000_000).contains(&n.max_records),
            "between 1 and 10000000",
        ),
        (
            "attempts",
            (1..=20).contains(&n.attempts),
            "between 1 and 20",
        ),
        (
            "command_timeout_secs",
            sane(n.command_timeout_secs),
            "seconds between 0.1 and 3600",
        ),
    ];
    if let Some((key, _, expected)) = limits.iter().find(|(_, ok, _)| !ok) {
        return Err(loaded.error(format!("network.{key}: expected {expected}")));
    }
    if config.ui.max_loaded_rows < 1_000 {
        return Err(loaded.error(
            "ui.max_loaded_rows: expected at least 1000 (the rows of a few screens)".to_string(),
        ));
    }
    for (action, keys) in &config.keys {
        let one = BTreeMap::from([(action.clone(), keys.get_ref().clone())]);
        if let Err(e) = KeyMap::with_overrides(&one) {
            return Err(loaded.error_at(keys.span(), format!("keys.{action}: {e}")));
        }
    }
    // A key the file gives to two actions: named where the second is written.
    let mut written: Vec<(&String, &Spanned<Vec<String>>)> = config.keys.iter().collect();
    written.sort_by_key(|(_, keys)| keys.span().start);
    for (i, (second, keys)) in written.iter().enumerate() {
        for (first, other) in &written[..i] {
            let pair = BTreeMap::from([
                ((*first).clone(), other.get_ref().clone()),
                ((*second).clone(), keys.get_ref().clone()),
            ]);
            if let Err(e) = KeyMap::with_overrides(&pair) {
                return Err(loaded.error_at(keys.span(), format!("keys.{second}: {e}")));
            }
        }
    }
    let overrides: BTreeMap<String, Vec<String>> = config
        .keys
        .iter()
        .map(|(k, v)| (k.clone(), v.get_ref().clone()))
        .collect();
    let keymap =
        KeyMap::with_overrides(&overrides).map_err(|e| loaded.error(format!("keys: {e}")))?;
    if let Some(default) = &config.default_profile
        && !config.profiles.contains_key(default.get_ref())
    {
        return Err(loaded.error_at(
            default.span(),
            format!(
                "default_profile: no profile named {:?}; defined: {}",
                default.get_ref(),
                names(config)
            ),
        ));
    }
    for (name, p) in &config.profiles {
        // A family's dialect (S3) is built for each store, from its own URL scheme.
        let family = crate::api::family::by_name(p.dialect.get_ref());
        if family.is_none() && loaded.dialect(p.dialect.get_ref()).is_none() {
            return Err(loaded.error_at(
                p.dialect.span(),
                format!(
                    "profiles.{name}.dialect: unknown dialect {:?}; expected one of {}",
                    p.dialect.get_ref(),
                    loaded.dialect_names().join(", ")
                ),
            ));
        }
        match crate::api::url::parse_url(p.url.get_ref()) {
            Err(e) => {
                return Err(loaded.error_at(p.url.span(), format!("profiles.{name}.url: {e}")));
            }
            Ok(url)
                if family.map(|f| f.name)
                    != crate::api::family::for_scheme(url.scheme()).map(|f| f.name) =>
            {
                let want = match family {
                    Some(family) => {
                        format!("the {} dialect takes {}", family.name, family.url_form)
                    }
                    // The URL's scheme is a family's (the guard): its name.
                    None => format!(
                        "{}:// URLs are for dialect = \"{}\"",
                        url.scheme(),
                        crate::api::family::for_scheme(url.scheme()).map_or("", |f| f.name)
                    ),
                };
                return Err(loaded.error_at(p.url.span(), format!("profiles.{name}.url: {want}")));
            }
            Ok(_) => {}
        }
        if let Some(endpoint) = &p.endpoint {
            if family.is_none() {
                let families =
                    crate::api::family::either(&crate::api::family::names().collect::<Vec<_>>());
                return Err(loaded.error_at(
                    endpoint.span(),
                    format!(
                        "profiles.{name}.endpoint: only the {families} dialect takes an endpoint"
                    ),
                ));
            }
            match crate::api::url::parse_url(endpoint.get_ref()) {
                Ok(url) if crate::api::family::for_scheme(url.scheme()).is_none() => {}
                _ => {
                    return Err(loaded.error_at(
                        endpoint.span(),
                        format!(
                            "profiles.{name}.endpoint: expected an http:// or https:// URL such as http://127.0.0.1:9000"
                        ),
                    ));
                }
            }
        }
        let sources = [
            p.api_key_env.is_some(),
            p.api_key_cmd.is_some(),
            p.api_key.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err(loaded.error(format!(
                "profiles.{name}: give one of api_key_env, api_key_cmd or api_key, not several"
            )));
        }
        if let Some(cmd) = &p.api_key_cmd
            && shell_words::split(cmd.get_ref()).map_or(true, |w| w.is_empty())
        {
            return Err(loaded.error_at(
                cmd.span(),
                format!("profiles.{name}.api_key_cmd: expected a command such as \"pass show storage/prod\""),
            ));
        }
        for (header, value) in &p.headers {
            crate::api::url::parse_header(&format!("{header}: {value}"))
                .map_err(|e| loaded.error(format!("profiles.{name}.headers: {e}")))?;
        }
    }
    Ok(keymap)
}

fn names(config: &Config) -> String {
    if config.profiles.is_empty() {
        "none".to_string()
    } else {
        config
            .profiles
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Loaded {
    /// The explorer's settings: the file's `[ui]` and `[keys]` over the defaults.
    pub fn settings(&self) -> Settings {
        let ui = &self.config.ui;
        Settings {
            keymap: self.keymap.clone(),
            date_format: ui.date_format.clone(),
            columns: ui.columns.clone(),
            theme: ui.theme,
            max_loaded_rows: ui.max_loaded_rows,
            clipboard_cmd: ui.clipboard_cmd.clone(),
            accent: None,
            mouse: ui.mouse,
        }
    }

    /// The settings for a connection opened through `profile`: its accent colour and its
    /// columns over `[ui]`'s.
    pub fn settings_for(&self, profile: Option<&str>) -> Settings {
        let mut settings = self.settings();
        if let Some(p) = profile.and_then(|name| self.config.profiles.get(name)) {
            settings.accent = p.color;
            if let Some(columns) = &p.columns {
                settings.columns = columns.clone();
            }
        }
        settings
    }

    /// The key map: the defaults with the file's `[keys]` over them.
    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    /// A dialect by name: a built-in one, or one the file declares.
    pub fn dialect(&self, name: &str) -> Option<std::sync::Arc<dyn dialect::Dialect>> {
        self.dialects.get(name)
    }

    /// Every dialect name there is: the built-in ones, then the declared ones.
    pub fn dialect_names(&self) -> Vec<String> {
        self.dialects.names()
    }

    /// The profile by name, or an error listing the names there are.
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.config.profiles.get(name).ok_or_else(|| {
            self.error(format!(
                "no profile named {name:?}; defined: {}",
                names(&self.config)
            ))
        })
    }

    /// Warns (returns the warning) when the file holds a literal key and others may read it.
    pub fn literal_key_warning(&self) -> Option<String> {
        let literal: Vec<&str> = self
            .config
            .profiles
            .iter()
            .filter(|(_, p)| p.api_key.is_some())
            .map(|(n, _)| n.as_str())
            .collect();
        if literal.is_empty() || !readable_by_others(&self.path) {
            return None;
        }
        Some(format!(
            "warning: {} holds an API key (profile {}) and other users can read it; chmod 600 it, or use api_key_env / api_key_cmd",
            self.path.display(),
            literal.join(", ")
        ))
    }
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    false
}

/// Where a profile's key comes from, for `filescope profiles` (never the key itself).
pub fn key_source(profile: &Profile) -> String {
    // A family's store (S3) signs with credentials of its own, never with an API key.
    if let Some(family) = crate::api::family::by_name(profile.dialect.get_ref()) {
        return (family.key_source)(profile.aws_profile.as_deref());
    }
    if let Some(var) = &profile.api_key_env {
        format!("env {var}")
    } else if profile.api_key_cmd.is_some() {
        "command".to_string()
    } else if profile.api_key.is_some() {
        "in the file".to_string()
    } else {
        "env FILESCOPE_API_KEY".to_string()
    }
}

/// Resolves a profile's key: its environment variable, its command's trimmed output (at most
/// 1 MiB, within `command_timeout`), the literal, or else `FILESCOPE_API_KEY`. Returns the key
/// and a description of its source.
pub fn resolve_key(
    name: &str,
    profile: &Profile,
    command_timeout: Duration,
) -> Result<(Option<Secret>, String), String> {
    fn from_env(var: &str) -> Option<Secret> {
        std::env::var(var)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(Secret::new)
    }
    if let Some(var) = &profile.api_key_env {
        let key = from_env(var);
        if key.is_none() {
            return Err(format!(
                "profile {name}: the environment variable {var} (api_key_env) is not set"
            ));
        }
        return Ok((key, var.clone()));
    }
    if let Some(cmd) = &profile.api_key_cmd {
        let words = shell_words::split(cmd.get_ref())
            .map_err(|e| format!("profile {name}: api_key_cmd: {e}"))?;
        let what = match words.first() {
            Some(program) => format!("profile {name}: api_key_cmd {program:?}"),
            None => format!("profile {name}: api_key_cmd"),
        };
        let output = crate::api::command::run_capped(
            &words,
            std::process::Stdio::inherit(),
            command_timeout,
            &what,
        )?;
        if !output.status.success() {
            return Err(format!("{what} failed ({})", output.status));
        }
        let key = String::from_utf8(output.stdout).map_err(|_| {
            format!("profile {name}: api_key_cmd printed something that is not text")
        })?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("{what} printed nothing"));
        }
        return Ok((
            Some(Secret::new(key)),
            format!("api_key_cmd of profile {name}"),
        ));
    }
    if let Some(key) = &profile.api_key {
        return Ok((
            Some(Secret::new(key.get_ref().trim())),
            format!("api_key of profile {name}"),
        ));
    }
    Ok((
        from_env("FILESCOPE_API_KEY"),
        "FILESCOPE_API_KEY".to_string(),
    ))
}

pub use crate::api::dialect::EXAMPLE_DIALECTS;

/// One of the example dialects, by its name.
pub fn example_dialect(name: &str) -> Option<std::sync::Arc<dyn dialect::Dialect>> {
    dialect::example(name)
}

/// The commented example `filescope config init` writes.
pub const EXAMPLE: &str = r#"# filescope configuration. Docs: docs/CONFIG.md
#
# A plain `filescope` opens default_profile; `filescope -p NAME` opens another.
# default_profile = "prod"

# [profiles.prod]
# dialect = "filejar"          # filejar, openwebui, flextell, fileguard, astracollab, s3, azure, gcs,
#                              # or a name you declare under [dialects.NAME] (docs/DIALECTS.md)
# url = "https://files.example.com"
# api_key_env = "PROD_FILES_KEY"             # the key from this environment variable, or
# # api_key_cmd = "pass show storage/prod"   # the trimmed output of this command (no shell)
# headers = { "X-Tenant" = "42" }            # extra headers (Flextell's tenant, say)
# path_prefix = "/api"                       # older Open WebUI servers
# allow_delete = true                        # let D delete files (read-only by default)

# color = "red"                              # the header's accent: production stands out
# columns = ["size", { title = "Owner", path = "owner.username" }, "date"]  # over [ui]'s

# [profiles.logs]
# dialect = "s3"
# url = "s3://my-bucket/logs/"               # a bucket, and a prefix to start in
# aws_profile = "prod"                       # credentials: this ~/.aws profile, else the AWS chain
# region = "eu-west-3"                       # optional: found from the bucket when absent
# endpoint = "http://127.0.0.1:9000"         # optional: MinIO, Ceph, R2 … (AWS when absent)

[ui]
# date_format = "%Y-%m-%d %H:%M"             # strftime format of the date column
# columns = ["size", "type", "date"]         # besides the name, as width allows; or a field of
#                                            # the record: { title = "Owner", path = "owner.id" }
# mouse = true                               # wheel and clicks; false leaves the mouse alone
# theme = "default"                          # or "mono": no colours (NO_COLOR does the same)
# max_loaded_rows = 100000                   # memory budget; far pages are fetched again
# clipboard_cmd = "wl-copy"                  # copy through this command instead of OSC 52

[network]
# connect_timeout_secs = 10
# request_timeout_secs = 30
# max_body_mb = 64                           # larger answers are refused
# max_records = 200000                       # answers holding more records are refused
# attempts = 4                               # per request, on 429/5xx/network errors
# command_timeout_secs = 60                  # api_key_cmd / credential_process, then stopped

[keys]
# Replace the keys of an action; every action's name is listed in docs/CONFIG.md ([keys]):
# down, up, top, bottom, jump, filter, cycle_sort, open_detail, copy, download, mark, preview,
# export, delete, help, quit, … The help (?) shows the keys in force.
# quit = ["q", "ctrl-q"]
# down = ["j", "down", "ctrl-n"]
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::command::DEFAULT_TIMEOUT;

    fn parse_text(text: &str) -> Result<Loaded, ConfigError> {
        parse(Path::new("/tmp/c.toml"), text.to_string())
    }

    #[test]
    fn the_dialects_doc_writes_out_every_example_as_shipped() {
        let doc = include_str!("../docs/DIALECTS.md");
        for (name, text) in EXAMPLE_DIALECTS {
            assert!(
                doc.contains(text),
                "docs/DIALECTS.md does not hold docs/dialects/{name}.toml as it is"
            );
        }
    }

    #[test]
    fn the_example_parses() {
        let loaded = parse_text(EXAMPLE).unwrap();
        assert!(loaded.config.profiles.is_empty());
        assert_eq!(loaded.config.ui.date_format.as_str(), "%Y-%m-%d %H:%M");
    }

    /// `config init`'s example is a guide: its commented profiles load once uncommented, its
    /// dialect list names every dialect, and the actions its `[keys]` comment names exist.
    #[test]
    fn the_example_s_comments_hold_when_uncommented() {
        let start = EXAMPLE.find("# [profiles.prod]").unwrap();
        let end = EXAMPLE.find("\n[ui]").unwrap();
        let profiles: String = EXAMPLE[start..end]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .map(|l| format!("{l}\n"))
            .collect();
        let loaded = parse_text(&profiles).unwrap();
        let names: Vec<&String> = loaded.config.profiles.keys().collect();
        assert_eq!(names, ["logs", "prod"]);
        assert_eq!(loaded.config.profiles["logs"].dialect.get_ref(), "s3");
        let list = &profiles[profiles.find("dialect = \"filejar\"").unwrap()..];
        let list = &list[..list.find("url =").unwrap()];
        for name in dialect::names() {
            assert!(
                list.contains(name),
                "{name} in the example's dialect list: {list}"
            );
        }
        let keys = &EXAMPLE[EXAMPLE.find("[keys]").unwrap()..];
        let listed = keys.lines().nth(2).unwrap().trim_start_matches('#');
        let listed: Vec<&str> = listed
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty() && *w != "…")
            .collect();
        assert!(listed.len() > 10, "{listed:?}");
        for name in listed {
            assert!(
                crate::keymap::Action::ALL.iter().any(|a| a.name() == name),
                "{name} is an action"
            );
        }
    }

    #[test]
    fn a_profile_with_everything() {
        let loaded = parse_text(
            r#"default_profile = "prod"
[profiles.prod]
dialect = "flextell"
url = "https://api.example.test"
headers = { "X-Tenant" = "42" }
api_key_env = "PROD_KEY"
allow_delete = true
[ui]
clipboard_cmd = "xclip -selection clipboard"
"#,
        )
        .unwrap();
        let p = loaded.profile("prod").unwrap();
        assert!(p.allow_delete);
        assert!(parse_text("[ui]\nclipboard_cmd = \"\"\n").is_err());
        assert_eq!(p.dialect.get_ref(), "flextell");
        assert_eq!(p.headers.get("X-Tenant").map(String::as_str), Some("42"));
        assert_eq!(key_source(p), "env PROD_KEY");
        assert_eq!(
            loaded.profile("nope").unwrap_err().to_string(),
            "config /tmp/c.toml: no profile named \"nope\"; defined: prod"
        );
    }

    #[test]
    fn errors_name_the_file_line_column_and_key() {
        let err = parse_text("[profiles.prod]\ndialect = \"ftp\"\nurl = \"https://x.test\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:2:11: profiles.prod.dialect: unknown dialect \"ftp\"; expected one of filejar, openwebui, flextell, fileguard, astracollab, s3, azure, gcs"
        );
        // S3 profiles take s3:// URLs, and only they take an endpoint.
        let err = parse_text("[profiles.b]\ndialect = \"s3\"\nurl = \"https://x.test\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:3:7: profiles.b.url: the s3 dialect takes s3://BUCKET[/PREFIX/]"
        );
        let err = parse_text(
            "[profiles.b]\ndialect = \"filejar\"\nurl = \"https://x.test\"\nendpoint = \"http://127.0.0.1:9000\"\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:4:12: profiles.b.endpoint: only the s3, azure or gcs dialect takes an endpoint"
        );
        assert!(
            parse_text(
                "[profiles.b]\ndialect = \"s3\"\nurl = \"s3://bucket/logs/\"\nendpoint = \"http://127.0.0.1:9000\"\nregion = \"eu-west-1\"\naws_profile = \"prod\"\npath_style = true\n"
            )
            .is_ok()
        );
        let err = parse_text("[profiles.prod]\ndialect = \"filejar\"\nurl = \"not a url\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config /tmp/c.toml:3:7: profiles.prod.url: not a URL"),
            "{err}"
        );
        let err =
            parse_text("[profiles.prod]\ndialect = \"filejar\"\nurl = \"https://x\"\ncolour = 1\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.starts_with("config /tmp/c.toml:4:1: profiles.prod.colour: unknown field `colour`"),
            "{err}"
        );
        let err = parse_text("default_profile = \"prod\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:1:19: default_profile: no profile named \"prod\"; defined: none"
        );
        let err = parse_text("[profiles.p]\ndialect = 3\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:2:11: profiles.p.dialect: invalid type: integer `3`, expected a string"
        );
        // Every type error names its key, wherever it is.
        let err = parse_text("[profiles.prod]\ndialect = \"filejar\"\nurl = 42\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:3:7: profiles.prod.url: invalid type: integer `42`, expected a string"
        );
        let err = parse_text("[network]\nattempts = \"many\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config /tmp/c.toml:2:12: network.attempts: invalid type: string"),
            "{err}"
        );
        let err = parse_text("[ui\n").unwrap_err().to_string();
        assert!(err.starts_with("config /tmp/c.toml:1:"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn keys_come_from_a_command_without_a_shell() {
        let loaded = parse_text(
            "[profiles.p]\ndialect = \"filejar\"\nurl = \"https://x.test\"\napi_key_cmd = \"printf '  sk-from-cmd\\\\n'\"\n",
        )
        .unwrap();
        let (key, source) =
            resolve_key("p", loaded.profile("p").unwrap(), DEFAULT_TIMEOUT).unwrap();
        assert_eq!(key.unwrap().expose(), "sk-from-cmd");
        assert_eq!(source, "api_key_cmd of profile p");

        let loaded = parse_text(
            "[profiles.p]\ndialect = \"filejar\"\nurl = \"https://x.test\"\napi_key_cmd = \"false\"\n",
        )
        .unwrap();
        let err = resolve_key("p", loaded.profile("p").unwrap(), DEFAULT_TIMEOUT).unwrap_err();
        assert!(
            err.starts_with("profile p: api_key_cmd \"false\" failed"),
            "{err}"
        );

        // `;` is not a shell here: it is an argument to printf.
        let loaded = parse_text(
            "[profiles.p]\ndialect = \"filejar\"\nurl = \"https://x.test\"\napi_key_cmd = \"printf k; touch /tmp/filescope-pwned\"\n",
        )
        .unwrap();
        let _ = std::fs::remove_file("/tmp/filescope-pwned");
        let (key, _) = resolve_key("p", loaded.profile("p").unwrap(), DEFAULT_TIMEOUT).unwrap();
        assert_eq!(
            key.unwrap().expose(),
            "k;",
            "printf got `k;` as its format and ignored the rest"
        );
        assert!(!Path::new("/tmp/filescope-pwned").exists());
    }

    #[test]
    fn one_key_source_only() {
        let err = parse_text(
            "[profiles.p]\ndialect = \"filejar\"\nurl = \"https://x.test\"\napi_key_env = \"A\"\napi_key = \"k\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("give one of api_key_env, api_key_cmd or api_key"),
            "{err}"
        );
    }

    #[test]
    fn ui_settings_and_keys_are_checked_where_they_are_written() {
        let loaded =
            parse_text("[ui]\ndate_format = \"%d.%m.%Y\"\n[keys]\nquit = [\"ctrl-q\"]\n").unwrap();
        assert_eq!(loaded.config.ui.date_format.as_str(), "%d.%m.%Y");
        assert_eq!(loaded.keymap().label(crate::keymap::Action::Quit), "Ctrl-q");
        let err = parse_text("[ui]\ndate_format = \"%Q\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config /tmp/c.toml:2:15: ui.date_format: \"%Q\" is not"),
            "{err}"
        );
        let err = parse_text("[ui]\ncolumns = [\"size\", \"owner\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:2:20: ui.columns[1]: unknown variant `owner`, expected one of `size`, `type`, `date`"
        );
        let err = parse_text("[ui]\ntheme = \"neon\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:2:9: ui.theme: unknown variant `neon`, expected `default` or `mono`"
        );
        let err = parse_text("[keys]\nquit = [\"hyper-q\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config /tmp/c.toml:2:8: keys.quit: quit: \"hyper-q\" is not a key"),
            "{err}"
        );
        let err = parse_text("[keys]\nquit = [\"x\"]\ndown = [\"x\", \"j\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config /tmp/c.toml:3:8: keys.down: x is bound to both down and quit"
        );
        // A key taken from a default action is not an error: it is said once, at start.
        let loaded = parse_text("[keys]\nquit = [\"j\"]\n").unwrap();
        assert_eq!(loaded.keymap().notices().len(), 1);
    }

    #[test]
    fn profiles_have_an_accent_and_columns_of_their_own() {
        let loaded = parse_text(
            r##"[profiles.prod]
dialect = "filejar"
url = "https://files.example.test"
color = "red"
columns = ["size", { title = "Owner", path = "owner.username" }]
[profiles.lab]
dialect = "filejar"
url = "https://lab.example.test"
color = "#1e90ff"
[ui]
columns = ["type", { title = "Tag", path = "tags.0" }]
"##,
        )
        .unwrap();
        let prod = loaded.settings_for(Some("prod"));
        assert_eq!(prod.accent, Some(Accent::Red));
        assert_eq!(
            prod.columns,
            [
                Column::Size,
                Column::Path {
                    title: "Owner".into(),
                    path: "owner.username".into()
                }
            ]
        );
        let lab = loaded.settings_for(Some("lab"));
        assert_eq!(lab.accent, Some(Accent::Rgb(0x1e, 0x90, 0xff)));
        assert_eq!(lab.columns.len(), 2, "[ui]'s columns");
        assert_eq!(loaded.settings_for(None).accent, None);
        let err = parse_text(
            "[profiles.p]\ndialect = \"filejar\"\nurl = \"https://x.test\"\ncolor = \"pink\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("profiles.p.color: \"pink\" is not a colour; use red, green"),
            "{err}"
        );
        let err = parse_text("[ui]\ncolumns = [{ title = \"x\", path = \"a..b\" }]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ui.columns[0]: path \"a..b\""), "{err}");
        let err = parse_text("[ui]\ncolumns = [{ title = \"x\", pth = \"a\" }]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `pth`"), "{err}");
        assert!(
            !parse_text("[ui]\nmouse = false\n")
                .unwrap()
                .settings()
                .mouse
        );
    }

    #[test]
    fn network_limits_are_read_and_checked() {
        let loaded = parse_text("[network]\nrequest_timeout_secs = 5\nmax_body_mb = 8\n").unwrap();
        assert_eq!(loaded.config.network.request_timeout_secs, 5.0);
        assert_eq!(loaded.config.network.connect_timeout_secs, 10.0);
        assert_eq!(loaded.config.network.max_body_mb, 8);
        assert!(parse_text("[network]\nmax_body_mb = 0\n").is_err());
        assert!(parse_text("[network]\nattempts = 0\n").is_err());
        assert_eq!(
            parse_text("[network]\nattempts = 8\n")
                .unwrap()
                .config
                .network
                .attempts,
            8
        );
        assert!(parse_text("[network]\nrequest_timeout_secs = -1\n").is_err());
    }

    #[test]
    fn the_example_dialects_are_valid_definitions() {
        for (name, text) in EXAMPLE_DIALECTS {
            let loaded = parse(Path::new("/tmp/example.toml"), text.to_string())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(loaded.dialect(name).is_some(), "{name}");
            assert!(example_dialect(name).is_some(), "{name}");
        }
    }

    #[test]
    fn declared_dialects_are_checked_where_they_are_written() {
        let base = "[dialects.acme]\nlist_path = \"/api/files/\"\nrecords = \"results\"\n[dialects.acme.fields]\nid = \"uuid\"\nname = \"filename\"\n";
        let with = |paging: &str| parse_text(&format!("{base}[dialects.acme.paging]\n{paging}"));
        let err = with("style = \"pages\"\n").unwrap_err().to_string();
        assert!(
            err.contains("dialects.acme.paging.style: unknown variant `pages`, expected one of `page`, `offset`, `cursor`, `next_link`, `link_header`"),
            "{err}"
        );
        let err = with("style = \"page\"\n").unwrap_err().to_string();
        assert!(
            err.ends_with("dialects.acme.paging.page_param: required with style = \"page\""),
            "{err}"
        );
        let err = with("style = \"cursor\"\ncursor_param = \"c\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dialects.acme.paging.cursor: give one of"),
            "{err}"
        );
        let loaded = with("style = \"page\"\npage_param = \"page\"\n").unwrap();
        assert_eq!(loaded.dialect("acme").unwrap().id(), "acme");
        // A built-in name cannot be declared again.
        let err = parse_text(
            &format!("{base}[dialects.acme.paging]\nstyle = \"page\"\npage_param = \"p\"\n")
                .replace("acme", "filejar"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("dialects.filejar: filejar is a built-in dialect"),
            "{err}"
        );
        // A profile may use a declared dialect, and an unknown one lists both kinds.
        let text = format!(
            "{base}[dialects.acme.paging]\nstyle = \"page\"\npage_param = \"p\"\n[profiles.mine]\ndialect = \"acme\"\nurl = \"https://x.test\"\n"
        );
        assert!(parse_text(&text).is_ok());
        let err = parse_text(&text.replace("dialect = \"acme\"", "dialect = \"acne\""))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "expected one of filejar, openwebui, flextell, fileguard, astracollab, s3, azure, gcs, acme"
            ),
            "{err}"
        );
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
