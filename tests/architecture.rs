//! The layers of docs/ARCHITECTURE.md, checked: every `crate::…` path in product code (tests
//! and comments aside) must go to a module its layer may use, and no module may reach one
//! that reaches it back.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may use. Lower layers come first.
const LAYERS: &[(&str, &[&str])] = &[
    ("text", &[]),
    ("geometry", &[]),
    ("keymap", &[]),
    ("clipboard", &[]),
    ("api", &["text"]),
    ("listing", &["api", "text"]),
    ("insight", &["api", "text"]),
    ("export", &["api", "text"]),
    ("config", &["api", "keymap", "text"]),
    ("logging", &["config", "text"]),
    ("ls", &["api", "export", "text"]),
    (
        "app",
        &[
            "api", "listing", "keymap", "geometry", "insight", "export", "config", "text",
        ],
    ),
    (
        "ui",
        &[
            "app", "api", "listing", "keymap", "geometry", "insight", "config", "export", "text",
        ],
    ),
    (
        "runtime",
        &[
            "app",
            "api",
            "listing",
            "ui",
            "clipboard",
            "export",
            "insight",
            "ls",
            "config",
            "text",
        ],
    ),
    ("tui", &["runtime"]),
    ("cli", &["api", "config", "export"]),
    (
        "commands",
        &[
            "api", "app", "cli", "config", "export", "insight", "keymap", "logging", "ls",
            "runtime", "text", "tui",
        ],
    ),
    ("test_support", &["api", "app", "config", "runtime", "ui"]),
];

/// Product code of a file: comments and `#[cfg(test)]` modules removed.
fn product_code(text: &str) -> String {
    let mut out = String::new();
    let mut skipping_tests = false;
    let mut depth = 0i32;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if !skipping_tests
            && trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            skipping_tests = true;
            depth = 0;
            continue;
        }
        if skipping_tests {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            // `mod tests;` (a file of its own) ends at once; a block ends at its brace.
            if depth <= 0 && (line.contains('}') || line.trim_end().ends_with(';')) {
                skipping_tests = false;
            }
            continue;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The module path of a file under `src/`: `app/listing.rs` → `[app, listing]`,
/// `app/mod.rs` → `[app]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut path: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// The names at the top of a use tree starting at `rest`: `a::b` → `[a]`,
/// `{a::{b, c}, d}` → `[a, d]`, however the groups nest or break across lines.
fn tree_heads(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut start = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if c.is_whitespace() => {}
            _ if start && depth == 0 => {
                heads.push(ident(&group[at..]));
                start = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules that the code of the module at `path` reaches: through `crate::`
/// paths and groups, and through `super::` chains that climb out of its top-level module.
fn targets(code: &str, path: &[String]) -> BTreeSet<String> {
    let own = path.first().map(String::as_str).unwrap_or("");
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        found.extend(tree_heads(rest));
    }
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        // Only the start of a chain (`super::super::x` counts once).
        let before = &rest[..at];
        rest = &rest[at..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        if before.ends_with("::") {
            continue;
        }
        let base = path.len().saturating_sub(climbs);
        if base == 0 {
            found.extend(tree_heads(rest));
        }
    }
    found.retain(|name| !name.is_empty() && name != own && name != "self");
    found
}

/// The top-level modules each file of `src/` reaches.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let module = module_path(rel);
            let top = module[0].clone();
            // Unit-test files and the crate's roots are not product layers.
            if matches!(top.as_str(), "lib" | "main") || rel.ends_with("tests.rs") {
                continue;
            }
            let code = product_code(&std::fs::read_to_string(&path).unwrap());
            edges
                .entry(top)
                .or_default()
                .extend(targets(&code, &module));
        }
    }
    edges
}

/// Every edge the layer table forbids.
fn violations(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, targets) in edges {
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!("{module} is not in the layer table"));
            continue;
        };
        for target in targets {
            if !may.contains(&target.as_str()) {
                wrong.push(format!("{module} uses {target}"));
            }
        }
    }
    wrong
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let wrong = violations(&uses());
    assert!(wrong.is_empty(), "imports against the layers: {wrong:#?}");
}

/// The checker sees the code as it is: edges the code is known to have are found (a checker
/// that found none would pass every other test here).
#[test]
fn the_edges_the_code_is_known_to_have_are_found() {
    let edges = uses();
    for (from, to) in [
        ("api", "text"),
        ("app", "api"),
        ("app", "listing"),
        ("ui", "app"),
        ("runtime", "ui"),
        ("runtime", "app"),
        ("commands", "tui"),
        ("commands", "runtime"),
        ("tui", "runtime"),
    ] {
        assert!(
            edges.get(from).is_some_and(|t| t.contains(to)),
            "{from} → {to} not found in {edges:#?}"
        );
    }
    assert!(edges.len() >= 15, "every layer read: {:?}", edges.keys());
}

#[test]
fn a_synthetic_violation_is_caught_through_every_import_form() {
    let forms = [
        ("use crate::ui::Table;", vec!["api", "x"]),
        (
            "use crate::{text, ui::{draw, table::{A, B}}};",
            vec!["api", "x"],
        ),
        (
            "use crate::{\n    text::sanitize,\n    ui,\n};",
            vec!["api"],
        ),
        ("fn f() { crate::ui::draw(); }", vec!["api", "s3", "xml"]),
        ("use super::ui::Table;", vec!["api"]),
        ("use super::super::ui::Table;", vec!["api", "client"]),
        (
            "use super::super::super::{text, ui};",
            vec!["api", "s3", "xml"],
        ),
    ];
    for (code, path) in forms {
        let path: Vec<String> = path.into_iter().map(String::from).collect();
        let found = targets(&product_code(code), &path);
        assert!(found.contains("ui"), "{code} in {path:?}: {found:?}");
        let mut edges = BTreeMap::new();
        edges.insert("api".to_string(), found);
        assert!(
            violations(&edges).contains(&"api uses ui".to_string()),
            "{code}"
        );
    }
    // Inside its own module, `super::` is no edge; nor is `crate::api` from `api`.
    let path: Vec<String> = vec!["api".into(), "s3".into(), "xml".into()];
    let inside = targets(
        &product_code("use super::super::client::Client;\nuse crate::api::Page;\nuse super::Tail;"),
        &path,
    );
    assert!(inside.is_empty(), "{inside:?}");
}

/// Every edge of `edges` whose target reaches its source back.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    // Depth-first search for a cycle through the module graph.
    fn reaches(
        edges: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        if !seen.insert(from.to_string()) {
            return false;
        }
        edges
            .get(from)
            .is_some_and(|next| next.iter().any(|n| n == to || reaches(edges, n, to, seen)))
    }
    let mut found = Vec::new();
    for (module, targets) in edges {
        for target in targets {
            let mut seen = BTreeSet::new();
            if reaches(edges, target, module, &mut seen) {
                found.push(format!(
                    "{module} uses {target}, which reaches {module} back"
                ));
            }
        }
    }
    found
}

#[test]
fn no_module_reaches_one_that_reaches_it_back() {
    let found = cycles(&uses());
    assert!(found.is_empty(), "{found:#?}");
}

/// The cycle search finds a cycle however long, and only where there is one.
#[test]
fn a_synthetic_cycle_is_caught() {
    let graph = |pairs: &[(&str, &str)]| {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in pairs {
            edges
                .entry(from.to_string())
                .or_default()
                .insert(to.to_string());
        }
        edges
    };
    let chain = [("app", "listing"), ("listing", "api"), ("api", "text")];
    assert!(cycles(&graph(&chain)).is_empty());
    let mut looped = chain.to_vec();
    looped.push(("text", "app"));
    let found = cycles(&graph(&looped));
    assert!(
        found.contains(&"app uses listing, which reaches app back".to_string()),
        "{found:#?}"
    );
    assert!(
        cycles(&graph(&[("api", "ui"), ("ui", "api")])).len() == 2,
        "a two-module cycle, from both ends"
    );
}

/// The tests are three binaries, as each one links the whole crate: a file under tests/ is a
/// module of tests/it/ (declared in its main.rs), never a binary of its own.
#[test]
fn the_tests_are_three_binaries() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut binaries: Vec<String> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "rs") || path.join("main.rs").is_file()
        })
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    binaries.sort();
    assert_eq!(binaries, ["architecture.rs", "cli.rs", "it"]);
    let main = std::fs::read_to_string(tests.join("it/main.rs")).unwrap();
    for entry in std::fs::read_dir(tests.join("it")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let module = path.join("mod.rs").is_file() || path.extension().is_some_and(|e| e == "rs");
        if name != "main" && module {
            assert!(
                main.contains(&format!("mod {name};")),
                "tests/it/{name} is not a module of tests/it/main.rs: its tests never run"
            );
        }
    }
}

#[test]
fn the_checker_sees_imports_and_skips_tests_and_comments() {
    let code = product_code(
        "use crate::api::Client;\n// crate::ui in a comment\nfn f() { crate::text::x(); }\n#[cfg(test)]\nmod tests {\n    use crate::ui;\n}\n",
    );
    assert!(code.contains("crate::api") && code.contains("crate::text"));
    assert!(!code.contains("crate::ui"), "{code}");
}
