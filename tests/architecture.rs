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
            "api", "app", "cli", "config", "export", "insight", "logging", "ls", "runtime", "text",
            "tui",
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

/// The top-level modules each file of `src/` reaches through `crate::`.
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
            let module = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            // Unit-test files and the crate's roots are not product layers.
            if matches!(module.as_str(), "lib" | "main") || rel.ends_with("tests.rs") {
                continue;
            }
            let code = product_code(&std::fs::read_to_string(&path).unwrap());
            let targets = edges.entry(module.clone()).or_default();
            let mut rest = code.as_str();
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let mut names: Vec<String> = Vec::new();
                if let Some(group) = rest.strip_prefix('{') {
                    // `use crate::{a, b::c};`
                    let end = group.find('}').unwrap_or(group.len());
                    for part in group[..end].split(',') {
                        let name = part.trim().split("::").next().unwrap_or("").trim();
                        names.push(name.to_string());
                    }
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.push(name);
                }
                for name in names {
                    if !name.is_empty() && name != module && name != "self" {
                        targets.insert(name);
                    }
                }
            }
        }
    }
    edges
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, targets) in uses() {
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
    assert!(wrong.is_empty(), "imports against the layers: {wrong:#?}");
}

#[test]
fn no_module_reaches_one_that_reaches_it_back() {
    let edges = uses();
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
    for (module, targets) in &edges {
        for target in targets {
            let mut seen = BTreeSet::new();
            assert!(
                !reaches(&edges, target, module, &mut seen),
                "{module} uses {target}, which reaches {module} back"
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
