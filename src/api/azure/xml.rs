//! Azure Blob Storage's XML answers, read as a stream by the same pull reader as S3's
//! ([`crate::api::s3::xml`]): List Blobs and List Containers (`EnumerationResults`), and the
//! error envelope (`<Error><Code>…</Code><Message>…</Message></Error>`, S3's shape). Nothing
//! is built into a tree; an answer that holds more than `max_records` records is refused as
//! soon as the count passes the limit. A name the service could not put in XML comes as
//! `<Name Encoded="true">` with its bytes percent-encoded; it is decoded exactly.

use chrono::{DateTime, Utc};

use crate::api::s3::xml::{Event, Reader, too_many_records};

/// One blob of a listing, with the properties the listing tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob {
    pub name: String,
    pub size: Option<u64>,
    pub last_modified: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub content_md5: Option<String>,
    pub blob_type: Option<String>,
    pub access_tier: Option<String>,
    pub lease_status: Option<String>,
    /// What could not be read of it (a name that does not decode to UTF-8, a bad size).
    pub problems: Vec<String>,
}

/// One page of List Blobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub blobs: Vec<Blob>,
    /// `BlobPrefix` names: the folders at this level (with a delimiter), each with problems.
    pub prefixes: Vec<(String, Vec<String>)>,
    /// `NextMarker`: where the next page starts; empty or absent on the last page.
    pub next_marker: Option<String>,
}

/// One container of List Containers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub lease_status: Option<String>,
    pub public_access: Option<String>,
}

/// One page of List Containers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Containers {
    pub containers: Vec<Container>,
    pub next_marker: Option<String>,
}

/// A date as Azure writes them (RFC 1123: `Tue, 08 Dec 2026 02:40:28 GMT`).
pub fn http_date(text: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(text.trim())
        .ok()
        .map(DateTime::<Utc>::from)
}

/// A name as the answer wrote it: percent-decoded when `Encoded="true"`. A decoded name that
/// is not UTF-8 is kept with U+FFFD and a problem, rather than failing the page.
fn name(text: String, encoded: bool) -> (String, Option<String>) {
    if !encoded {
        return (text, None);
    }
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&text).collect();
    match String::from_utf8(bytes) {
        Ok(name) => (name, None),
        Err(e) => (
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
            Some(format!(
                "Name: does not decode to UTF-8 (sent as {text:?}); shown with U+FFFD, so it cannot be fetched by this name"
            )),
        ),
    }
}

/// Reads the `Name` child of the element just opened (a `BlobPrefix`), skipping the rest.
fn name_child(reader: &mut Reader<'_>) -> Result<Option<(String, Option<String>)>, String> {
    let mut found = None;
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Name") if found.is_none() => {
                let encoded = reader
                    .attribute("Encoded")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                found = Some(name(reader.text_of()?, encoded));
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    Ok(found)
}

/// Reads a `<Blob>` just opened.
fn blob(reader: &mut Reader<'_>) -> Result<Blob, String> {
    let mut blob = Blob::default();
    let mut named = false;
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Name") if !named => {
                let encoded = reader
                    .attribute("Encoded")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                let (text, problem) = name(reader.text_of()?, encoded);
                blob.name = text;
                blob.problems.extend(problem);
                named = true;
            }
            Event::Start("Properties") => properties(reader, &mut blob)?,
            Event::Start(_) => reader.skip_element()?,
        }
    }
    if !named {
        blob.problems.push("Name: missing".to_string());
    }
    Ok(blob)
}

fn properties(reader: &mut Reader<'_>, blob: &mut Blob) -> Result<(), String> {
    while let Some(event) = reader.next()? {
        let field = match event {
            Event::End => break,
            Event::Text(_) => continue,
            Event::Start(field) => field,
        };
        let slot = match field {
            "Content-Length" => {
                let text = reader.text_of()?;
                match text.trim().parse::<u64>() {
                    Ok(size) => blob.size = Some(size),
                    Err(_) => blob.problems.push(format!(
                        "Content-Length: {:?} is not a size",
                        text.chars().take(40).collect::<String>()
                    )),
                }
                continue;
            }
            "Last-Modified" => {
                blob.last_modified = http_date(&reader.text_of()?);
                continue;
            }
            "Creation-Time" => {
                blob.created = http_date(&reader.text_of()?);
                continue;
            }
            "Etag" => &mut blob.etag,
            "Content-Type" => &mut blob.content_type,
            "Content-MD5" => &mut blob.content_md5,
            "BlobType" => &mut blob.blob_type,
            "AccessTier" => &mut blob.access_tier,
            "LeaseStatus" => &mut blob.lease_status,
            _ => {
                reader.skip_element()?;
                continue;
            }
        };
        let text = reader.text_of()?;
        if !text.is_empty() && slot.is_none() {
            *slot = Some(text);
        }
    }
    Ok(())
}

/// Opens the root, which must be `EnumerationResults`.
fn root(reader: &mut Reader<'_>) -> Result<(), String> {
    match reader.next()? {
        Some(Event::Start("EnumerationResults")) => Ok(()),
        Some(Event::Start(other)) => Err(format!("expected EnumerationResults, got <{other}>")),
        _ => Err("not XML: no element".to_string()),
    }
}

/// Nothing but space, comments and instructions may follow the root.
fn end(reader: &mut Reader<'_>) -> Result<(), String> {
    if reader.next()?.is_some() {
        return Err("not XML: content after the root element".to_string());
    }
    Ok(())
}

/// Reads a List Blobs answer, refusing it as soon as it holds more than `max_records` blobs
/// and folders together.
pub fn listing(body: &str, max_records: usize) -> Result<Listing, String> {
    let mut reader = Reader::new(body);
    root(&mut reader)?;
    let mut listing = Listing::default();
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Blobs") => loop {
                let inner = match reader.next()? {
                    None | Some(Event::End) => break,
                    Some(Event::Text(_)) => continue,
                    Some(Event::Start(inner)) => inner,
                };
                if matches!(inner, "Blob" | "BlobPrefix")
                    && listing.blobs.len() + listing.prefixes.len() == max_records
                {
                    return Err(too_many_records(max_records));
                }
                match inner {
                    "Blob" => listing.blobs.push(blob(&mut reader)?),
                    "BlobPrefix" => {
                        if let Some((prefix, problem)) = name_child(&mut reader)? {
                            listing
                                .prefixes
                                .push((prefix, problem.into_iter().collect()));
                        }
                    }
                    _ => reader.skip_element()?,
                }
            },
            Event::Start("NextMarker") if listing.next_marker.is_none() => {
                listing.next_marker = Some(reader.text_of()?).filter(|m| !m.is_empty());
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    end(&mut reader)?;
    Ok(listing)
}

/// Reads a List Containers answer, refusing it past `max_records` containers.
pub fn containers(body: &str, max_records: usize) -> Result<Containers, String> {
    let mut reader = Reader::new(body);
    root(&mut reader)?;
    let mut page = Containers::default();
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Containers") => loop {
                match reader.next()? {
                    None | Some(Event::End) => break,
                    Some(Event::Text(_)) => {}
                    Some(Event::Start("Container")) => {
                        if page.containers.len() == max_records {
                            return Err(too_many_records(max_records));
                        }
                        page.containers.push(container(&mut reader)?);
                    }
                    Some(Event::Start(_)) => reader.skip_element()?,
                }
            },
            Event::Start("NextMarker") if page.next_marker.is_none() => {
                page.next_marker = Some(reader.text_of()?).filter(|m| !m.is_empty());
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    end(&mut reader)?;
    Ok(page)
}

fn container(reader: &mut Reader<'_>) -> Result<Container, String> {
    let mut c = Container::default();
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Name") => c.name = reader.text_of()?,
            Event::Start("Properties") => loop {
                let field = match reader.next()? {
                    None | Some(Event::End) => break,
                    Some(Event::Text(_)) => continue,
                    Some(Event::Start(field)) => field,
                };
                let text = reader.text_of()?;
                match field {
                    "Last-Modified" => c.last_modified = http_date(&text),
                    "Etag" => c.etag = Some(text),
                    "LeaseStatus" => c.lease_status = Some(text),
                    "PublicAccess" => c.public_access = Some(text),
                    _ => {}
                }
            },
            Event::Start(_) => reader.skip_element()?,
        }
    }
    Ok(c)
}

/// Azure's error envelope: its code and the first line of its message (the rest is the
/// request id and the time).
pub fn error(body: &str) -> Option<(Option<String>, String)> {
    let e = crate::api::s3::xml::error(body)?;
    let message = e
        .message
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    Some((e.code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:43051/devstoreaccount1" ContainerName="data"><Prefix/><Marker/><MaxResults>2</MaxResults><Delimiter>/</Delimiter><Blobs><BlobPrefix><Name>dir/</Name></BlobPrefix><Blob><Name>a b+c%20.txt</Name><Properties><Creation-Time>Tue, 08 Dec 2026 02:40:28 GMT</Creation-Time><Last-Modified>Tue, 08 Dec 2026 02:40:28 GMT</Last-Modified><Etag>0x1CEA9E45CA078C0</Etag><Content-Length>5</Content-Length><Content-Type>text/plain</Content-Type><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5><BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus><AccessTier>Hot</AccessTier></Properties></Blob><Blob><Name Encoded="true">bad%FFname%0A</Name><Properties><Content-Length>x</Content-Length></Properties></Blob></Blobs><NextMarker>2!88!MDAw</NextMarker></EnumerationResults>"#;

    #[test]
    fn a_page_reads_blobs_folders_properties_and_the_next_marker() {
        let listing = listing(PAGE, 1000).unwrap();
        assert_eq!(listing.prefixes, [("dir/".to_string(), vec![])]);
        let a = &listing.blobs[0];
        assert_eq!(a.name, "a b+c%20.txt");
        assert_eq!(a.size, Some(5));
        assert_eq!(a.content_type.as_deref(), Some("text/plain"));
        assert_eq!(a.content_md5.as_deref(), Some("XUFAKrxLKna5cZ2REBfFkg=="));
        assert_eq!(a.access_tier.as_deref(), Some("Hot"));
        assert!(a.last_modified.is_some());
        // An encoded name is decoded exactly; bytes that are not UTF-8 are a problem.
        let bad = &listing.blobs[1];
        assert_eq!(bad.name, "bad\u{fffd}name\n");
        assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
        assert_eq!(listing.next_marker.as_deref(), Some("2!88!MDAw"));
    }

    #[test]
    fn too_many_records_are_refused_and_bad_xml_too() {
        let error = listing(PAGE, 2).unwrap_err();
        assert!(error.contains("more than 2 records"), "{error}");
        assert!(listing("<EnumerationResults><Blobs><Blob>", 10).is_err());
        assert!(listing("<ListBucketResult/>", 10).is_err());
        assert!(listing(r#"<!DOCTYPE x [<!ENTITY a "b">]><EnumerationResults/>"#, 10).is_err());
        let empty = listing(
            "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>",
            10,
        )
        .unwrap();
        assert_eq!(empty, Listing::default());
    }

    #[test]
    fn containers_and_errors_read() {
        let body = r#"<EnumerationResults ServiceEndpoint="x"><Containers><Container><Name>logs</Name><Properties><Last-Modified>Tue, 08 Dec 2026 02:40:28 GMT</Last-Modified><Etag>"0x1"</Etag><PublicAccess>blob</PublicAccess></Properties></Container></Containers><NextMarker>m</NextMarker></EnumerationResults>"#;
        let page = containers(body, 10).unwrap();
        assert_eq!(page.containers[0].name, "logs");
        assert_eq!(page.containers[0].public_access.as_deref(), Some("blob"));
        assert_eq!(page.next_marker.as_deref(), Some("m"));
        let e = "<?xml version=\"1.0\"?><Error><Code>AuthorizationFailure</Code><Message>Server failed to authenticate the request.\nRequestId:d90a\nTime:2026</Message></Error>";
        assert_eq!(
            error(e),
            Some((
                Some("AuthorizationFailure".to_string()),
                "Server failed to authenticate the request.".to_string()
            ))
        );
    }
}
