//! The binary's non-interactive behaviour: what it says with no arguments or bad flags, and
//! `serve` for scripts.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn filescope() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_filescope"));
    // No instance metadata service is asked: tests stay on loopback.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    let dir = std::env::temp_dir().join(format!("filescope-cli-{}", std::process::id()));
    cmd.env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", dir.join("no-such-config.toml"))
        .env_remove("FILESCOPE_API_KEY");
    cmd
}

/// A private directory for one test's configuration file.
fn config_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("filescope-cfg-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn config_init_writes_an_example_once_and_path_names_it() {
    let dir = config_dir("init");
    let path = dir.join("sub/config.toml");
    let out = filescope()
        .env("FILESCOPE_CONFIG", &path)
        .args(["config", "path"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout).trim(), path.display().to_string());
    let out = filescope()
        .env("FILESCOPE_CONFIG", &path)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[profiles.prod]")
    );
    let again = filescope()
        .env("FILESCOPE_CONFIG", &path)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("exists; not overwritten"));
}

#[test]
fn profiles_are_listed_without_their_keys() {
    let dir = config_dir("profiles");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        r#"default_profile = "prod"
[profiles.prod]
dialect = "filejar"
url = "https://files.example.test"
api_key_env = "PROD_KEY"
[profiles.lab]
dialect = "fileguard"
url = "https://fg.example.test"
api_key = "fg_literal_canary"
[profiles.aws]
dialect = "s3"
url = "s3://bucket/logs/"
aws_profile = "ops"
[profiles.bkt]
dialect = "s3"
url = "s3://bucket/"
"#,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Where each S3 profile's credentials come from, read from the AWS files and the
    // environment without asking anyone: a role assumed from another profile, and the
    // environment's keys (a named AWS profile is used alone, as `aws --profile` does).
    let aws_config = dir.join("aws-config");
    std::fs::write(
        &aws_config,
        "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n\
         [profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n",
    )
    .unwrap();
    let mut cmd = filescope();
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    let out = cmd
        .env("FILESCOPE_CONFIG", &path)
        .env("AWS_CONFIG_FILE", &aws_config)
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_ACCESS_KEY_ID", "AKIDENV")
        .env("AWS_SECRET_ACCESS_KEY", "env-secret-canary")
        .arg("profiles")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let listed = text(&out.stdout);
    assert!(!listed.contains("canary"), "{listed}");
    let rows: Vec<Vec<&str>> = listed
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "aws",
                "s3",
                "s3://bucket/logs/",
                "key:",
                "AWS",
                "profile",
                "ops",
                "(AssumeRole",
                "arn:aws:iam::123456789012:role/ops",
                "from",
                "profile",
                "base)"
            ],
            vec![
                "bkt",
                "s3",
                "s3://bucket/",
                "key:",
                "environment",
                "(AWS_ACCESS_KEY_ID)"
            ],
            vec![
                "lab",
                "fileguard",
                "https://fg.example.test",
                "key:",
                "in",
                "the",
                "file"
            ],
            vec![
                "*",
                "prod",
                "filejar",
                "https://files.example.test",
                "key:",
                "env",
                "PROD_KEY"
            ],
        ]
    );
    let lines: Vec<&str> = listed.lines().collect();
    for line in &lines[1..] {
        assert_eq!(
            line.find("key:"),
            lines[0].find("key:"),
            "columns are aligned"
        );
    }
    assert!(!listed.contains("canary"));
    #[cfg(unix)]
    assert!(
        text(&out.stderr).contains("holds an API key (profile lab) and other users can read it"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_config_is_one_line_with_its_position() {
    let dir = config_dir("bad");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "default_profile = \"prod\"\n[profiles.prod]\ndialect = \"filejar\"\nurl = \"https://x.test\"\ntimeout = 5\n",
    )
    .unwrap();
    let out = filescope().env("FILESCOPE_CONFIG", &path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "filescope: config {}:5:1: profiles.prod.timeout: unknown field `timeout`",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn completions_and_the_manual_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let out = filescope().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains("filescope"), "{shell}");
        assert!(script.contains("dialect"), "{shell}: flags are completed");
        assert!(script.contains("astracollab"), "{shell}: dialect names too");
    }
    let out = filescope().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    assert!(page.contains("\n.TH filescope 1 "), "a roff page: {page}");
    // Every subcommand the docs name has its entry under SUBCOMMANDS, with its options, in
    // this page: no `filescope-ls(1)` is installed, so none is cited.
    let (_, subcommands) = page
        .split_once("\n.SH SUBCOMMANDS\n")
        .expect("a SUBCOMMANDS section");
    let subcommands = format!("\n{}", subcommands.split("\n.SH ").next().unwrap());
    for name in [
        "demo",
        "serve",
        "ls",
        "stats",
        "profiles",
        "dialect",
        "dialect infer",
        "dialect check",
        "config",
        "config init",
        "completions",
        "man",
    ] {
        assert!(
            subcommands.contains(&format!("\n.SS \"filescope {name}\"\n")),
            "{name} in the manual's subcommands:\n{subcommands}"
        );
    }
    assert!(
        subcommands.contains("\\-\\-format"),
        "ls's options are in the page:\n{subcommands}"
    );
    assert!(!page.contains("(1)"), "no other page is cited:\n{page}");
    // The sections a manual page is expected to have, each with its content.
    for (section, expect) in [
        ("KEYS", "\\fBd\\fR\ndownload"),
        ("ENVIRONMENT", "\\fBFILESCOPE_API_KEY\\fR"),
        ("FILES", "config.toml"),
        ("\"EXIT STATUS\"", "\\fB5\\fR\nthe server's answer"),
    ] {
        let (_, body) = page
            .split_once(&format!("\n.SH {section}\n"))
            .unwrap_or_else(|| panic!("a {section} section:\n{page}"));
        let body = body.split("\n.SH ").next().unwrap();
        assert!(body.contains(expect), "{section} has {expect:?}:\n{body}");
    }
}

/// Issue 27, expected 8: `-p <TAB>` and `--dialect <TAB>` complete the configuration's own
/// names (profiles; declared dialects beside the built-in ones), read when the script is
/// written; a name that is not plain is left out of the shell code.
#[test]
fn completions_offer_the_configurations_profile_and_dialect_names() {
    let dir = config_dir("completions");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        r#"[profiles.prof-canary]
dialect = "filejar"
url = "https://files.example.test"
[profiles."x';touch /tmp/owned;'"]
dialect = "filejar"
url = "https://files.example.test"
[dialects.dial_canary]
list_path = "/f"
[dialects.dial_canary.paging]
style = "offset"
offset_param = "o"
[dialects.dial_canary.fields]
id = "id"
name = "n"
"#,
    )
    .unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = filescope()
            .env("FILESCOPE_CONFIG", &path)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {out:?}");
        let script = text(&out.stdout);
        assert!(script.contains("prof-canary"), "{shell}: the profile");
        assert!(
            script.contains("dial_canary"),
            "{shell}: the declared dialect"
        );
        assert!(
            !script.contains("touch"),
            "{shell}: no odd name in shell code"
        );
    }
}

/// The lean build (`cargo test --no-default-features`, which CI runs for this file): `demo`
/// and `serve` have no server to start and say, in one line, how to get a build that has.
#[cfg(not(feature = "demo"))]
#[test]
fn a_lean_build_refuses_demo_and_serve_in_one_line_saying_how_to_get_them() {
    for command in ["demo", "serve"] {
        let out = filescope().arg(command).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}: {out:?}");
        let stderr = text(&out.stderr);
        assert_eq!(
            stderr,
            "filescope: this filescope was built without the demo server (the `demo` feature); `cargo install filescope` (default features) has it\n",
            "{command}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn no_arguments_says_how_to_start_in_two_lines() {
    let out = filescope().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("filescope demo"), "{stderr}");
    assert!(lines[1].contains("--dialect filejar --url"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_flags_are_one_clear_error() {
    let out = filescope()
        .args(["--dialect", "filejar", "--url", "not a url"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: invalid value 'not a url' for '--url <URL>'"),
        "{stderr}"
    );

    let out = filescope()
        .args(["demo", "--latency", "-5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: unexpected argument '-5' found\n"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "one error: {stderr}");
    assert!(
        stderr.contains("Usage: filescope demo [OPTIONS]"),
        "and how to call it: {stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// Issue 24, item 2: a location that is not one (a typo of a command, a scheme no family
/// has, an http:// URL with no dialect, a prefix with no bucket) is one line naming it, exit
/// 2, before anything is sent.
#[test]
fn a_location_that_is_not_one_is_named_in_one_line() {
    for (args, says) in [
        (vec!["lss"], "\"lss\": neither a command (demo, serve, ls,"),
        (
            vec!["ls", "ftp://bucket/"],
            "\"ftp://bucket/\": expected an http://, https://, s3://, az:// or gs:// URL",
        ),
        (
            vec!["ls", "https://files.example.com"],
            "is a JSON API's URL: say which with --dialect",
        ),
        (
            vec!["--url", "http://127.0.0.1:9"],
            "is a JSON API's URL: say which with --dialect",
        ),
        (vec!["ls", "s3:///logs/"], "names a prefix but no bucket"),
    ] {
        let out = filescope()
            .args(&args)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("filescope: "), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_unknown_dialect_is_named_with_every_one_there_is_declared_ones_included() {
    let out = filescope()
        .args(["ls", "--dialect", "nope", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "filescope: unknown dialect \"nope\"; expected one of filejar, openwebui, flextell, fileguard, astracollab, s3, azure, gcs (or one declared in the configuration file)\n"
    );
    let dir = config_dir("declared");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "[dialects.acme]\nlist_path = \"/f\"\n[dialects.acme.paging]\nstyle = \"offset\"\noffset_param = \"o\"\n[dialects.acme.fields]\nid = \"id\"\nname = \"n\"\n",
    )
    .unwrap();
    let out = filescope()
        .env("FILESCOPE_CONFIG", &path)
        .args(["ls", "--dialect", "nope", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).ends_with(
            "expected one of filejar, openwebui, flextell, fileguard, astracollab, s3, azure, gcs, acme\n"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(feature = "demo")]
#[tokio::test]
async fn serve_prints_its_url_and_answers_there() {
    let mut child = filescope()
        .args(["serve", "--dialect", "filejar", "--files", "25"])
        .env("FILESCOPE_API_KEY", "k")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/v1/files/organization-files?limit=10"))
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let mut told = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut told).unwrap();
    assert_eq!(
        told,
        format!(
            "filescope: serving 25 files as filejar at {base}; it accepts the key in FILESCOPE_API_KEY\nfilescope: try  filescope ls --dialect filejar --url {base}   or the explorer:  filescope --dialect filejar --url {base}\n"
        ),
        "stderr says which key and how to point ls and the explorer at it"
    );
    assert_eq!(body["pagination"]["total"], 25);
    assert_eq!(body["files"].as_array().unwrap().len(), 10);
}

#[cfg(feature = "demo")]
#[test]
fn a_bad_key_binding_stops_the_explorer_before_it_takes_the_screen() {
    let dir = config_dir("keys");
    let path = dir.join("config.toml");
    std::fs::write(&path, "[keys]\nquit = [\"x\"]\ndown = [\"x\"]\n").unwrap();
    let out = filescope()
        .env("FILESCOPE_CONFIG", &path)
        .args(["demo", "--files", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "filescope: config {}:3:8: keys.down: x is bound to both down and quit",
            path.display()
        )
    );
    assert!(out.stdout.is_empty(), "the screen was never touched");
}

/// Issue 16, bug 15: with no profile, `profiles` says so and how to make one (stdout stays
/// empty for scripts).
#[test]
fn profiles_without_any_says_how_to_make_one() {
    let dir = config_dir("no-profiles");
    let path = dir.join("config.toml");
    std::fs::write(&path, "[ui]\ntheme = \"mono\"\n").unwrap();
    let out = filescope()
        .env("FILESCOPE_CONFIG", &path)
        .env("FILESCOPE_DATA_DIR", &dir)
        .arg("profiles")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let told = text(&out.stderr);
    assert!(told.contains("no profiles in"), "{told}");
    assert!(told.contains("[profiles.NAME]"), "{told}");
    assert!(told.contains("filescope config init"), "{told}");
}

/// A credential command that floods its output (3 MB) or never ends (`sleep 1000`, with
/// `[network] command_timeout_secs = 1`) is stopped: exit 2 promptly, with one line naming
/// the setting, the profile and what happened. Both commands that give credentials are
/// covered: a profile's `api_key_cmd` and an AWS profile's `credential_process`.
#[test]
fn a_credential_command_that_floods_or_hangs_is_stopped_with_one_line() {
    let dir = config_dir("credential-commands");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[network]\ncommand_timeout_secs = 1\n\
         [profiles.flood]\ndialect = \"filejar\"\nurl = \"http://127.0.0.1:9\"\napi_key_cmd = \"sh -c 'yes | head -c 3000000'\"\n\
         [profiles.hang]\ndialect = \"filejar\"\nurl = \"http://127.0.0.1:9\"\napi_key_cmd = \"sleep 1000\"\n\
         [profiles.s3flood]\ndialect = \"s3\"\nurl = \"s3://bkt\"\nendpoint = \"http://127.0.0.1:9\"\naws_profile = \"flood\"\n\
         [profiles.s3hang]\ndialect = \"s3\"\nurl = \"s3://bkt\"\nendpoint = \"http://127.0.0.1:9\"\naws_profile = \"hang\"\n",
    )
    .unwrap();
    let aws_config = dir.join("aws-config");
    std::fs::write(
        &aws_config,
        "[profile flood]\ncredential_process = sh -c 'yes | head -c 3000000'\n\
         [profile hang]\ncredential_process = sleep 1000\n",
    )
    .unwrap();
    let aws_source = "AWS profile {} (credential_process)";
    let cases = [
        (
            "flood",
            "profile flood: api_key_cmd \"sh\" printed more than 1 MiB; it was stopped".to_string(),
        ),
        (
            "hang",
            "profile hang: api_key_cmd \"sleep\" did not finish within 1 s (raise [network] command_timeout_secs if it needs longer); it was stopped".to_string(),
        ),
        (
            "s3flood",
            format!(
                "{}: credential_process \"sh\" printed more than 1 MiB; it was stopped",
                aws_source.replace("{}", "flood")
            ),
        ),
        (
            "s3hang",
            format!(
                "{}: credential_process \"sleep\" did not finish within 1 s (raise [network] command_timeout_secs if it needs longer); it was stopped",
                aws_source.replace("{}", "hang")
            ),
        ),
    ];
    for (profile, want) in cases {
        let start = std::time::Instant::now();
        let out = filescope()
            .env("FILESCOPE_CONFIG", &config)
            .env("HOME", &dir)
            .env("AWS_CONFIG_FILE", &aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .args(["ls", "-p", profile])
            .output()
            .unwrap();
        let took = start.elapsed();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{profile}: {stderr}");
        assert_eq!(stderr, format!("filescope: {want}\n"), "{profile}");
        assert!(out.stdout.is_empty(), "{profile}");
        // A guard against a hang, not a timing assertion: the limit is one second.
        assert!(
            took < std::time::Duration::from_secs(30),
            "{profile} took {took:?}"
        );
    }
}

/// Issue 27 (docs that disagree): the demo's deliberately corrupt file is named where a user
/// looks for it (`demo --help`), by the name the list shows, not by an index.
#[cfg(feature = "demo")]
#[test]
fn demo_help_names_the_corrupt_file_as_the_list_shows_it() {
    let name = |files| {
        filescope_demo::dataset::Dataset::new(42, files)
            .file(filescope_demo::content::CORRUPT_INDEX)
            .file_name
    };
    assert_eq!(
        name(10),
        name(100_000),
        "the name does not depend on --files"
    );
    let out = filescope().args(["demo", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout).replace('\n', " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains(&name(10)), "{} in\n{help}", name(10));
}
