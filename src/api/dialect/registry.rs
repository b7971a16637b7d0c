//! The one place that answers "which dialect is called X": filescope's own (most of them
//! definitions embedded in the binary and read by the declared engine, the rest written out),
//! the example shapes of docs/dialects/ (`--shape NAME`), and those a configuration file
//! declares ([`Dialects`]).

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use super::declared::{Declared, Definition};
use super::{Dialect, OpenWebUi};

type Constructor = fn() -> Arc<dyn Dialect>;

/// `[dialects.NAME]` tables, as a definition file (built-in, example or user) holds them.
#[derive(serde::Deserialize)]
struct DefinitionFile {
    dialects: BTreeMap<String, Definition>,
}

/// The dialect `name` of a definition file that ships inside the binary; `None` when the file
/// does not hold it or it does not pass the checks a user's would.
fn shipped(name: &str, text: &str, builtin: bool) -> Option<Declared> {
    let mut file: DefinitionFile = toml::from_str(text).ok()?;
    let def = file.dialects.remove(name)?;
    def.check().ok()?;
    Some(if builtin {
        Declared::builtin(name, def)
    } else {
        Declared::new(name, def)
    })
}

/// The definitions of filescope's own dialects that the declared engine speaks.
pub const BUILTIN_DEFINITIONS: [(&str, &str); 4] = [
    ("filejar", include_str!("builtin/filejar.toml")),
    ("fileguard", include_str!("builtin/fileguard.toml")),
    ("flextell", include_str!("builtin/flextell.toml")),
    ("astracollab", include_str!("builtin/astracollab.toml")),
];

/// A built-in dialect from its embedded definition, read once.
fn embedded(name: &'static str) -> Arc<Declared> {
    let (_, text) = BUILTIN_DEFINITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("every embedded dialect is listed");
    Arc::new(shipped(name, text, true).expect("an embedded definition passes its checks"))
}

static FILEJAR: LazyLock<Arc<Declared>> = LazyLock::new(|| embedded("filejar"));
static FLEXTELL: LazyLock<Arc<Declared>> = LazyLock::new(|| embedded("flextell"));
static FILEGUARD: LazyLock<Arc<Declared>> = LazyLock::new(|| embedded("fileguard"));
static ASTRACOLLAB: LazyLock<Arc<Declared>> = LazyLock::new(|| embedded("astracollab"));

/// Every dialect filescope speaks, by id.
pub const REGISTRY: &[(&str, Constructor)] = &[
    ("filejar", || FILEJAR.clone()),
    ("openwebui", || Arc::new(OpenWebUi)),
    ("flextell", || FLEXTELL.clone()),
    ("fileguard", || FILEGUARD.clone()),
    ("astracollab", || ASTRACOLLAB.clone()),
];

/// The built-in dialect with this id, or `None`.
pub fn by_id(id: &str) -> Option<Arc<dyn Dialect>> {
    REGISTRY
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, make)| make())
}

/// Whether `id` names a built-in dialect (or a family's, built for each store).
pub fn is_builtin(id: &str) -> bool {
    by_id(id).is_some() || crate::api::family::by_name(id).is_some()
}

/// The ids of the dialects in the registry: each has one instance for every connection.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|(name, _)| *name).collect()
}

/// Every dialect name filescope speaks, for help texts and error messages: the registry's
/// and the families' (built for each store, [`crate::api::family::FAMILIES`]).
pub fn names() -> Vec<&'static str> {
    REGISTRY
        .iter()
        .map(|(name, _)| *name)
        .chain(crate::api::family::names())
        .collect()
}

/// The definitions of six real-world API shapes, shipped as examples (docs/dialects/) and
/// spoken by `filescope demo --shape NAME` offline.
pub const EXAMPLE_DIALECTS: [(&str, &str); 6] = [
    ("github", include_str!("../../../docs/dialects/github.toml")),
    ("drf", include_str!("../../../docs/dialects/drf.toml")),
    ("stripe", include_str!("../../../docs/dialects/stripe.toml")),
    ("gdrive", include_str!("../../../docs/dialects/gdrive.toml")),
    (
        "jsonapi",
        include_str!("../../../docs/dialects/jsonapi.toml"),
    ),
    ("box", include_str!("../../../docs/dialects/box.toml")),
];

/// One of the example shapes, by its name.
pub fn example(name: &str) -> Option<Arc<dyn Dialect>> {
    let (_, text) = EXAMPLE_DIALECTS.iter().find(|(n, _)| *n == name)?;
    Some(Arc::new(shipped(name, text, false)?))
}

/// The dialects of one configuration: the built-in ones and those it declares.
#[derive(Debug, Clone, Default)]
pub struct Dialects {
    declared: BTreeMap<String, Arc<dyn Dialect>>,
}

impl Dialects {
    /// Adds the dialect `name` as `def` says. A built-in name is refused (`--dialect filejar`
    /// must always mean FileJar), as is a name that is not letters, digits, - and _; the
    /// error names the key under `dialects.`, e.g. `acme.paging.page_param: …`.
    pub fn declare(&mut self, name: &str, def: Definition) -> Result<(), String> {
        if is_builtin(name) {
            return Err(format!(
                "{name}: {name} is a built-in dialect; declare yours under another name"
            ));
        }
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "{name:?}: a dialect's name is letters, digits, - and _"
            ));
        }
        def.check().map_err(|e| format!("{name}.{e}"))?;
        self.declared
            .insert(name.to_string(), Arc::new(Declared::new(name, def)));
        Ok(())
    }

    /// A dialect by name: a built-in one, or one declared.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Dialect>> {
        by_id(name).or_else(|| self.declared.get(name).cloned())
    }

    /// Every dialect name there is: the built-in ones, then the declared ones.
    pub fn names(&self) -> Vec<String> {
        names()
            .into_iter()
            .map(str::to_string)
            .chain(self.declared.keys().cloned())
            .collect()
    }
}
