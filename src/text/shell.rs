//! Words for a POSIX shell (sh, dash, bash, zsh): the one quoting function behind every
//! command filescope composes for a person to paste (`y c`'s curl). Whatever a value holds —
//! quotes, `;`, `$(…)`, backticks, newlines, escape sequences — the shell receives exactly it
//! as one word, and the command text itself holds no raw control character that a terminal or
//! a line editor could act on while it is pasted.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A part of one shell word: text taken literally, or a variable the shell expands where the
/// command runs (so a credential can be named, never written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<'a> {
    Text(Cow<'a, str>),
    /// A variable's name (`FILESCOPE_API_KEY`), written as `"$NAME"`.
    Var(&'a str),
    /// A command of filescope's own words whose output is the value
    /// (`gcloud auth print-access-token`), written as `"$(COMMAND)"`: letters, digits, spaces
    /// and `-_./=` only, so nothing in it is another command.
    Command(&'a str),
}

/// Why a value cannot be one shell word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// No program can receive a NUL byte in an argument.
    #[error("the value holds a NUL byte, which no command argument can carry")]
    Nul,
    #[error("{0:?} is not a shell variable name")]
    VarName(String),
    #[error("{0:?} is not a plain command")]
    Command(String),
}

/// `value` as one shell word: bare when it is made only of characters no shell treats
/// specially, else in single quotes (a `'` written as `'\''`). A character a terminal or line
/// editor would act on (C0 and C1 controls, DEL, bidirectional and invisible characters, as
/// [`super::is_unsafe`] judges) is written as `"$(printf '\NNN')"`, its UTF-8 bytes in octal,
/// except a newline, which stays inside the quotes (a shell only continues the line there;
/// command substitution would drop it).
pub fn quote(value: &str) -> Result<String, QuoteError> {
    word(&[Part::Text(Cow::Borrowed(value))])
}

/// Literal text as a [`Part`].
pub fn text<'a>(value: impl Into<Cow<'a, str>>) -> Part<'a> {
    Part::Text(value.into())
}

/// A command line: each word quoted with [`word`], joined by spaces.
pub fn command(words: &[Vec<Part<'_>>]) -> Result<String, QuoteError> {
    let quoted: Result<Vec<String>, QuoteError> = words.iter().map(|w| word(w)).collect();
    Ok(quoted?.join(" "))
}

/// One word made of `parts`, e.g. `'Authorization: Bearer '"$FILESCOPE_API_KEY"`.
pub fn word(parts: &[Part<'_>]) -> Result<String, QuoteError> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(text) => push_text(&mut out, text)?,
            Part::Var(name) => {
                let valid = name
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !valid {
                    return Err(QuoteError::VarName((*name).to_string()));
                }
                let _ = write!(out, "\"${name}\"");
            }
            Part::Command(command) => {
                let valid = !command.trim().is_empty()
                    && command
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " -_./=".contains(c));
                if !valid {
                    return Err(QuoteError::Command((*command).to_string()));
                }
                let _ = write!(out, "\"$({command})\"");
            }
        }
    }
    if out.is_empty() {
        out.push_str("''");
    }
    Ok(out)
}

/// Characters that mean nothing to a shell anywhere in a word.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ',' | '+' | '@' | '%')
}

fn push_text(out: &mut String, text: &str) -> Result<(), QuoteError> {
    if text.contains('\0') {
        return Err(QuoteError::Nul);
    }
    // `=` and `~` are plain except at a word's start (an assignment, a home directory); `%`
    // and `@` are plain everywhere in POSIX sh. Quoting whatever is not plain is always right.
    if !text.is_empty() && text.chars().all(is_plain) {
        out.push_str(text);
        return Ok(());
    }
    let mut open = false;
    for c in text.chars() {
        if c == '\'' {
            if open {
                out.push('\'');
                open = false;
            }
            out.push_str("\\'");
        } else if c != '\n' && super::is_unsafe(c) {
            if open {
                out.push('\'');
                open = false;
            }
            out.push_str("\"$(printf '");
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                let _ = write!(out, "\\{b:03o}");
            }
            out.push_str("')\"");
        } else {
            if !open {
                out.push('\'');
                open = true;
            }
            out.push(c);
        }
    }
    if open {
        out.push('\'');
    }
    if text.is_empty() {
        out.push_str("''");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What `sh -c` prints for `printf %s WORD`: the value the shell made of the word.
    fn through(shell: &str, word: &str) -> Vec<u8> {
        let out = Command::new(shell)
            .arg("-c")
            .arg(format!("printf %s {word}"))
            .env("FILESCOPE_TEST_VAR", "from the environment")
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell} refused {word:?}: {out:?}");
        out.stdout
    }

    fn shells() -> Vec<&'static str> {
        ["/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/zsh"]
            .into_iter()
            .filter(|s| std::path::Path::new(s).exists())
            .collect()
    }

    #[test]
    fn every_character_up_to_0xff_reaches_the_shell_exactly_and_never_raw_if_unsafe() {
        let shells = shells();
        assert!(
            shells.contains(&"/bin/sh"),
            "a POSIX sh is on every machine"
        );
        // Every code point 0x00–0xFF, alone and between other text.
        for n in 0u32..=0xff {
            let c = char::from_u32(n).unwrap();
            for value in [c.to_string(), format!("a{c}b'{c}")] {
                if c == '\0' {
                    assert_eq!(quote(&value), Err(QuoteError::Nul));
                    continue;
                }
                let word = quote(&value).unwrap();
                assert!(
                    !word.chars().any(|w| w != '\n' && crate::text::is_unsafe(w)),
                    "a raw control character in {word:?}"
                );
                for shell in &shells {
                    assert_eq!(
                        through(shell, &word),
                        value.as_bytes(),
                        "{shell}: U+{n:04X} as {word:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_injection_stays_one_word() {
        for value in [
            "us-east-1';touch pwned;echo '",
            "$(touch pwned)",
            "`touch pwned`",
            "a\"b\\c$HOME",
            "",
            "-rf",
            "~root",
            "x=1",
            "\u{202e}cod.exe",
        ] {
            let word = quote(value).unwrap();
            for shell in shells() {
                assert_eq!(through(shell, &word), value.as_bytes(), "{word}");
            }
        }
        assert_eq!(quote("plain-1.0/x:y").unwrap(), "plain-1.0/x:y");
        assert_eq!(quote("it's").unwrap(), "'it'\\''s'");
    }

    #[test]
    fn variables_expand_where_the_command_runs_and_bad_names_are_refused() {
        let word = word(&[
            text("key: "),
            Part::Var("FILESCOPE_TEST_VAR"),
            text("; done"),
        ])
        .unwrap();
        assert_eq!(word, "'key: '\"$FILESCOPE_TEST_VAR\"'; done'");
        assert_eq!(
            through("/bin/sh", &word),
            b"key: from the environment; done"
        );
        assert!(matches!(
            super::word(&[Part::Var("A;rm")]),
            Err(QuoteError::VarName(_))
        ));
        assert!(matches!(
            super::word(&[Part::Var("1A")]),
            Err(QuoteError::VarName(_))
        ));
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64),
                ..ProptestConfig::default()
            })]
            /// Any value without NUL: `sh -c` given the quoted word receives exactly it.
            #[test]
            fn sh_receives_exactly_the_value(value in "[^\\x00]{0,24}") {
                let word = quote(&value).unwrap();
                prop_assert_eq!(through("/bin/sh", &word), value.as_bytes().to_vec());
            }
        }
    }
}
