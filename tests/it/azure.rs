//! Azure Blob Storage against Azurite (the official emulator, installed with npm into
//! `target/azurite` on first use), which checks Shared Key signatures and SASes itself; the
//! Azure SDK for JavaScript seeds it and lists it for the truth `ls` is compared with.

use std::time::{Duration, Instant};

use filescope::api::family::{Credentials, Location};
use filescope::api::{Client, ListQuery, PageRequest, Secret};

use crate::common;
use crate::common::azurite::{ACCOUNT, Azurite, KEY, filescope};

/// Names a shell, a URL and XML each get wrong somewhere.
const AWKWARD: &[(&str, &str)] = &[
    ("a b+c%20.txt", "hello"),
    ("dir/x.txt", "x"),
    ("dir/sub/y.txt", "y"),
    ("日本/é.txt", "nihon"),
    ("quote'\"<&>.txt", "q"),
    ("hash#q?.txt", "h"),
    ("emoji 🎉.bin", "e"),
    ("..dots/file", "d"),
    ("trailing space .txt", "t"),
    ("z%2Fnot-a-folder", "z"),
];

fn ids(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// A connection to `url` on Azurite with the account key given, as the explorer makes it.
fn client(azurite: &Azurite, url: &str, levels: bool) -> Client {
    let family = filescope::api::family::by_name("azure").unwrap();
    let conn = (family.connect)(&Location {
        url: filescope::api::url::parse_url(url).unwrap(),
        endpoint: Some(azurite.endpoint()),
        region: None,
        credentials: Credentials::Given {
            id: ACCOUNT.into(),
            secret: Secret::new(KEY),
            token: None,
            source: "the test".into(),
        },
        path_style: None,
        levels,
    })
    .unwrap();
    Client::new(conn).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_with_a_connection_string_equals_azurites_own_listing_with_awkward_names() {
    let azurite = Azurite::start();
    azurite.seed("data", AWKWARD);
    let dir = common::fresh_dir("azure-ls");
    let conn = azurite.connection_string();
    let env = [("AZURE_STORAGE_CONNECTION_STRING", conn.as_str())];
    // Every blob, in the store's order.
    let out = filescope(&dir, &env, &["ls", "az://devstoreaccount1/data/", "--all"]).await;
    succeeded(&out);
    let truth = azurite.list("data", "", false);
    assert_eq!(truth.len(), AWKWARD.len());
    assert_eq!(ids(&out.stdout), truth);
    // One level: folders as rows.
    let out = filescope(
        &dir,
        &env,
        &[
            "ls",
            "az://devstoreaccount1/data/",
            "--delimiter",
            "/",
            "--all",
        ],
    )
    .await;
    succeeded(&out);
    let truth = azurite.list("data", "", true);
    assert!(truth.contains(&"dir/".to_string()), "{truth:?}");
    assert_eq!(sorted(ids(&out.stdout)), sorted(truth));
    // Under a prefix.
    let out = filescope(
        &dir,
        &env,
        &["ls", "az://devstoreaccount1/data/dir/", "--all"],
    )
    .await;
    assert_eq!(ids(&out.stdout), ["dir/sub/y.txt", "dir/x.txt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_sas_url_is_used_as_is_and_the_account_key_lists_the_containers() {
    let azurite = Azurite::start();
    azurite.seed("data", AWKWARD);
    azurite.seed("logs", &[("2025/a.log", "a")]);
    let dir = common::fresh_dir("azure-sas");
    // A container SAS made by the SDK's rules, checked by Azurite's: no other credential.
    let url = azurite.sdk(
        "sas",
        serde_json::json!({ "container": "data", "prefix": "dir/" }),
    );
    let url = url.as_str().unwrap();
    let out = filescope(&dir, &[], &["ls", url, "--all"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(ids(&out.stdout), ["dir/sub/y.txt", "dir/x.txt"]);
    let sig = url.split("sig=").nth(1).unwrap();
    assert!(!stderr.contains(sig));

    // The account: its containers, from AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY.
    let endpoint = format!("http://127.0.0.1:{}", azurite.port);
    let out = filescope(
        &dir,
        &[
            ("AZURE_STORAGE_ACCOUNT", ACCOUNT),
            ("AZURE_STORAGE_KEY", KEY),
        ],
        &[
            "ls",
            "az://devstoreaccount1/",
            "--endpoint",
            &endpoint,
            "--all",
        ],
    )
    .await;
    succeeded(&out);
    let truth: Vec<String> = azurite
        .sdk("containers", serde_json::json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}/", c.as_str().unwrap()))
        .collect();
    assert_eq!(ids(&out.stdout), truth);
    assert_eq!(truth, ["data/", "logs/"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_fails_in_one_line_that_never_holds_the_key() {
    let azurite = Azurite::start();
    azurite.seed("data", &[("a", "a")]);
    let dir = common::fresh_dir("azure-wrong");
    let wrong = "d3Jvbmcta2V5LXRoYXQtaXMtYmFzZTY0LWVuY29kZWQtYW5kLWxvbmc=";
    let out = filescope(
        &dir,
        &[
            ("AZURE_STORAGE_ACCOUNT", ACCOUNT),
            ("AZURE_STORAGE_KEY", wrong),
        ],
        &[
            "ls",
            "az://devstoreaccount1/data/",
            "--endpoint",
            &azurite.endpoint(),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("AuthorizationFailure") || stderr.contains("403"),
        "{stderr}"
    );
    assert!(stderr.contains("AZURE_STORAGE_KEY"), "{stderr}");
    assert!(!stderr.contains(wrong), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_follow_next_markers_and_the_explorer_goes_into_folders_and_back() {
    let azurite = Azurite::start();
    let many: Vec<(String, String)> = (0..23)
        .map(|i| (format!("many/{i:03}.txt"), format!("{i}")))
        .collect();
    let mut blobs: Vec<(&str, &str)> = AWKWARD.to_vec();
    blobs.extend(many.iter().map(|(n, c)| (n.as_str(), c.as_str())));
    azurite.seed("data", &blobs);
    // Pages of 4 across NextMarker: every blob once, in the store's order.
    let flat = client(&azurite, "az://devstoreaccount1/data/", false);
    let query = ListQuery::new(flat.dialect().capabilities().default_sort);
    let mut seen = Vec::new();
    let mut after = None;
    for number in 1.. {
        let page = flat
            .list_page_after(&query, PageRequest { number, size: 4 }, after.as_ref())
            .await
            .unwrap();
        assert!(page.records.len() <= 4);
        seen.extend(page.records.iter().map(|r| r.id.clone()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let truth = azurite.list("data", "", false);
    assert_eq!(seen, truth);

    // The explorer, one level at a time.
    let client = client(&azurite, "az://devstoreaccount1/data/", true);
    let mut app = filescope::test_support::app_on(&client);
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    let names = |app: &filescope::app::App| -> Vec<String> {
        (0..app.row_count())
            .filter_map(|i| match app.row(i) {
                filescope::listing::Row::Loaded(r) => Some(r.name.clone()),
                _ => None,
            })
            .collect()
    };
    let top = azurite.list("data", "", true);
    assert_eq!(sorted(names(&app)), sorted(top.clone()));
    let at = names(&app).iter().position(|n| n == "dir/").unwrap();
    for _ in 0..at {
        app.update(filescope::test_support::key('j'), Instant::now());
    }
    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Enter),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    assert_eq!(names(&app), ["sub/", "x.txt"]);
    let header = common::render(&app, 120, 40)[0].clone();
    assert!(header.contains("dir/"), "{header}");
    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Backspace),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.row_count(), top.len());

    // G: Azurite takes no startFrom, so the listing is walked to its end, and the header
    // says so.
    let header = common::render(&app, 200, 40)[0].clone();
    assert!(header.contains("G walks the listing"), "{header}");
    let effects = app.update(filescope::test_support::key('G'), Instant::now());
    common::settle(&mut app, &client, effects).await;
    let last = sorted(top).pop().unwrap();
    assert_eq!(app.selected().map(|r| r.name.clone()), Some(last));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blob_is_detailed_previewed_downloaded_verified_resumed_and_shared() {
    let azurite = Azurite::start();
    let big: String = (0..300_000u32)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect();
    azurite.seed("data", &[("a b+c%20.txt", "hello"), ("big.txt", &big)]);
    let client = client(&azurite, "az://devstoreaccount1/data/", false);
    let record = client.detail("a b+c%20.txt").await.unwrap().unwrap();
    assert_eq!(record.size, Some(5));
    let raw: serde_json::Value = serde_json::from_str(record.raw.get()).unwrap();
    assert_eq!(raw["ContentMD5"], "XUFAKrxLKna5cZ2REBfFkg==", "{raw}");
    assert!(raw["LeaseStatus"].is_string(), "{raw}");
    // A preview reads a range, signed with it.
    let head = client.head_bytes(&record, 3).await.unwrap();
    assert_eq!(head, b"hel");
    // A read-only SAS anyone can GET.
    let link = client
        .reach()
        .share_link(&record, Duration::from_secs(900))
        .unwrap()
        .unwrap();
    let got = reqwest::get(link).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"hello");

    // `y c`: curl with a read-only SAS (curl cannot sign Shared Key), for the blob and for
    // the listing, run by the machine's shell and curl.
    let run = |command: String| {
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &command])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(client.curl_file(&record).unwrap()), "hello");
    let listing = run(client
        .curl_command(
            &ListQuery::new(client.dialect().capabilities().default_sort),
            PageRequest {
                number: 1,
                size: 10,
            },
        )
        .unwrap());
    assert!(listing.contains("<Name>big.txt</Name>"), "{listing}");

    // A download resumed from a part file, checked whole against Content-MD5.
    let record = client.detail("big.txt").await.unwrap().unwrap();
    let dir = common::fresh_dir("azure-download");
    let target = dir.join("big.txt");
    let part = filescope::api::content::part_path(&target, &record.id);
    std::fs::write(&part, &big.as_bytes()[..100_000]).unwrap();
    let mut resumed = None;
    let saved = filescope::api::content::download(
        &client,
        &record,
        &target,
        filescope::api::content::Conflict::Overwrite,
        &tokio_util::sync::CancellationToken::new(),
        |p| {
            resumed.get_or_insert(p.done);
        },
    )
    .await
    .unwrap();
    assert_eq!(resumed, Some(100_000));
    assert_eq!(std::fs::read(&target).unwrap(), big.as_bytes());
    assert_eq!(
        saved.verified,
        Some(filescope::api::content::Algorithm::Md5)
    );
}

/// Token requests with the short-lived secret.
static SHORT_LIVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Stand-ins for where Entra ID tokens come from — the tenant's token endpoint (client
/// secret and workload identity), App Service's identity endpoint and the instance metadata
/// service — each handing out a token of its own, and a store that lists one blob named
/// after the token it was sent (and refuses any other request). Azurite takes bearer tokens
/// only over https with OAuth on, so the store here is a stand-in that checks the token.
async fn entra_stand_ins() -> String {
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::IntoResponse;
    async fn answer(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: String,
    ) -> axum::response::Response {
        let form: std::collections::HashMap<String, String> = body
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(&s.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (decode(k), decode(v))
            })
            .collect();
        let query = uri.query().unwrap_or("");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let token = |t: &str| {
            axum::Json(serde_json::json!({ "access_token": t, "expires_in": 3600, "token_type": "Bearer" }))
                .into_response()
        };
        let path = uri.path();
        if method == Method::POST && path == "/tenant-1/oauth2/v2.0/token" {
            if form.get("scope").map(String::as_str) != Some("https://storage.azure.com/.default") {
                return (StatusCode::BAD_REQUEST, "no scope").into_response();
            }
            if form.get("client_secret").map(String::as_str) == Some("entra-client-secret") {
                return token("tok-secret");
            }
            if form.get("client_secret").map(String::as_str) == Some("short-lived-secret") {
                SHORT_LIVED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // A minute left: less than the five minutes before expiry a token is renewed.
                return axum::Json(
                    serde_json::json!({ "access_token": "tok-short", "expires_in": 60 }),
                )
                .into_response();
            }
            if form.get("client_assertion").map(String::as_str) == Some("federated-jwt")
                && form.contains_key("client_assertion_type")
            {
                return token("tok-workload");
            }
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"
                })),
            )
                .into_response();
        }
        if path == "/msi/token"
            && header("x-identity-header") == "identity-header-value"
            && query.contains("resource=https%3A%2F%2Fstorage.azure.com%2F")
        {
            return token("tok-appservice");
        }
        if path == "/metadata/identity/oauth2/token" && header("metadata") == "true" {
            return token("tok-imds");
        }
        if path == "/acct/data" && !header("x-ms-version").is_empty() {
            let via = match header("authorization") {
                "Bearer tok-secret" => "via-client-secret",
                "Bearer tok-workload" => "via-workload-identity",
                "Bearer tok-appservice" => "via-app-service",
                "Bearer tok-imds" => "via-imds",
                "Bearer tok-cli" => "via-azure-cli",
                _ => "",
            };
            if !via.is_empty() {
                return format!("<?xml version=\"1.0\"?><EnumerationResults><Blobs><Blob><Name>{via}</Name><Properties><Content-Length>1</Content-Length></Properties></Blob></Blobs><NextMarker/></EnumerationResults>").into_response();
            }
        }
        (
            StatusCode::FORBIDDEN,
            "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>no valid token\nRequestId:1</Message></Error>",
        )
            .into_response()
    }
    let app = axum::Router::new().fallback(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn entra_id_tokens_from_each_source_reach_the_store_and_never_its_messages() {
    let server = entra_stand_ins().await;
    let dir = common::fresh_dir("azure-entra");
    let federated = dir.join("federated-token");
    std::fs::write(&federated, "federated-jwt\n").unwrap();
    let federated = federated.to_str().unwrap().to_string();
    let msi = format!("{server}/msi/token");
    let endpoint = format!("{server}/acct");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("AZURE_TENANT_ID", "tenant-1"),
                ("AZURE_CLIENT_ID", "client-1"),
                ("AZURE_CLIENT_SECRET", "entra-client-secret"),
                ("AZURE_AUTHORITY_HOST", &server),
            ],
            "via-client-secret",
        ),
        (
            vec![
                ("AZURE_TENANT_ID", "tenant-1"),
                ("AZURE_CLIENT_ID", "client-1"),
                ("AZURE_FEDERATED_TOKEN_FILE", &federated),
                ("AZURE_AUTHORITY_HOST", &server),
            ],
            "via-workload-identity",
        ),
        (
            vec![
                ("IDENTITY_ENDPOINT", &msi),
                ("IDENTITY_HEADER", "identity-header-value"),
            ],
            "via-app-service",
        ),
        (
            vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", &server)],
            "via-imds",
        ),
    ];
    // The Azure CLI: a stand-in `az` first on the PATH prints what `az account
    // get-access-token` prints; the metadata service before it has nothing (a closed port).
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\n[ \"$1 $2 $3 $4\" = \"account get-access-token --resource https://storage.azure.com/\" ] || exit 9\necho '{\"accessToken\": \"tok-cli\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", \"expires_on\": 4070908800, \"tokenType\": \"Bearer\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&az, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cases = cases;
    cases.push((vec![("PATH", path.as_str())], "via-azure-cli"));
    for (env, want) in cases {
        let out = filescope(
            &dir,
            &env,
            &["ls", "az://acct/data/", "--endpoint", &endpoint, "--all"],
        )
        .await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{want}: {stderr}");
        assert_eq!(ids(&out.stdout), [want], "{stderr}");
    }
    // A refused secret: one line naming the source and what the endpoint said, never the
    // secret.
    let out = filescope(
        &dir,
        &[
            ("AZURE_TENANT_ID", "tenant-1"),
            ("AZURE_CLIENT_ID", "client-1"),
            ("AZURE_CLIENT_SECRET", "a-wrong-client-secret"),
            ("AZURE_AUTHORITY_HOST", &server),
        ],
        &["ls", "az://acct/data/", "--endpoint", &endpoint],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(stderr.contains("AZURE_CLIENT_SECRET"), "{stderr}");
    assert!(!stderr.contains("a-wrong-client-secret"), "{stderr}");
    // No token or secret in anything written under the data directory (the log).
    for entry in walk(&dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        for secret in [
            "tok-secret",
            "tok-imds",
            "entra-client-secret",
            "a-wrong-client-secret",
            "identity-header-value",
        ] {
            assert!(!text.contains(secret), "{secret} in {}", entry.display());
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A token with less than five minutes left is fetched again before the next request; one
/// with an hour left is not.
#[tokio::test(flavor = "multi_thread")]
async fn an_entra_token_is_fetched_again_before_it_expires() {
    use filescope::api::azure::credentials::{TokenSource, Tokens};
    use std::sync::atomic::Ordering;
    let server = entra_stand_ins().await;
    let source = |secret: &str| TokenSource::ClientSecret {
        authority: server.clone(),
        tenant: "tenant-1".into(),
        client: "client-1".into(),
        secret: Secret::new(secret),
    };
    let short = Tokens::new(vec![source("short-lived-secret")]);
    let before = SHORT_LIVED.load(Ordering::SeqCst);
    short.ready().await.unwrap();
    assert_eq!(short.token().unwrap().value.expose(), "tok-short");
    short.ready().await.unwrap();
    assert_eq!(
        SHORT_LIVED.load(Ordering::SeqCst) - before,
        2,
        "asked again"
    );
    let long = Tokens::new(vec![source("entra-client-secret")]);
    long.ready().await.unwrap();
    let first = long.token().unwrap().expires;
    long.ready().await.unwrap();
    assert_eq!(long.token().unwrap().expires, first, "kept");
    assert!(long.source().contains("client secret"), "{}", long.source());
}

/// The demo's Azure account (`filescope demo --dialect azure`): the S3 demo's keys, hostile
/// ones included, listed by List Blobs in the same order and in full across NextMarker;
/// the containers; a blob's detail, preview and download checked against Content-MD5.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_serves_the_s3_demos_keys_as_azure_blobs() {
    let files = 3_000;
    let azure = common::Demo::new(files).dialect("azure").start().await;
    let s3 = common::Demo::new(files).dialect("s3").start().await;
    let connect = |url: &str, endpoint: &str, family: &str| {
        let family = filescope::api::family::by_name(family).unwrap();
        let (id, secret) = if family.name == "azure" {
            (filescope_demo::AZURE_ACCOUNT, filescope_demo::AZURE_KEY)
        } else {
            (filescope_demo::S3_ACCESS_KEY, filescope_demo::S3_SECRET_KEY)
        };
        let conn = (family.connect)(&Location {
            url: filescope::api::url::parse_url(url).unwrap(),
            endpoint: Some(endpoint.to_string()),
            region: Some(filescope_demo::S3_REGION.into()),
            credentials: Credentials::Given {
                id: id.into(),
                secret: Secret::new(secret),
                token: None,
                source: "the demo".into(),
            },
            path_style: Some(true),
            levels: false,
        })
        .unwrap();
        Client::new(conn).unwrap()
    };
    let walk = |client: Client| async move {
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        let mut ids = Vec::new();
        let mut after = None;
        for number in 1.. {
            let page = client
                .list_page_after(&query, PageRequest { number, size: 1000 }, after.as_ref())
                .await
                .unwrap();
            ids.extend(page.records.into_iter().map(|r| r.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        ids
    };
    let blobs = walk(connect(
        &format!("az://{}/demo/", filescope_demo::AZURE_ACCOUNT),
        &azure.base_url,
        "azure",
    ))
    .await;
    let keys = walk(connect("s3://demo", &s3.base_url, "s3")).await;
    assert!(blobs.len() >= files, "{}", blobs.len());
    assert_eq!(blobs, keys);
    for awkward in filescope_demo::s3::AWKWARD_KEYS {
        assert!(blobs.iter().any(|b| b == awkward), "{awkward:?}");
    }
    // The account lists its container.
    let account = connect(
        &format!("az://{}/", filescope_demo::AZURE_ACCOUNT),
        &azure.base_url,
        "azure",
    );
    assert_eq!(walk(account).await, ["demo/"]);
    // A blob: detail with Content-MD5, a preview, a download checked by it.
    let client = connect(
        &format!("az://{}/demo/", filescope_demo::AZURE_ACCOUNT),
        &azure.base_url,
        "azure",
    );
    let record = client
        .detail(&blobs[blobs.len() / 2])
        .await
        .unwrap()
        .unwrap();
    let raw: serde_json::Value = serde_json::from_str(record.raw.get()).unwrap();
    assert!(raw["ContentMD5"].is_string(), "{raw}");
    assert!(!client.head_bytes(&record, 16).await.unwrap().is_empty());
    let dir = common::fresh_dir("azure-demo");
    let saved = filescope::api::content::download(
        &client,
        &record,
        &dir.join("blob"),
        filescope::api::content::Conflict::Overwrite,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        saved.verified,
        Some(filescope::api::content::Algorithm::Md5)
    );
}
